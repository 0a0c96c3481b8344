/**
 * Read answers are bounded: a scan merges partition pages cut by count or by bytes without
 * losing or repeating a key, a getMany over many partitions past ANSWER_BYTES_MAX is refused,
 * and a pipeline of large gets answers the first ones and leaves the rest to be retried alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, utf8Encode } from '@ringkv/stdx';
import { ANSWER_BYTES_MAX, createAppRouter, createCallerFactory } from '../src';
import type { WireEntry } from '../src';
import { ringkvDataOf } from '../src/errors';
import type { WireScanPartitionPage } from '../src/scan-merge';
import { mergeScanPages } from '../src/scan-merge';
import { FakeKv } from './fake-kv';
import { TRPCError } from '@trpc/server';

const entry = (key: string, size = 1): WireEntry => ({ key, value: { type: 'string', data: 'v'.repeat(size) }, version: 1, createRevision: 1, modRevision: 1 });
const MIB = 1024 * 1024;

/** One partition's page as a leader cuts it: after `after`, at most `limit` keys and about `bytesMax` bytes. */
function pageOf(partition: number, keys: readonly string[], after: string | undefined, limit: number, bytesMax: number): WireScanPartitionPage {
  const rest = keys.filter((k) => after === undefined || compareBytes(utf8Encode(k), utf8Encode(after)) > 0);
  const entries: WireEntry[] = [];
  let bytes = 0;
  for (const key of rest) {
    if (entries.length >= limit || bytes >= bytesMax) break;
    entries.push(entry(key));
    bytes += key.length + 1;
  }
  const more = entries.length < rest.length;
  return { partition, entries, revision: 1, ...(more ? { resumeAfter: entries[entries.length - 1]!.key } : {}) };
}

describe('scan pages merged across partitions', () => {
  it('visit every key exactly once, in order, whatever each partition cuts its page at', () => {
    const keyArb = fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom('a', 'b', 'c', 'd') });
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(keyArb, { maxLength: 12 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 5, maxLength: 5 }), (parts, limit, budgets) => {
        // Keys are unique across partitions (a key lives in one).
        const seenKey = new Set<string>();
        const partitions = parts.map((keys) => keys.filter((k) => !seenKey.has(k) && seenKey.add(k)).sort((a, b) => compareBytes(utf8Encode(a), utf8Encode(b))));
        const all = [...seenKey].sort((a, b) => compareBytes(utf8Encode(a), utf8Encode(b)));
        const out: string[] = [];
        let cursor: string | undefined;
        for (let round = 0; round < 200; round++) {
          const pages = partitions.map((keys, p) => pageOf(p, keys, cursor, limit, budgets[p]!));
          const page = mergeScanPages(pages, limit);
          expect(page.entries.length).toBeLessThanOrEqual(limit);
          out.push(...page.entries.map((e) => e.key as string));
          if (page.cursor === null) break;
          cursor = Buffer.from(page.cursor, 'base64').toString('utf8');
        }
        expect(out).toEqual(all);
      }),
      { numRuns: 400 },
    );
  });

  it('a page from a node without resumeAfter (an older version) counts as cut when full', () => {
    const pages: WireScanPartitionPage[] = [
      { partition: 0, entries: [entry('a'), entry('c')], revision: 1 },
      { partition: 1, entries: [entry('b'), entry('d')], revision: 1 },
    ];
    // Both full at limit 2: keys after 'c' are not known to be complete; 'a' 'b' first.
    expect(mergeScanPages(pages, 2)).toEqual({ entries: [entry('a'), entry('b')], cursor: Buffer.from('b').toString('base64') });
    // Not full: that partition is done.
    expect(mergeScanPages(pages, 3).cursor).toBe(Buffer.from('c').toString('base64'));
  });
});

