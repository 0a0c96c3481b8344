/**
 * Copies every group's log from one engine into an empty segment log (a data directory written
 * by a version that kept the Raft log in LevelDB). Each group is written synced; the caller
 * retires the source only once this resolves.
 */
import type { GroupLog, RaftLogEngine } from '../interfaces';
import type { SegmentRaftLogEngine } from './engine';

export async function copyLogs(from: RaftLogEngine, to: SegmentRaftLogEngine): Promise<number> {
  const groups = await from.listGroups();
  for (const group of groups) {
    const log: GroupLog = await from.openGroup(group);
    const first = log.firstIndex();
    const last = log.lastIndex();
    const entries = last >= first ? log.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
    await to.importGroup(group, log.storedHardState(), log.snapshot().metadata, entries);
  }
  return groups.length;
}
