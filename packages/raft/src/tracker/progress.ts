/**
 * The leader's view of one follower. States (etcd's):
 * - probe: we do not know where the follower's log matches; send one MsgApp per heartbeat round.
 * - replicate: steady state; stream entries optimistically, bounded by the inflight window.
 * - snapshot: the follower needs a snapshot; send nothing until it is reported done or failed.
 */
import { Inflights } from './inflights';
import type { ProgressState } from '../types';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Index of the snapshot being sent, while in the snapshot state. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round (or a new leadership). */
  recentActive = false;
  /**
   * Probe: one MsgApp was sent; wait for an answer or the next heartbeat response. Replicate: the
   * inflight window is full; a heartbeat response clears it so that one empty MsgApp goes out,
   * which recovers the flow if every inflight MsgApp was lost.
   */
  msgAppFlowPaused = false;
  isLearner: boolean;
  /** The commit index the last MsgApp to this peer carried (raft.ts flushBroadcasts). */
  sentCommit = 0;
  /** Highest heartbeat round this peer acknowledged (read-only.ts). */
  ackedRound = 0;
  /** The periodic heartbeat round whose response last made the leader send this peer a catch-up
   *  append (raft.ts maybeCatchUp): at most one per round. */
  catchUpRound = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, isLearner: boolean) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Bookkeeping after sending a MsgApp with `count` entries. */
  sentEntries(count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next += count;
        this.inflights.add(this.next - 1);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      this.msgAppFlowPaused = true;
    }
  }

  /** An acknowledgement up to n; false if it was stale. */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * A rejection of the MsgApp sent after index `rejected`; `matchHint` is where the logs may match.
   * False if the rejection is stale (out of order).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.msgAppFlowPaused;
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
    }
  }
}
