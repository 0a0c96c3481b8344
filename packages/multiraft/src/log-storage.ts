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

export class GroupLogStorage implements LogStorage {
  /**
   * `appliedIndex`: what the KV engine already applied of this group. Applied entries were known
   * committed, and a commit-only hard state is written without an fsync (store.ts), so after a
   * power cut the stored commit index can lag the applied one: the core restarts with the commit
   * index raised to the applied index (as far as the log holds entries).
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
