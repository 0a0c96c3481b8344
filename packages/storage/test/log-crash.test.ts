/**
 * Crash safety of the Raft log engine: a child process writes synced rounds for four groups and
 * is killed with SIGKILL at a random moment, again and again on the same directory. After each
 * kill the log is reopened (which verifies every checksum and that indexes are contiguous), and
 * the whole state must be exactly the last acknowledged round, or the round that was being
 * written when the kill came: never a part of a round, never older than what was acknowledged.
 *
 * KILLS (default 50) and SEED can be set through RINGKV_CRASH_KILLS / RINGKV_CRASH_SEED.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng, groupId } from '@ringkv/stdx';
import { openLogEngine, openSegmentLogEngine } from '../src/index';
import type { RaftLogEngine } from '../src/index';
import { runAndKill } from './fixtures/crash-harness';
import { CRASH_SEGMENT_BYTES, fingerprint, readState } from './fixtures/log-fingerprint';

const KILLS = Number(process.env.RINGKV_CRASH_KILLS ?? 50);
const SEED = Number(process.env.RINGKV_CRASH_SEED ?? 20261129);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

type Kind = 'level' | 'segment';

async function openEngine(kind: Kind, path: string): Promise<RaftLogEngine> {
  return kind === 'level' ? openLogEngine({ path }) : openSegmentLogEngine({ path, segmentBytes: CRASH_SEGMENT_BYTES });
}

async function reopenedFingerprint(kind: Kind, path: string): Promise<string> {
  const engine = await openEngine(kind, path);
  try {
    const states = [];
    for (const g of [1, 2, 3, 4]) states.push(readState(await engine.openGroup(groupId(g))));
    return fingerprint(states);
  } finally {
    await engine.close();
  }
}

/** Kill-and-reopen cycles on one directory; returns [acknowledged rounds, in-flight rounds found durable]. */
async function lane(kind: Kind, laneId: number, kills: number): Promise<[number, number]> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-log-crash-'));
  dirs.push(dir);
  const path = join(dir, 'log');
  const prng = new Prng(SEED + laneId);
  let durable = await reopenedFingerprint(kind, path);
  let acknowledgedRounds = 0;
  let inFlightSurvived = 0;
  for (let kill = 0; kill < kills; kill++) {
    const where = `seed ${SEED} lane ${laneId} kill ${kill}`;
    const { lines } = await runAndKill('test/fixtures/log-crash-writer.ts', [path, String(SEED + 1000 * laneId + kill), kind], 100 + prng.int(200));
    expect(lines.filter((l) => l.startsWith('error')), where).toEqual([]);
    const ready = lines.find((l) => l.startsWith('ready '))!;
    expect(ready.slice(6), `${where}: the writer started from a different state than the last reopen saw`).toBe(durable);
    let lastAck = durable;
    let pending: string | undefined;
    for (const line of lines) {
      if (line.startsWith('pending ')) pending = line.slice(8);
      else if (line.startsWith('ack ')) {
        expect(line.slice(4), where).toBe(pending);
        lastAck = line.slice(4);
        pending = undefined;
        acknowledgedRounds++;
      }
    }
    const after = await reopenedFingerprint(kind, path);
    const allowed = pending === undefined ? [lastAck] : [lastAck, pending];
    expect(allowed, `${where}: reopened state is neither the last acknowledged round nor the one in flight`).toContain(after);
    if (after !== lastAck) inFlightSurvived++;
    durable = after;
  }
  return [acknowledgedRounds, inFlightSurvived];
}

describe.each<Kind>(['segment', 'level'])('log engine crash safety (SIGKILL): %s', (kind) => {
  it(`keeps every acknowledged round and no partial round across ${KILLS} kills`, async () => {
    // Two directories killed in parallel: the child's start-up, not the writing, dominates the time.
    const results = await Promise.all([lane(kind, 0, Math.ceil(KILLS / 2)), lane(kind, 1, Math.floor(KILLS / 2))]);
    const acknowledgedRounds = results[0][0] + results[1][0];
    const inFlightSurvived = results[0][1] + results[1][1];
    expect(acknowledgedRounds).toBeGreaterThan(KILLS);
    console.log(`log crash test (${kind}): ${KILLS} kills, ${acknowledgedRounds} acknowledged rounds, ${inFlightSurvived} in-flight rounds found durable`);
  }, 180_000);
});
