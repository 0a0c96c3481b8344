/**
 * Where a node keeps its Raft log, and the move of an older data directory's log into it.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { copyLogs, openLogEngine, openSegmentLogEngine } from '@ringkv/storage';
import type { SegmentRaftLogEngine } from '@ringkv/storage';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The Raft log lives in segment files under `raft-wal`. A data directory from a version that kept
 * it in LevelDB (`raft-log`) is migrated first: every group copied and synced into a fresh
 * `raft-wal`, then `raft-log` renamed away (one atomic step: until it, a crash leaves the LevelDB
 * log the one that counts, and the copy starts over) and removed.
 */
export async function openRaftLog(dataDir: string, logger: Pick<Logger, 'info' | 'warn'>): Promise<SegmentRaftLogEngine> {
  const wal = join(dataDir, 'raft-wal');
  const legacy = join(dataDir, 'raft-log');
  const retired = join(dataDir, 'raft-log.migrated');
  if (await exists(legacy)) {
    logger.info({ from: legacy, to: wal }, 'moving the Raft log from LevelDB into segment files');
    await rm(wal, { recursive: true, force: true });
    const from = await openLogEngine({ path: legacy });
    const to = await openSegmentLogEngine({ path: wal });
    try {
      const groups = await copyLogs(from, to);
      logger.info({ groups }, 'Raft log moved');
    } finally {
      await from.close();
      await to.close();
    }
    await rename(legacy, retired);
  }
  await rm(retired, { recursive: true, force: true });
  return openSegmentLogEngine({
    path: wal,
    onPreallocationFailed: (why) =>
      logger.warn({ path: wal, error: why }, 'could not write zeros ahead of the Raft log (is the disk full?); the log goes on without them, with slower fsyncs'),
  });
}
