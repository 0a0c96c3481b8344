/**
 * Majority quorum math over one set of voters. An empty set agrees with everything (so a joint
 * configuration with an empty half behaves as the other half alone).
 */
export type VoteResult = 'won' | 'lost' | 'pending';

/** majorityCommitted's working array, reused: the function never re-enters itself. */
const scratch: number[] = [];

/**
 * The largest value acknowledged by a majority. `acked` returns 0 for an unknown voter.
 *
 * A leader asks on every acknowledgement, so this sorts in place (insertion sort, descending) in
 * one reused array: voter sets are a handful, and Array.prototype.sort's fresh arrays were 3.5 %
 * of everything the Store bench allocated.
 */
export function majorityCommitted(voters: ReadonlySet<number>, acked: (id: number) => number): number {
  const n = voters.size;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  let k = 0;
  for (const id of voters) {
    const v = acked(id);
    let i = k++;
    while (i > 0 && scratch[i - 1]! < v) {
      scratch[i] = scratch[i - 1]!;
      i--;
    }
    scratch[i] = v;
  }
  return scratch[Math.floor(n / 2)]!;
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
