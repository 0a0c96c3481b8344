/**
 * Joint quorum: a decision needs a majority of the incoming AND of the outgoing voters.
 */
import { majorityCommitted, majorityVoteResult, type VoteResult } from './majority';

export function jointCommitted(incoming: ReadonlySet<number>, outgoing: ReadonlySet<number>, acked: (id: number) => number): number {
  return Math.min(majorityCommitted(incoming, acked), majorityCommitted(outgoing, acked));
}

export function jointVoteResult(incoming: ReadonlySet<number>, outgoing: ReadonlySet<number>, votes: ReadonlyMap<number, boolean>): VoteResult {
  const r1 = majorityVoteResult(incoming, votes);
  const r2 = majorityVoteResult(outgoing, votes);
  if (r1 === r2) return r1;
  if (r1 === 'lost' || r2 === 'lost') return 'lost';
  return 'pending';
}
