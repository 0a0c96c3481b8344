/**
 * Hands a storage GroupLog to the Raft core as its LogStorage. The shapes are the same; only the
 * errors differ: storage throws its own LogCompactedError / LogUnavailableError (it may not import
 * raft), the core expects its CompactedError / UnavailableError to decide what to send.
 */
import { CompactedError, UnavailableError } from '@ringkv/raft';
import type { ConfState, Entry, HardState, LogStorage, Snapshot } from '@ringkv/raft';
import { LogCompactedError, LogUnavailableError } from '@ringkv/storage';
import type { GroupLog } from '@ringkv/storage';

/** What to throw for `error` from the GroupLog. (A try/catch in each method, not a wrapper taking
 *  a closure: the core asks for terms on every message, and each closure was garbage.) */
function translated(error: unknown): unknown {
  if (error instanceof LogCompactedError) return new CompactedError();
  if (error instanceof LogUnavailableError) return new UnavailableError();
  return error;
}

/**
 * Whether a Ready's hard state must be written: only when its term or vote changed. The commit
 * index is volatile state in Raft (the leader repeats it in every append and heartbeat), and on a
 * restart GroupLogStorage raises the stored one to the applied index, so the Store writes it only
 * along with a term or vote. Writing it whenever it moved was a record per group per round on
 * every replica, each group that took a write in a round: store bench, 8 alternating pairs,
 * 174 -> 161 µs of CPU per write (medians).
 */
export function termOrVoteChanged(stored: HardState, next: HardState): boolean {
  return next.term !== stored.term || next.vote !== stored.vote;
}

export class GroupLogStorage implements LogStorage {
  /**
   * `appliedIndex`: what the KV engine already applied of this group. Applied entries were known
   * committed, and the stored commit index moves only with a term or vote (termOrVoteChanged), so
   * it usually lags the applied one: the core restarts with the commit index raised to the
   * applied index (as far as the log holds entries).
   */
  constructor(
    readonly log: GroupLog,
    private readonly appliedIndex = 0,
  ) {}

  initialState(): { hardState: HardState; confState: ConfState } {
    const state = this.log.initialState();
    const commit = Math.max(state.hardState.commit, Math.min(this.appliedIndex, this.log.lastIndex()));
    return commit === state.hardState.commit ? state : { hardState: { ...state.hardState, commit }, confState: state.confState };
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    try {
      return this.log.entries(lo, hi, maxSizeBytes);
    } catch (error) {
      throw translated(error);
    }
  }

  term(index: number): number {
    try {
      return this.log.term(index);
    } catch (error) {
      throw translated(error);
    }
  }

  firstIndex(): number {
    return this.log.firstIndex();
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  snapshot(): Snapshot {
    return this.log.snapshot();
  }
}
