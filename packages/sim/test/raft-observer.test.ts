import { describe, expect, it } from 'vitest';
import type { PartitionStatus } from '@ringkv/multiraft';
import { InvariantViolation, RaftObserver, type ObservedLog, type ObservedReplica, type ReplicaDigest } from '../src/raft-observer';

function status(partition: number, over: Partial<PartitionStatus> = {}): PartitionStatus {
  return { partition, replicas: [1, 2, 3], leader: 1, role: 'follower', term: 1, commit: 5, applied: 5, lastIndex: 5, ...over };
}

/** A replica whose digest of a partition is read at its status's applied index unless `digests` gives another. */
function replica(nodeId: number, statuses: PartitionStatus[], digests: Record<number, string | ReplicaDigest> = {}, incarnation = 1): ObservedReplica & { set(s: PartitionStatus[]): void } {
  let current = statuses;
  return {
    nodeId,
    incarnation,
    partitions: () => current,
    digest: async (p) => {
      const given = digests[p] ?? 'same';
      return typeof given === 'string' ? { appliedIndex: current.find((s) => s.partition === p)!.applied, digest: given } : given;
    },
    set: (s) => (current = s),
  };
}

describe('RaftObserver', () => {
  it('accepts a healthy cluster and converges', async () => {
    const o = new RaftObserver();
    const rs = [replica(1, [status(0, { role: 'leader' })]), replica(2, [status(0)]), replica(3, [status(0)])];
    await o.observe(rs, true);
    expect(o.stats.digestComparisons).toBe(2);
    expect(await o.unconverged(rs, 1)).toBeUndefined();
  });

  it('catches two leaders in one term, even observed at different times', async () => {
    const o = new RaftObserver();
    await o.observe([replica(1, [status(0, { role: 'leader', term: 4 })])], false);
    await o.observe([replica(1, [status(0, { term: 5 })]), replica(2, [status(0, { role: 'leader', term: 5 })])], false);
    await expect(o.observe([replica(3, [status(0, { role: 'leader', term: 4 })])], false)).rejects.toThrow(/two leaders in term 4/);
  });

  it('catches replicas at the same applied index with different state', async () => {
    const o = new RaftObserver();
    const rs = [replica(1, [status(0)], { 0: 'aaa' }), replica(2, [status(0)], { 0: 'bbb' }), replica(3, [status(0, { applied: 4 })], { 0: 'ccc' })];
    await expect(o.observe(rs, true)).rejects.toBeInstanceOf(InvariantViolation);
    await expect(o.observe(rs, false)).resolves.toBeUndefined();
  });

  it('compares digests by the applied index each was read at, not by the statuses', async () => {
    // Regression: with the KV engine's write queue a digest waits for LevelDB to take the queue,
    // and a replica applies more meanwhile; its state is then that of a later index.
    const o = new RaftObserver();
    const moved = [replica(1, [status(0)], { 0: { appliedIndex: 6, digest: 'six' } }), replica(2, [status(0)], { 0: 'five' })];
    await expect(o.observe(moved, true)).resolves.toBeUndefined();
    expect(await o.unconverged(moved, 1)).toMatch(/applied more while its digest was read/);
    const caughtUp = [replica(1, [status(0)], { 0: { appliedIndex: 6, digest: 'six' } }), replica(2, [status(0, { applied: 4 })], { 0: { appliedIndex: 6, digest: 'other' } })];
    await expect(new RaftObserver().observe(caughtUp, true)).rejects.toThrow(/nodes 1 and 2 both applied index 6 but hold different state/);
  });

  it('catches commit or applied going backwards within an incarnation, not across a restart', async () => {
    const o = new RaftObserver();
    const r = replica(1, [status(0, { commit: 9, applied: 9 })]);
    await o.observe([r], false);
    r.set([status(0, { commit: 9, applied: 7 })]);
    await expect(o.observe([r], false)).rejects.toThrow(/went back/);
    const restarted = replica(1, [status(0, { commit: 3, applied: 3 })], {}, 2);
    await expect(new RaftObserver().observe([restarted], false)).resolves.toBeUndefined();
    await expect(o.observe([restarted], false)).resolves.toBeUndefined();
    await expect(o.observe([replica(2, [status(0, { commit: 3, applied: 4 })])], false)).rejects.toThrow(/past commit/);
  });

  it('reports what has not converged', async () => {
    const o = new RaftObserver();
    expect(await o.unconverged([replica(1, [status(0, { leader: null })])], 1)).toMatch(/disagree on the leader/);
    expect(await o.unconverged([replica(1, [status(0)]), replica(2, [status(0, { applied: 4 })])], 1)).toMatch(/applied indexes/);
    expect(await o.unconverged([replica(1, [status(0)], { 0: 'a' }), replica(2, [status(0)], { 0: 'b' })], 1)).toMatch(/different states/);
    expect(await o.unconverged([replica(1, [status(0)])], 2)).toMatch(/partition 1: no live replica/);
  });
});

