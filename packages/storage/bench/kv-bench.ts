/**
 * Cached vs uncached gets per second in one process, on classic-level. Not part of `npm test`.
 *
 *   npm run bench -w @ringkv/storage        (or: node --import tsx bench/kv-bench.ts)
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { LevelKvEngine, NOT_CACHED, openKvEngine } from '../src/index';
import { benchDir, fmt } from './bench-dir';

const SECONDS = Number(process.env.RINGKV_BENCH_SECONDS ?? 3);
const KEYS = 100_000;
const P = groupId(7);

function timed(label: string, fn: () => number): void {
  const start = performance.now();
  const ops = fn();
  const sec = (performance.now() - start) / 1000;
  console.log(`${label}: ${fmt(ops / sec)} ops/s`);
}

async function timedAsync(label: string, fn: () => Promise<number>): Promise<void> {
  const start = performance.now();
  const ops = await fn();
  const sec = (performance.now() - start) / 1000;
  console.log(`${label}: ${fmt(ops / sec)} ops/s`);
}

async function main(): Promise<void> {
  const dir = benchDir('kv');
  const engine = await openKvEngine({ path: join(dir, 'kv'), cacheSizeBytes: 256 * 1024 * 1024 });
  const keys: Uint8Array[] = [];
  for (let i = 0; i < KEYS; i++) keys.push(utf8Encode(`user:${String(i).padStart(11, '0')}`)); // 16-byte keys
  const value = 'v'.repeat(100);
  await timedAsync(`apply ${KEYS} puts in batches of 1000 (unsynced)`, async () => {
    for (let i = 0; i < KEYS; i += 1000) {
      const b = engine.newApplyBatch();
      for (let j = i; j < i + 1000; j++) b.put(P, keys[j]!, { value, version: 1, createRevision: j + 1, modRevision: j + 1 });
      b.setAppliedIndex(P, i + 1000);
      await engine.write(b);
    }
    return KEYS;
  });
  console.log(`cache after writes: ${JSON.stringify(engine.cacheStats())}`);

  let notCached = 0;
  timed('cached getCached (sync)', () => {
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 10_000; i++) {
        if (engine.getCached(P, keys[(n + i) % KEYS]!) === NOT_CACHED) notCached++;
      }
      n += 10_000;
    }
    return n;
  });

  console.log(`  (${notCached} lookups found their key evicted by a cache-slot collision: ${((100 * notCached) / engine.cacheStats().hits).toFixed(4)}%)`);
  await timedAsync('cached get (async, awaited one by one)', async () => {
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 10_000; i++) await engine.get(P, keys[(n + i) % KEYS]!);
      n += 10_000;
    }
    return n;
  });

  const uncached = new LevelKvEngine(engine.db, { cacheSizeBytes: 0 });
  await timedAsync('uncached get (async, awaited one by one)', async () => {
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) await uncached.get(P, keys[((n + i) * 7919) % KEYS]!);
      n += 1000;
    }
    return n;
  });

  await timedAsync('uncached get (async, 64 in flight)', async () => {
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      const wave: Promise<unknown>[] = [];
      for (let i = 0; i < 64; i++) wave.push(uncached.get(P, keys[((n + i) * 7919) % KEYS]!));
      await Promise.all(wave);
      n += 64;
    }
    return n;
  });
  console.log(`cache stats: ${JSON.stringify(engine.cacheStats())}`);
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
