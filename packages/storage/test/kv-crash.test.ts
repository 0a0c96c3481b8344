/**
 * Apply atomicity of the KV engine: a child process applies rounds (data, session table and
 * applied index of three partitions in one write) and is killed with SIGKILL at a random moment.
 * After each kill every partition must hold exactly the state its applied index says, nothing
 * newer and nothing older, all partitions at the same round, and no acknowledged round lost.
 * With the engine's write queue (queueWrites) a kill may lose the rounds still queued, never part
 * of one, and never a round LevelDB already held.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng, groupId, utf8Decode } from '@ringkv/stdx';
import { openKvEngine } from '../src/index';
import { runAndKill } from './fixtures/crash-harness';
import { PARTITIONS, expectedAfter } from './fixtures/kv-crash-model';

const KILLS = Number(process.env.RINGKV_KV_CRASH_KILLS ?? 15);
const SEED = Number(process.env.RINGKV_CRASH_SEED ?? 20261129);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.each([
  { mode: 'direct', args: [] as string[] },
  { mode: 'queue', args: ['queue'] },
])('KV engine apply atomicity (SIGKILL), $mode writes', ({ mode, args }) => {
  it(`never leaves data newer or older than the applied index across ${KILLS} kills`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringkv-kv-crash-'));
    dirs.push(dir);
    const path = join(dir, 'kv');
    const prng = new Prng(SEED + 1);
    let durable = 0;
    // Kills that lost acknowledged rounds still queued: in queue mode nearly every kill does (the
    // writer's queue goes every few rounds), so none at all means the queue was not on.
    let lostQueued = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const { lines } = await runAndKill('test/fixtures/kv-crash-writer.ts', [path, ...args], 100 + prng.int(200));
      expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
      expect(lines[0]).toBe(`ready ${durable}`);
      const acks = lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
      const lastAck = acks.length > 0 ? acks[acks.length - 1]! : durable;

      const engine = await openKvEngine({ path, cacheSizeBytes: 0 });
      try {
        const applied = await engine.appliedIndex(groupId(PARTITIONS[0]!));
        if (mode === 'direct') expect([lastAck, lastAck + 1], `kill ${kill}`).toContain(applied);
        else {
          // Queued rounds die with the process; what LevelDB held stays.
          expect(applied, `kill ${kill}`).toBeGreaterThanOrEqual(durable);
          expect(applied, `kill ${kill}`).toBeLessThanOrEqual(lastAck + 1);
          if (applied < lastAck) lostQueued++;
        }
        for (const p of PARTITIONS) {
          const partition = groupId(p);
          expect(await engine.appliedIndex(partition)).toBe(applied);
          const items = await engine.scan(partition, { prefix: new Uint8Array(0), limit: 1000 });
          expect(items.map((i) => [utf8Decode(i.key), i.record.value]), `kill ${kill} partition ${p}`).toEqual(expectedAfter(p, applied));
          for (const i of items) expect(i.record.modRevision).toBeLessThanOrEqual(applied);
          const session = await engine.getSession(partition, 'writer');
          expect(session?.lastSeq ?? 0).toBe(applied);
        }
        durable = applied;
      } finally {
        await engine.close();
      }
    }
    expect(durable).toBeGreaterThan(KILLS);
    if (mode === 'queue') expect(lostQueued).toBeGreaterThan(0);
  }, 120_000);
});
