/**
 * The membership configuration and the leader's progress for every member, plus the votes of an
 * election in progress.
 */
import type { NodeId } from '@ringkv/stdx';
import { jointCommitted, jointVoteResult } from '../quorum/joint';
import type { VoteResult } from '../quorum/majority';
import type { ConfState } from '../types';
import type { Progress } from './progress';

export interface TrackerConfig {
  incoming: Set<NodeId>;
  /** Non-empty only in a joint configuration. */
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  /** Outgoing voters that become learners when the joint configuration is left. */
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

export function emptyConfig(): TrackerConfig {
  return { incoming: new Set(), outgoing: new Set(), learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

export function cloneConfig(c: TrackerConfig): TrackerConfig {
  return {
    incoming: new Set(c.incoming),
    outgoing: new Set(c.outgoing),
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

const sorted = (s: ReadonlySet<NodeId>): NodeId[] => [...s].sort((a, b) => a - b);

export function configToConfState(c: TrackerConfig): ConfState {
  return {
    voters: sorted(c.incoming),
    learners: sorted(c.learners),
    votersOutgoing: sorted(c.outgoing),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export function isJoint(c: TrackerConfig): boolean {
  return c.outgoing.size > 0;
}

export class ProgressTracker {
  config: TrackerConfig = emptyConfig();
  progress = new Map<NodeId, Progress>();
  votes = new Map<number, boolean>();

  /** Every voter of either half, sorted. */
  voterIds(): NodeId[] {
    const s = new Set<NodeId>(this.config.incoming);
    for (const id of this.config.outgoing) s.add(id);
    return sorted(s);
  }

  isVoter(id: NodeId): boolean {
    return this.config.incoming.has(id) || this.config.outgoing.has(id);
  }

  /**
   * All members with progress, sorted (voters and learners). The leader asks for them every time
   * it broadcasts, so the sorted array is kept while it still names exactly the members with
   * progress (checked on each call: `progress` is replaced and edited in several places).
   */
  ids(): readonly NodeId[] {
    const cached = this.sortedIds;
    if (cached !== undefined && cached.length === this.progress.size) {
      let same = true;
      for (let i = 0; i < cached.length && same; i++) same = this.progress.has(cached[i]!);
      if (same) return cached;
    }
    return (this.sortedIds = [...this.progress.keys()].sort((a, b) => a - b));
  }

  private sortedIds: NodeId[] | undefined = undefined;

  isSingleton(): boolean {
    return this.config.incoming.size === 1 && this.config.outgoing.size === 0;
  }

  /** The largest index acknowledged by a (joint) quorum of voters. */
  committed(): number {
    return jointCommitted(this.config.incoming, this.config.outgoing, (id) => this.progress.get(id as NodeId)?.match ?? 0);
  }

  /** The highest value of `f` that a (joint) quorum has reached. */
  quorumValue(f: (id: NodeId) => number): number {
    return jointCommitted(this.config.incoming, this.config.outgoing, (id) => f(id as NodeId));
  }

  /** Did a quorum of voters show signs of life (recentActive) since the last check? */
  quorumActive(self: NodeId): boolean {
    const votes = new Map<number, boolean>();
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      votes.set(id, id === self || pr.recentActive);
    }
    return jointVoteResult(this.config.incoming, this.config.outgoing, votes) === 'won';
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** The election's outcome so far under the current configuration (learners' votes do not count). */
  voteResult(): VoteResult {
    return jointVoteResult(this.config.incoming, this.config.outgoing, this.votes);
  }
}
