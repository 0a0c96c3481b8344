import { describe, expect, it } from 'vitest';
import type { PartitionStatus } from '@ringkv/multiraft';
import { InvariantViolation, RaftObserver, type ObservedReplica } from '../src/raft-observer';

function status(partition: number, over: Partial<PartitionStatus> = {}): PartitionStatus {
  return { partition, replicas: [1, 2, 3], leader: 1, role: 'follower', term: 1, commit: 5, applied: 5, lastIndex: 5, ...over };
}

function replica(nodeId: number, statuses: PartitionStatus[], digests: Record<number, string> = {}, incarnation = 1): ObservedReplica & { set(s: PartitionStatus[]): void } {
  let current = statuses;
  return {
    nodeId,
    incarnation,
    partitions: () => current,
    digest: async (p) => digests[p] ?? 'same',
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
