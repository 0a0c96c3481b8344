/**
 * The apply path on its own, as one replica runs it: rounds of `--batch` committed put commands
 * (decoded from their log bytes, each with its client session) applied by an ApplyRound into a
 * real LevelDB KV engine, one write per round. All keys and sessions are cached first (as in a
 * steady-state benchmark), so this measures the state machine, the codecs and the engine's
 * write, not disk reads. Prints CPU µs per applied command (one replica; the cluster pays it
 * three times). Without Raft, sockets or other replicas, the figure moves much less with the
 * machine's load than the Store benchmark's.
 *
 *   npm run bench:apply -w @ringkv/multiraft -- [--seconds 5] [--batch 64] [--partitions 16]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Prng, groupId, utf8Encode } from '@ringkv/stdx';
import { openKvEngine } from '@ringkv/storage';
import type { KvEngine } from '@ringkv/storage';
import { ApplyRound, NEEDS_IO } from '../src/apply';
import type { ApplyEffects } from '../src/apply';
import { decodeCommand, encodeCommand } from '../src/commands';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, batch: { type: 'string', default: '64' }, partitions: { type: 'string', default: '16' } },
});
const seconds = Number(args.seconds);
const batch = Number(args.batch);
const partitions = Number(args.partitions);
const KEYS = 10_000;
const WRITERS = 64;
const SESSION_TTL_MS = 60_000;
const value = 'v'.repeat(128);
const keyOf = (i: number): Uint8Array => utf8Encode(`k${String(i).padStart(15, '0')}`);

let index = 0;
const nextIndex = new Map<number, number>();

/** One round: `entries` as [partition, log bytes], applied and written as the Store does. */
async function applyRound(kv: KvEngine, entries: ReadonlyArray<[number, Uint8Array]>): Promise<void> {
  const round = new ApplyRound(kv, SESSION_TTL_MS);
  const last = new Map<number, number>();
  for (const [partition, data] of entries) {
    const i = (nextIndex.get(partition) ?? 0) + 1;
    nextIndex.set(partition, i);
    const effects: ApplyEffects = { events: [], expiring: [], unexpiring: [] };
    const command = decodeCommand(data);
    const fast = round.tryApply(partition, i, command, effects);
    if (fast === NEEDS_IO) await round.apply(partition, i, command, effects);
    last.set(partition, i);
  }
  for (const [partition, i] of last) round.batch.setAppliedIndex(groupId(partition), i);
  await kv.write(round.batch);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-apply-bench-'));
  const kv = await openKvEngine({ path: dir });
  const rng = new Prng(7);
  const seqs = new Array<number>(WRITERS).fill(0);
  const command = (key: number): [number, Uint8Array] => {
    const w = rng.int(WRITERS);
    const data = encodeCommand({ type: 'write', wallMs: 1_000 + index++, clientId: `w${w}`, seq: ++seqs[w]!, kind: 'put', ops: [{ op: 'put', key: keyOf(key), value }] });
    return [key % partitions, data];
  };
  // Every key once, and every session in every partition, so the measured rounds hit the caches.
  for (let i = 0; i < KEYS; i += batch) await applyRound(kv, Array.from({ length: Math.min(batch, KEYS - i) }, (_, j) => command(i + j)));
  for (let p = 0; p < partitions; p++) {
    for (let w = 0; w < WRITERS; w++) {
      // Key p is in partition p.
      await applyRound(kv, [[p, encodeCommand({ type: 'write', wallMs: 1_000 + index++, clientId: `w${w}`, seq: ++seqs[w]!, kind: 'put', ops: [{ op: 'put', key: keyOf(p), value }] })]]);
    }
  }
  let applied = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    // Encoding the commands is the leader's work, not the apply path's: done outside the clock.
    const c = process.cpuUsage();
    const entries = Array.from({ length: batch }, () => command(rng.int(KEYS)));
    const spent = process.cpuUsage(c);
    cpu0.user += spent.user;
    cpu0.system += spent.system;
    await applyRound(kv, entries);
    applied += batch;
  }
  const cpu = process.cpuUsage(cpu0);
  const elapsedS = (performance.now() - t0) / 1000;
  const stats = kv.cacheStats();
  console.log(
    `batch ${batch}, ${partitions} partitions, ${elapsedS.toFixed(1)} s: ${(applied / elapsedS).toFixed(0)} commands/s, ` +
      `${((cpu.user + cpu.system) / applied).toFixed(2)} µs CPU per command (one replica), cache hits ${stats.hits} misses ${stats.misses}`,
  );
  await kv.close();
  await rm(dir, { recursive: true, force: true });
}

await main();
