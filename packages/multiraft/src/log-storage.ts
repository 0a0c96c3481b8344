/**
 * Hands a storage GroupLog to the Raft core as its LogStorage. The shapes are the same; only the
 * errors differ: storage throws its own LogCompactedError / LogUnavailableError (it may not import
 * raft), the core expects its CompactedError / UnavailableError to decide what to send.
 */
import { CompactedError, UnavailableError } from '@ringkv/raft';
import type { ConfState, Entry, HardState, LogStorage, Snapshot } from '@ringkv/raft';
import { LogCompactedError, LogUnavailableError } from '@ringkv/storage';
import type { GroupLog } from '@ringkv/storage';

function translate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof LogCompactedError) throw new CompactedError();
    if (error instanceof LogUnavailableError) throw new UnavailableError();
    throw error;
  }
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
    return translate(() => this.log.entries(lo, hi, maxSizeBytes));
  }

  term(index: number): number {
    return translate(() => this.log.term(index));
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
