/**
 * A data directory written by a version that kept the Raft log in LevelDB (`raft-log`) opens
 * with every group's log moved into segment files (`raft-wal`), and the LevelDB log retired; a
 * move cut short (a half-written `raft-wal` next to the intact `raft-log`) starts over.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupId, nodeId } from '@ringkv/stdx';
import { openLogEngine, openSegmentLogEngine } from '@ringkv/storage';
import type { GroupLog, LogSnapshot, RaftLogEngine } from '@ringkv/storage';
import { openRaftLog } from '../src/raft-log';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const CONF = { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const quiet = { info: () => undefined, warn: () => undefined };

function meta(index: number, term: number): LogSnapshot['metadata'] {
  return { index, term, confState: CONF };
}

function describeLog(log: GroupLog): unknown {
  const first = log.firstIndex();
  const last = log.lastIndex();
  return {
    snap: log.snapshot().metadata,
    hs: log.storedHardState(),
    entries: last >= first ? log.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString()]) : [],
  };
}

async function describeAll(engine: RaftLogEngine): Promise<unknown> {
  const out: Record<number, unknown> = {};
  for (const g of await engine.listGroups()) out[g] = describeLog(await engine.openGroup(g));
  return out;
}

/** A LevelDB log as an older node left it: one group compacted, one not, one with a hard state only. */
async function writeLegacy(dataDir: string): Promise<unknown> {
  const engine = await openLogEngine({ path: join(dataDir, 'raft-log') });
  const a = await engine.openGroup(groupId(3));
  const b = await engine.openGroup(groupId(7));
  const c = await engine.openGroup(groupId(11));
  let batch = engine.newBatch();
  batch.append(a, [1, 2, 3, 4, 5].map((i) => ({ index: i, term: 2, type: 'normal' as const, data: Buffer.from(`a${i}`) })));
  batch.append(b, [1, 2].map((i) => ({ index: i, term: 1, type: i === 1 ? ('confChange' as const) : ('normal' as const), data: Buffer.from(`b${i}`) })));
  batch.setHardState(a, { term: 2, vote: nodeId(1), commit: 5 });
  batch.setHardState(c, { term: 4, vote: nodeId(3), commit: 0 });
  await engine.commit(batch);
  batch = engine.newBatch();
  batch.compact(a, 3, meta(3, 2));
  await engine.commit(batch);
  const before = await describeAll(engine);
  await engine.close();
  return before;
}

describe('the Raft log of an older data directory', () => {
  it('moves into segment files, and the LevelDB log is retired', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ringkv-migrate-'));
    dirs.push(dataDir);
    const before = await writeLegacy(dataDir);
    const engine = await openRaftLog(dataDir, quiet);
    expect(await describeAll(engine)).toEqual(before);
    expect(Object.keys(before as object)).toEqual(['3', '7', '11']);
    await engine.close();
    expect((await readdir(dataDir)).sort()).toEqual(['raft-wal']);
    // Opened again: the segment log as it was, nothing to move.
    const again = await openRaftLog(dataDir, quiet);
    expect(await describeAll(again)).toEqual(before);
    await again.close();
  });

  it('starts the move over when a copy was cut short', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ringkv-migrate-'));
    dirs.push(dataDir);
    const before = await writeLegacy(dataDir);
    // A previous attempt died after copying part of it: raft-wal holds another state.
    const partial = await openSegmentLogEngine({ path: join(dataDir, 'raft-wal') });
    await partial.importGroup(groupId(3), { term: 9, vote: nodeId(2), commit: 0 }, meta(0, 0), []);
    await partial.close();
    const engine = await openRaftLog(dataDir, quiet);
    expect(await describeAll(engine)).toEqual(before);
    await engine.close();
  });
});
