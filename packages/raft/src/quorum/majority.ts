/**
 * Majority quorum math over one set of voters. An empty set agrees with everything (so a joint
 * configuration with an empty half behaves as the other half alone).
 */
export type VoteResult = 'won' | 'lost' | 'pending';

/** The largest value acknowledged by a majority. `acked` returns 0 for an unknown voter. */
export function majorityCommitted(voters: ReadonlySet<number>, acked: (id: number) => number): number {
  const n = voters.size;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  const values: number[] = [];
  for (const id of voters) values.push(acked(id));
  values.sort((a, b) => b - a);
  return values[Math.floor(n / 2)]!;
}

/** `votes`: true granted, false rejected, absent not yet heard. */
export function majorityVoteResult(voters: ReadonlySet<number>, votes: ReadonlyMap<number, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}