/** A log as (index, term) pairs: terms[k] is the term at index first + k. */
function log(first: number, terms: number[]): ObservedLog {
  return { firstIndex: () => first, lastIndex: () => first + terms.length - 1, term: (i) => terms[i - first]! };
}

function withLog(nodeId: number, st: PartitionStatus, l: ObservedLog): ObservedReplica {
  return { ...replica(nodeId, [st]), log: () => l };
}

describe('RaftObserver log checks', () => {
  it('accepts logs that agree, that diverge only after their last common entry, or that a leader extends', async () => {
    const o = new RaftObserver();
    await o.observe(
      [
        withLog(1, status(0, { role: 'leader', term: 3, applied: 4, commit: 4, lastIndex: 7 }), log(1, [1, 1, 2, 3, 3, 3])),
        withLog(2, status(0, { applied: 4, commit: 4 }), log(1, [1, 1, 2, 3])),
        // a stale suffix from term 2 that the leader will overwrite: fine, nothing matches past index 3
        withLog(3, status(0, { applied: 2, commit: 2 }), log(1, [1, 1, 2, 2, 2])),
      ],
      false,
    );
    expect(o.stats.logPairsCompared).toBe(3);
    expect(o.stats.committedChecked).toBeGreaterThan(0);
  });

  it('catches two logs with the same (index, term) that differ before it (log matching)', async () => {
    const o = new RaftObserver();
    const rs = [withLog(1, status(0, { applied: 1 }), log(1, [1, 1, 2, 2])), withLog(2, status(0, { applied: 1 }), log(1, [1, 1, 3, 2]))];
    await expect(o.observe(rs, false)).rejects.toThrow(/log matching broken: nodes 1 and 2 both hold term 2 at index 4 but differ at index 3/);
  });

  it('catches a committed entry that changes, seen on different replicas at different times', async () => {
    const o = new RaftObserver();
    await o.observe([withLog(1, status(0, { applied: 3, commit: 3 }), log(1, [1, 1, 2]))], false);
    await expect(o.observe([withLog(2, status(0, { applied: 3, commit: 3 }), log(1, [1, 1, 3]))], false)).rejects.toThrow(
      /committed at index 3 had term 2, but node 2 committed term 3/,
    );
  });

  it('catches a leader whose log lacks or replaced a committed entry (leader completeness)', async () => {
    const o = new RaftObserver();
    await o.observe([withLog(1, status(0, { applied: 4, commit: 4 }), log(1, [1, 1, 2, 2]))], false);
    // a deposed leader still in the term the commit was seen in (it has not heard of the new one) is exempt
    await o.observe([withLog(4, status(0, { role: 'leader', term: 1, applied: 2, commit: 2, lastIndex: 2 }), log(1, [1, 1]))], false);
    await expect(o.observe([withLog(2, status(0, { role: 'leader', term: 4, applied: 2, commit: 2, lastIndex: 3 }), log(1, [1, 1, 2]))], false)).rejects.toThrow(
      /leader 2 \(term 4\) lacks the entry committed at index 4/,
    );
    await expect(o.observe([withLog(3, status(0, { role: 'leader', term: 5, applied: 2, commit: 2, lastIndex: 4 }), log(1, [1, 1, 2, 4]))], false)).rejects.toThrow(
      /leader 3 \(term 5\) holds term 4 at index 4, where term 2 was committed/,
    );
  });
});
