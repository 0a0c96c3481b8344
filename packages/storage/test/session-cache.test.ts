import { groupId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { SessionCache } from '../src/session-cache';

const session = (seq: number) => ({ seq, answer: { ok: true, version: seq, modRevision: seq }, lastUsedMs: seq }) as never;

describe('SessionCache', () => {
  it('remembers sessions and known-absent sessions per partition', () => {
    const cache = new SessionCache(10);
    expect(cache.lookup(groupId(1), 'a')).toBeNull();
    cache.set(groupId(1), 'a', session(1));
    cache.set(groupId(1), 'b', undefined);
    expect(cache.lookup(groupId(1), 'a')).toEqual(session(1));
    expect(cache.lookup(groupId(1), 'b')).toBeUndefined();
    expect(cache.lookup(groupId(2), 'a')).toBeNull();
    cache.dropPartition(groupId(1));
    expect(cache.lookup(groupId(1), 'a')).toBeNull();
  });

  it('keeps at most entriesPerPartitionMax entries, evicting the least recently used', () => {
    const cache = new SessionCache(2);
    cache.set(groupId(1), 'a', session(1));
    cache.set(groupId(1), 'b', session(2));
    expect(cache.lookup(groupId(1), 'a')).toEqual(session(1)); // a is now the most recent
    cache.set(groupId(1), 'c', session(3)); // evicts b
    expect(cache.lookup(groupId(1), 'b')).toBeNull();
    expect(cache.lookup(groupId(1), 'a')).toEqual(session(1));
    expect(cache.lookup(groupId(1), 'c')).toEqual(session(3));
    cache.set(groupId(1), 'c', session(4)); // an update refreshes, evicts nothing
    expect(cache.lookup(groupId(1), 'a')).toEqual(session(1));
    expect(cache.lookup(groupId(1), 'c')).toEqual(session(4));
  });

  it('keeps a new session when every older one was used since (evicting the oldest of them)', () => {
    const cache = new SessionCache(3);
    for (const id of ['a', 'b', 'c']) cache.set(groupId(1), id, session(1));
    for (const id of ['a', 'b', 'c']) expect(cache.lookup(groupId(1), id)).toEqual(session(1));
    cache.set(groupId(1), 'd', session(2));
    expect(cache.lookup(groupId(1), 'd')).toEqual(session(2));
    expect(cache.lookup(groupId(1), 'a')).toBeNull();
    expect([cache.lookup(groupId(1), 'b'), cache.lookup(groupId(1), 'c')]).toEqual([session(1), session(1)]);
    // Bounded however it is used.
    for (let i = 0; i < 100; i++) cache.set(groupId(1), `x${i}`, session(i));
    expect(['b', 'c', 'd', ...Array.from({ length: 100 }, (_, i) => `x${i}`)].filter((id) => cache.lookup(groupId(1), id) !== null)).toHaveLength(3);
  });

  it('caches nothing when its bound is zero', () => {
    const cache = new SessionCache(0);
    cache.set(groupId(1), 'a', session(1));
    expect(cache.lookup(groupId(1), 'a')).toBeNull();
  });
});
