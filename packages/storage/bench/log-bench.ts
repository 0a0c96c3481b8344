/**
 * Synced Raft log writes per second at 1, 16 and 256 entries per batch, for both log engines (the
 * segment log a node uses, also without its preallocated zeros, and the one over LevelDB the
 * simulator's older disk model and migrations use), next to the fdatasync ceiling of the same disk
 * measured in the same run. Not part of `npm test`.
 *
 *   npm run bench -w @ringkv/storage        (or: node --import tsx bench/log-bench.ts)
 *   RINGKV_BENCH_DIR=/some/disk RINGKV_BENCH_SECONDS=3 ...
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { groupId, nodeId } from '@ringkv/stdx';
import { openLogEngine, openSegmentLogEngine } from '../src/index';
import type { LogEntry, RaftLogEngine } from '../src/index';
import { benchDir, fmt } from './bench-dir';

const SECONDS = Number(process.env.RINGKV_BENCH_SECONDS ?? 3);
const ENTRY_DATA_BYTES = 128;

/** fdatasync after each write: in place (no size change) and appending (what a log does). */
function fdatasyncCeiling(dir: string, append: boolean): number {
  const path = join(dir, append ? 'fsync-append.bin' : 'fsync-inplace.bin');
  const fd = openSync(path, 'w');
  const block = new Uint8Array(4096).fill(7);
  writeSync(fd, block, 0, block.length, 0);
  fdatasyncSync(fd);
  let n = 0;
  let offset = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    writeSync(fd, block, 0, append ? 256 : block.length, append ? (offset += 256) : 0);
    fdatasyncSync(fd);
    n++;
  }
  closeSync(fd);
  rmSync(path);
  return n / SECONDS;
}

/** The segment log as a node runs it, the same without zeros written ahead, and the one over LevelDB. */
type Kind = 'segment' | 'no-zeros' | 'level';

async function logWrites(dir: string, kind: Kind, entriesPerBatch: number): Promise<{ batchesPerSec: number; cpuMsPerBatch: number }> {
  const path = join(dir, `${kind}-${entriesPerBatch}`);
  const engine: RaftLogEngine =
    kind === 'level' ? await openLogEngine({ path }) : await openSegmentLogEngine({ path, preallocateBytes: kind === 'segment' ? undefined : 0 });
  const log = await engine.openGroup(groupId(1));
  const data = new Uint8Array(ENTRY_DATA_BYTES).fill(42);
  let next = 1;
  let batches = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    const batch = engine.newBatch();
    const entries: LogEntry[] = [];
    for (let i = 0; i < entriesPerBatch; i++) entries.push({ index: next++, term: 1, type: 'normal', data });
    batch.append(log, entries);
    batch.setHardState(log, { term: 1, vote: nodeId(1), commit: next - 1 });
    // Keep the in-memory log bounded, as the Store's compaction would.
    if (log.lastIndex() - log.firstIndex() > 20_000) {
      const index = log.lastIndex() - 1000;
      batch.compact(log, index, { index, term: 1, confState: { voters: [nodeId(1)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
    }
    await engine.commit(batch);
    batches++;
  }
  const elapsedSec = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await engine.close();
  return { batchesPerSec: batches / elapsedSec, cpuMsPerBatch: (cpu.user + cpu.system) / 1000 / batches };
}

async function main(): Promise<void> {
  const dir = benchDir('log');
  console.log(`log engine bench in ${dir}, ${SECONDS} s per measurement, ${ENTRY_DATA_BYTES}-byte entries, one group`);
  const inPlace = fdatasyncCeiling(dir, false);
  const append = fdatasyncCeiling(dir, true);
  console.log(`fdatasync ceiling: ${fmt(inPlace)}/s rewriting a block in place, ${fmt(append)}/s appending`);
  for (const n of [1, 16, 256]) for (const kind of ['segment', 'no-zeros', 'level'] as const) {
    const { batchesPerSec, cpuMsPerBatch } = await logWrites(dir, kind, n);
    const cpuCeiling = 1000 / cpuMsPerBatch;
    console.log(
      `${kind.padEnd(8)} ${String(n).padStart(3)} entries/batch: ${fmt(batchesPerSec)} synced batches/s = ${fmt(batchesPerSec * n)} entries/s; ` +
        `${((100 * batchesPerSec) / inPlace).toFixed(0)}% of in-place fdatasync/s, ${((100 * batchesPerSec) / append).toFixed(0)}% of appending fdatasync/s; ` +
        `CPU ${cpuMsPerBatch.toFixed(3)} ms/batch (CPU-bound ceiling ${fmt(cpuCeiling)} batches/s)`,
    );
  }
  const goal = 0.7 * append * 256;
  console.log(
    `goal at 256 entries/batch: 70% of appending fdatasync/s x 256 = ${fmt(goal)} entries/s, unless the CPU limit comes first ` +
      `(CPU-bound ceiling above counts every thread of the process: JS, the pool's writes and LevelDB's compaction, and the kernel's fsync time)`,
  );
  rmSync(dir, { recursive: true, force: true });
}

await main();