async function refusal(p: Promise<unknown>): Promise<TRPCError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe('answer limits through the router', () => {
  it('a scan asks each partition for its share of ANSWER_BYTES_MAX and pages through large values', async () => {
    const kv = new FakeKv(4);
    const big = new Uint8Array(MIB);
    // 6 values of 1 MiB in each of the 4 partitions (FakeKv: partition = first byte % 4).
    const keys = ['a', 'b', 'c', 'd'].flatMap((p) => [1, 2, 3, 4, 5, 6].map((i) => `${p}${i}`));
    for (const k of keys) await kv.put({ key: utf8Encode(k), value: big, session: { clientId: 'c', seq: 1 } });
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await caller.kv.scan({ prefix: '', limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      pages++;
      // 16 MiB in all: each partition's page stops after the value that reaches its 4 MiB.
      expect(page.entries.length).toBeLessThanOrEqual(16);
      seen.push(...page.entries.map((e) => e.key as string));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined && pages < 50);
    expect(seen).toEqual([...keys].sort());
    expect(new Set(kv.scanRequests.map((r) => r.bytesMax))).toEqual(new Set([ANSWER_BYTES_MAX / 4]));
    expect(pages).toBeGreaterThan(1);
  });

  it('a getMany over several partitions past ANSWER_BYTES_MAX is refused with TOO_LARGE', async () => {
    const kv = new FakeKv(4);
    const big = new Uint8Array(MIB);
    const keys = Array.from({ length: 17 }, (_, i) => `${'abcd'[i % 4]}${i}`);
    for (const k of keys) await kv.put({ key: utf8Encode(k), value: big, session: { clientId: 'c', seq: 1 } });
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    expect((await caller.kv.getMany({ keys: keys.slice(0, 15) })).entries.every((e) => e !== null)).toBe(true);
    const error = await refusal(caller.kv.getMany({ keys }));
    expect(ringkvDataOf(error)?.code).toBe('TOO_LARGE');
    expect(error.message).toContain('ask for fewer keys at once');
  });

  it('a pipeline of large gets answers them up to ANSWER_BYTES_MAX (the first always) and leaves the rest retryable', async () => {
    const kv = new FakeKv(4);
    const big = new Uint8Array(MIB);
    for (let i = 0; i < 20; i++) await kv.put({ key: utf8Encode(`k${i}`), value: big, session: { clientId: 'c', seq: 1 } });
    await kv.put({ key: utf8Encode('small'), value: 'x', session: { clientId: 'c', seq: 1 } });
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    const calls = [...Array.from({ length: 20 }, (_, i) => ({ path: 'kv.get' as const, input: { key: `k${i}` } })), { path: 'kv.get' as const, input: { key: 'small' } }, { path: 'kv.get' as const, input: { key: 'absent' } }];
    const { results } = await caller.kv.pipeline({ calls });
    const answered = results.filter((r) => r.ok).length;
    // 15 values of 1 MiB and keys fit in 16 MiB, the 16th passes it; 'absent' and 'small' after the cut.
    expect(results.slice(0, 15).every((r) => r.ok)).toBe(true);
    for (const r of results.slice(15, 21)) {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.ringkv).toEqual({ code: 'UNAVAILABLE', retryAfterMs: 0, answerLimitBytes: ANSWER_BYTES_MAX });
        expect(r.error.message).toContain('send this get on its own');
      }
    }
    expect(results[21]).toEqual({ ok: true, data: { entry: null, revision: kv.revision } });
    expect(answered).toBe(16);
    // A single get of a large value is never cut.
    const one = await caller.kv.pipeline({ calls: [{ path: 'kv.get', input: { key: 'k0' } }] });
    expect(one.results[0]!.ok).toBe(true);
  });
});

describe('wireEntryBytes', () => {
  it('counts strings in UTF-8 bytes, bytes decoded, JSON values by their JSON text', async () => {
    const { wireEntryBytes } = await import('../src/entries');
    const base = { version: 1, createRevision: 1, modRevision: 1 };
    expect(wireEntryBytes({ key: 'é', value: { type: 'string', data: '日本' }, ...base })).toBe(2 + 6);
    expect(wireEntryBytes({ key: { bytes: 'AAEC' }, value: { type: 'bytes', data: 'AAECAw==' }, ...base })).toBe(3 + 4);
    expect(wireEntryBytes({ key: 'k', value: { type: 'json', data: { a: 'é' } }, ...base })).toBe(1 + Buffer.byteLength(JSON.stringify({ a: 'é' })));
  });
});
