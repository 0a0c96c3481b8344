/**
 * Leadership confirmation for reads (Raft thesis §6.4). The leader numbers its heartbeat
 * broadcasts ("rounds"); followers echo the round in MsgHeartbeatResp.index. A read that arrives
 * needs a round sent AFTER it arrived to be acknowledged by a quorum; all reads waiting for the
 * same round share it, and at most one read-triggered round is in flight (later reads join the
 * next one). The start tick of the latest quorum-acknowledged round also gives the leader lease.
 */
import type { NodeId } from '@ringkv/stdx';

export interface PendingRead {
  readonly index: number;
  readonly context: Uint8Array;
  /** Who asked: the leader itself (answered by a ReadState) or a follower (MsgReadIndexResp). */
  readonly from: NodeId;
  readonly requiredRound: number;
}

/** Bound on reads waiting for confirmation; past it reads are refused. */
export const MAX_PENDING_READS = 4096;

export class ReadOnly {
  /** The last round sent. */
  round = 0;
  /** The highest round a quorum acknowledged. */
  quorumRound = 0;
  private readonly roundStartTick = new Map<number, number>();
  waiting: PendingRead[] = [];

  startRound(tick: number): number {
    this.round++;
    this.roundStartTick.set(this.round, tick);
    return this.round;
  }

  /** Queues a read confirmed by the next round to be sent. */
  add(index: number, context: Uint8Array, from: NodeId): void {
    this.waiting.push({ index, context, from, requiredRound: this.round + 1 });
  }

  /** A read waits for a round that has not been sent yet. */
  needsRound(): boolean {
    const last = this.waiting[this.waiting.length - 1];
    return last !== undefined && last.requiredRound > this.round;
  }

  inFlight(): boolean {
    return this.round > this.quorumRound;
  }

  /** A quorum acknowledged round r: returns the reads it confirms, oldest first. */
  advance(r: number): PendingRead[] {
    if (r <= this.quorumRound) return [];
    this.quorumRound = r;
    for (const k of this.roundStartTick.keys()) if (k < r) this.roundStartTick.delete(k);
    let n = 0;
    while (n < this.waiting.length && this.waiting[n]!.requiredRound <= r) n++;
    return n === 0 ? [] : this.waiting.splice(0, n);
  }

  /** Tick at which the latest quorum-acknowledged round was sent, if known. */
  leaseStartTick(): number | undefined {
    return this.roundStartTick.get(this.quorumRound);
  }

  /** Forgets start ticks older than `oldestTick` (they can no longer give a lease). */
  prune(oldestTick: number): void {
    for (const [k, t] of this.roundStartTick) if (t < oldestTick && k !== this.quorumRound) this.roundStartTick.delete(k);
  }

  pending(): number {
    return this.waiting.length;
  }
}
