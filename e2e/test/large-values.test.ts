/**
 * Large values through real nodes and the SDK: 80 values of 1 MiB (over 100 MiB as JSON, more
 * than a WebSocket client accepts in one message). A scan pages through them in answers of about
 * 16 MiB, a getMany of all of them is asked again in parts as the server's answer limit requires,
 * and 80 concurrent gets (pipelined per node, the pipelines cut at the limit, the rest retried on
 * their own) all return their value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@ringkv/client';
import type { RingKVClient } from '@ringkv/client';
import { ProcessCluster } from '../src/process-cluster';

const COUNT = 80;
const MIB = 1024 * 1024;

let c: ProcessCluster;
let kv: RingKVClient;

/** Value i: 1 MiB, every byte i (so a mixed-up answer shows). */
const valueOf = (i: number): Uint8Array => new Uint8Array(MIB - 256).fill(i);
const keyOf = (i: number): string => `large/${String(i).padStart(3, '0')}`;

function expectValue(value: unknown, i: number): void {
  expect(value).toBeInstanceOf(Uint8Array);
  const bytes = value as Uint8Array;
  expect(bytes.length).toBe(MIB - 256);
  expect(bytes[0]).toBe(i);
  expect(bytes[bytes.length - 1]).toBe(i);
}

beforeAll(async () => {
  c = await ProcessCluster.create({ partitions: 4 });
  c.startAll();
  await c.waitAllReady(90_000);
  kv = createClient({ endpoints: c.endpoints, deadlineMs: 60_000, attemptTimeoutMs: 20_000 });
  for (let i = 0; i < COUNT; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, COUNT - i) }, (_, j) => kv.put(keyOf(i + j), valueOf(i + j))));
  }
}, 240_000);

afterAll(async () => {
  await kv?.close();
  await c?.destroy();
});

describe('large values', () => {
  it('a scan pages through 80 MiB in bounded answers, every key once and in order', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await kv.scan({ prefix: 'large/', limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      pages++;
      // About 16 MiB an answer: each of the 4 partitions reads its 4 MiB share, and one value past it.
      expect(page.entries.length).toBeLessThanOrEqual(20);
      for (const e of page.entries) {
        seen.push(e.key as string);
        expectValue(e.value, Number((e.key as string).slice('large/'.length)));
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: COUNT }, (_, i) => keyOf(i)));
    expect(pages).toBeGreaterThanOrEqual(COUNT / 20);
  });

  it('a getMany of all 80 (20 MiB per partition, over one answer) returns every value', async () => {
    const got = await kv.getMany(Array.from({ length: COUNT }, (_, i) => keyOf(i)));
    got.forEach((entry, i) => expectValue(entry?.value, i));
  });

  it('80 concurrent gets return every value', async () => {
    const got = await Promise.all(Array.from({ length: COUNT }, (_, i) => kv.get(keyOf(i))));
    got.forEach((entry, i) => expectValue(entry?.value, i));
  });
});
