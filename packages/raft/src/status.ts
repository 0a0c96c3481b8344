/** The operator's view of a node: role, term, leader, commit, applied and each follower's progress. */
import type { Raft } from './raft';
import { configToConfState } from './tracker/tracker';
import type { ProgressStatus, Status } from './types';
import type { NodeId } from '@ringkv/stdx';

export function getStatus(r: Raft): Status {
  const progress = new Map<NodeId, ProgressStatus>();
  if (r.state === 'leader') {
    for (const id of r.trk.ids()) {
      const pr = r.trk.progress.get(id)!;
      progress.set(id, {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        isLearner: pr.isLearner,
        recentActive: pr.recentActive,
        inflight: pr.inflights.count,
        pendingSnapshot: pr.pendingSnapshot,
      });
    }
  }
  return {
    id: r.id,
    role: r.state,
    term: r.term,
    vote: r.vote,
    leader: r.lead,
    commit: r.raftLog.committed,
    applied: r.raftLog.applied,
    lastIndex: r.raftLog.lastIndex(),
    confState: configToConfState(r.trk.config),
    leadTransferee: r.leadTransferee,
    progress,
  };
}
