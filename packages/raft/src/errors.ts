/**
 * Typed errors. Callers handle these; broken invariants use `assert` from stdx instead.
 */
import type { NodeId } from '@ringkv/stdx';

/** The proposal (or read, or transfer) was not accepted; retry, preferably at `leaderHint` (0 if unknown). */
export class ProposalDroppedError extends Error {
  override readonly name = 'ProposalDroppedError';
  readonly leaderHint: NodeId;
  constructor(message: string, leaderHint: NodeId) {
    super(message);
    this.leaderHint = leaderHint;
  }
}

/** LogStorage: the requested index lies before the first retained entry (it was compacted away). */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  constructor(message = 'requested index is unavailable due to compaction') {
    super(message);
  }
}

/** LogStorage: the requested index lies beyond the last entry. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(message = 'requested entry at index is unavailable') {
    super(message);
  }
}

/** LogStorage: a snapshot is being made; the leader retries on a later round. */
export class SnapshotTemporarilyUnavailableError extends Error {
  override readonly name = 'SnapshotTemporarilyUnavailableError';
  constructor(message = 'snapshot is temporarily unavailable') {
    super(message);
  }
}

/** MemoryStorage: a snapshot older than the one held was offered. */
export class SnapshotOutOfDateError extends Error {
  override readonly name = 'SnapshotOutOfDateError';
  constructor(message = 'requested index is older than the existing snapshot') {
    super(message);
  }
}

/** A membership change that cannot be made from the current configuration. */
export class ConfChangeError extends Error {
  override readonly name = 'ConfChangeError';
}
