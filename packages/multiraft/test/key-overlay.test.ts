/**
 * The apply path's overlay keys entries by a 30-bit hash and tells collisions apart by partition
 * and bytes. Random keys in the Store's tests never collide, so the collision chain is driven
 * here with keys found to share a slot: were it to confuse two keys, a write would read another
 * key's version in the round and answer (and store) the wrong thing on every replica.
 */
import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { keySlot } from '@ringkv/storage';
import { KeyOverlay } from '../src/key-overlay';

/** Two different keys of `partition` with the same slot (a birthday search over 30 bits). */
function collidingKeys(partition: number): [Uint8Array, Uint8Array] {
  const seen = new Map<number, Uint8Array>();
  for (let i = 0; ; i++) {
    const key = utf8Encode(`key-${i}`);
    const slot = keySlot(groupId(partition), key);
    const other = seen.get(slot);
    if (other !== undefined) return [other, key];
    seen.set(slot, key);
  }
}

/** One key whose slot in partition `a` equals another key's slot in partition `b`... or the same key in two partitions with one slot. */
function crossPartitionCollision(a: number, b: number): [Uint8Array, Uint8Array] {
  const seen = new Map<number, Uint8Array>();
  for (let i = 0; ; i++) {
    const key = utf8Encode(`k${i}`);
    const inB = seen.get(keySlot(groupId(a), key));
    if (inB !== undefined) return [key, inB];
    seen.set(keySlot(groupId(b), key), key);
  }
}

describe('key overlay', () => {
  it('keeps two keys of one slot apart: get, set (update in place) and order', () => {
    const p = groupId(1);
    const [x, y] = collidingKeys(1);
    expect(keySlot(p, x)).toBe(keySlot(p, y));
    const o = new KeyOverlay<string>();
    o.set(p, x, 'x1');
    expect(o.get(p, y)).toBeUndefined();
    o.set(p, y, 'y1');
    expect([o.get(p, x), o.get(p, y)]).toEqual(['x1', 'y1']);
    // Updating either one changes only it, and adds no entry.
    o.set(p, x, 'x2');
    o.set(p, y, 'y2');
    expect([o.get(p, x), o.get(p, y)]).toEqual(['x2', 'y2']);
    expect(o.size).toBe(2);
    expect(o.entries().map((e) => [new TextDecoder().decode(e.key), e.value])).toEqual([
      [new TextDecoder().decode(x), 'x2'],
      [new TextDecoder().decode(y), 'y2'],
    ]);
    // A key equal in bytes is found through a different array.
    expect(o.get(p, x.slice())).toBe('x2');
  });

  it('keeps keys of different partitions apart even when their slots meet', () => {
    const [inA, inB] = crossPartitionCollision(2, 3);
    expect(keySlot(groupId(2), inA)).toBe(keySlot(groupId(3), inB));
    const o = new KeyOverlay<number>();
    o.set(groupId(2), inA, 1);
    expect(o.get(groupId(3), inB)).toBeUndefined();
    o.set(groupId(3), inB, 2);
    expect([o.get(groupId(2), inA), o.get(groupId(3), inB)]).toEqual([1, 2]);
    // The same bytes under the other partition are another key.
    expect(o.get(groupId(3), inA)).toBeUndefined();
    o.set(groupId(3), inB, 3);
    expect([o.get(groupId(2), inA), o.get(groupId(3), inB), o.size]).toEqual([1, 3, 2]);
  });
});
