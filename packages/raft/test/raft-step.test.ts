/**
 * Raft.step's term rules and the election timers, one crafted message at a time (etcd raft's
 * raft_test.go style): what a node does with a message from an older or a newer term, when it
 * grants a vote, when its lease makes it ignore one, and when its ticks start an election.
 */
import { AssertionError, NO_NODE, nodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { encodeConfChange, MemoryStorage, type HardState, type Message, type RaftConfig } from '../src/index';
import { Raft } from '../src/raft';
import { confState, ent, msg, raftConfig, snapshotAt } from './helpers';

/** raftConfig's election timeout in ticks. */
const ELECTION = 10;

function newRaft(id: number, opts: { voters?: number[]; learners?: number[]; extra?: Partial<RaftConfig>; hardState?: HardState; storage?: MemoryStorage } = {}): Raft {
  const storage = opts.storage ?? new MemoryStorage(confState(opts.voters ?? [1, 2, 3], opts.learners ?? []));
  if (opts.hardState !== undefined) storage.setHardState(opts.hardState);
  return new Raft(raftConfig(id, storage, opts.extra));
}

/** Everything the node queued to send, in order, and clears its queues. */
function sent(r: Raft): Message[] {
  const out = [...r.msgs, ...r.msgsAfterPersist];
  r.msgs = [];
  r.msgsAfterPersist = [];
  return out;
}

/** A follower of node `leader` at `term` (it heard a heartbeat), with its queues cleared. */
function followerOf(r: Raft, leader: number, term: number): Raft {
  r.step(msg('MsgHeartbeat', leader, Number(r.id), term));
  expect(r.lead).toBe(leader);
  sent(r);
  return r;
}

describe('Raft construction', () => {
  it('refuses a configuration it cannot run with', () => {
    const bad: Array<[Partial<RaftConfig>, RegExp]> = [
      [{ id: NO_NODE }, /cannot use none as id/],
      [{ heartbeatTick: 0 }, /heartbeatTick must be > 0/],
      [{ heartbeatTick: ELECTION }, /electionTick must be > heartbeatTick/],
      [{ maxInflightMsgs: 0 }, /maxInflightMsgs must be > 0/],
      [{ maxSizePerMsgBytes: 0 }, /maxSizePerMsgBytes must be > 0/],
      [{ maxUncommittedEntriesSizeBytes: 0 }, /maxUncommittedEntriesSizeBytes must be > 0/],
    ];
    for (const [extra, message] of bad) {
      expect(() => newRaft(1, { extra })).toThrow(AssertionError);
      expect(() => newRaft(1, { extra })).toThrow(message);
    }
    expect(() => newRaft(1, { extra: { heartbeatTick: ELECTION - 1, maxInflightMsgs: 1, maxSizePerMsgBytes: 1, maxUncommittedEntriesSizeBytes: 1 } })).not.toThrow();
  });

  it('refuses a stored commit index outside the log it holds', () => {
    const beyond = new MemoryStorage(confState([1, 2, 3]));
    beyond.append([ent(1, 1), ent(2, 1)]);
    expect(() => newRaft(1, { storage: beyond, hardState: { term: 1, vote: NO_NODE, commit: 3 } })).toThrow(/state.commit 3 is out of range \[0, 2\]/);
    const below = new MemoryStorage(confState([1, 2, 3]));
    below.applySnapshot(snapshotAt(5, 1));
    expect(() => newRaft(1, { storage: below, hardState: { term: 1, vote: NO_NODE, commit: 4 } })).toThrow(/state.commit 4 is out of range \[5, 5\]/);
    expect(newRaft(1, { storage: below, hardState: { term: 1, vote: NO_NODE, commit: 5 } }).raftLog.committed).toBe(5);
  });

  it('knows from its configuration whether it is a learner', () => {
    expect(newRaft(1, { voters: [2, 3], learners: [1] }).isLearner).toBe(true);
    expect(newRaft(1).isLearner).toBe(false);
  });

  it('will not send a vote message without the term it is about', () => {
    const r = newRaft(1);
    for (const type of ['MsgVote', 'MsgPreVote', 'MsgVoteResp', 'MsgPreVoteResp'] as const) {
      expect(() => r.send({ type, to: nodeId(2) })).toThrow(/term should be set when sending/);
    }
    r.send({ type: 'MsgAppResp', to: nodeId(2) }); // other messages carry the node's own term
    expect(sent(r)).toMatchObject([{ type: 'MsgAppResp', term: 0 }]);
  });
});

describe('Raft.step: messages from an older term', () => {
  it('answers a stale append or heartbeat with its own term under check-quorum or pre-vote, and ignores it otherwise', () => {
    for (const extra of [{ checkQuorum: true }, { preVote: true }]) {
      for (const type of ['MsgApp', 'MsgHeartbeat'] as const) {
        const r = followerOf(newRaft(1, { extra }), 2, 5);
        r.step(msg(type, 3, 1, 4));
        expect(sent(r)).toMatchObject([{ type: 'MsgAppResp', to: 3, term: 5, reject: false }]);
        expect({ term: r.term, lead: r.lead }).toEqual({ term: 5, lead: 2 });
      }
      // Other stale messages are dropped without an answer.
      const r = followerOf(newRaft(1, { extra }), 2, 5);
      r.step(msg('MsgAppResp', 3, 1, 4));
      r.step(msg('MsgHeartbeatResp', 3, 1, 4));
      expect(sent(r)).toEqual([]);
    }
    const plain = followerOf(newRaft(1), 2, 5);
    plain.step(msg('MsgApp', 3, 1, 4));
    plain.step(msg('MsgHeartbeat', 3, 1, 4));
    expect(sent(plain)).toEqual([]);
  });

  it("rejects a stale candidate's vote or pre-vote request with its own term", () => {
    const r = followerOf(newRaft(1), 2, 5);
    r.step(msg('MsgVote', 3, 1, 4, { index: 9, logTerm: 4 }));
    expect(sent(r)).toMatchObject([{ type: 'MsgVoteResp', to: 3, term: 5, reject: true }]);
    r.step(msg('MsgPreVote', 3, 1, 4, { index: 9, logTerm: 4 }));
    expect(sent(r)).toMatchObject([{ type: 'MsgPreVoteResp', to: 3, term: 5, reject: true }]);
    expect({ term: r.term, vote: r.vote }).toEqual({ term: 5, vote: NO_NODE });
  });
});

describe('Raft.step: messages from a newer term', () => {
  it('follows the sender of a newer append, heartbeat or snapshot; any other newer message leaves it without a leader', () => {
    for (const type of ['MsgApp', 'MsgHeartbeat'] as const) {
      const r = newRaft(1);
      r.step(msg(type, 2, 1, 3));
      expect({ state: r.state, term: r.term, lead: r.lead }).toEqual({ state: 'follower', term: 3, lead: 2 });
    }
    const r = followerOf(newRaft(1), 2, 3);
    r.step(msg('MsgAppResp', 3, 1, 4));
    expect({ state: r.state, term: r.term, lead: r.lead }).toEqual({ state: 'follower', term: 4, lead: NO_NODE });
  });

  it('a pre-vote request, or a granted pre-vote answer, does not move its term; a refused one does', () => {
    const r = followerOf(newRaft(1, { extra: { preVote: true } }), 2, 3);
    r.step(msg('MsgPreVote', 3, 1, 4, { index: 1, logTerm: 3 }));
    expect(r.term).toBe(3);
    expect(sent(r)).toMatchObject([{ type: 'MsgPreVoteResp', to: 3, term: 4, reject: false }]);

    const c = newRaft(1, { voters: [1, 2, 3, 4, 5], extra: { preVote: true }, hardState: { term: 3, vote: NO_NODE, commit: 0 } });
    c.step(msg('MsgHup', 1, 1, 0));
    expect({ state: c.state, term: c.term }).toEqual({ state: 'preCandidate', term: 3 });
    c.step(msg('MsgPreVoteResp', 2, 1, 4));
    expect({ state: c.state, term: c.term }).toEqual({ state: 'preCandidate', term: 3 });
    c.step(msg('MsgPreVoteResp', 3, 1, 7, { reject: true }));
    expect({ state: c.state, term: c.term, lead: c.lead }).toEqual({ state: 'follower', term: 7, lead: NO_NODE });
  });
});

describe('Raft.step: votes', () => {
  it("counts each voter's first answer in an election: a later one from the same voter changes nothing", () => {
    const r = newRaft(1, { voters: [1, 2, 3, 4, 5] });
    r.step(msg('MsgHup', 1, 1, 0));
    r.step(msg('MsgVoteResp', 2, 1, 1));
    r.step(msg('MsgVoteResp', 2, 1, 1, { reject: true }));
    expect(r.state).toBe('candidate');
    r.step(msg('MsgVoteResp', 3, 1, 1)); // 1, 2 and 3 of 5
    expect(r.state).toBe('leader');

    const lost = newRaft(1, { voters: [1, 2, 3] });
    lost.step(msg('MsgHup', 1, 1, 0));
    lost.step(msg('MsgVoteResp', 2, 1, 1, { reject: true }));
    lost.step(msg('MsgVoteResp', 2, 1, 1));
    expect(lost.state).toBe('candidate');
    lost.step(msg('MsgVoteResp', 3, 1, 1, { reject: true }));
    expect({ state: lost.state, term: lost.term }).toEqual({ state: 'follower', term: 1 });
  });

  it('grants its vote again to the candidate it voted for, and to no one else in that term', () => {
    const r = newRaft(1);
    r.step(msg('MsgVote', 2, 1, 1));
    r.step(msg('MsgVote', 2, 1, 1));
    r.step(msg('MsgVote', 3, 1, 1));
    expect(sent(r)).toMatchObject([
      { type: 'MsgVoteResp', to: 2, term: 1, reject: false },
      { type: 'MsgVoteResp', to: 2, term: 1, reject: false },
      { type: 'MsgVoteResp', to: 3, term: 1, reject: true },
    ]);
    expect(r.vote).toBe(2);
  });

  it('refuses a vote or a pre-vote in a term whose leader it knows, and a pre-vote for its own term', () => {
    const r = followerOf(newRaft(1), 2, 3); // knows leader 2 in term 3, voted for no one
    r.step(msg('MsgVote', 3, 1, 3, { index: 5, logTerm: 3 }));
    expect(sent(r)).toMatchObject([{ type: 'MsgVoteResp', to: 3, term: 3, reject: true }]);
    r.step(msg('MsgPreVote', 3, 1, 3, { index: 5, logTerm: 3 }));
    expect(sent(r)).toMatchObject([{ type: 'MsgPreVoteResp', to: 3, term: 3, reject: true }]);
    // A pre-vote for a later term is granted (without check-quorum there is no lease to keep).
    r.step(msg('MsgPreVote', 3, 1, 4, { index: 5, logTerm: 3 }));
    expect(sent(r)).toMatchObject([{ type: 'MsgPreVoteResp', to: 3, term: 4, reject: false }]);
  });

  it('under check-quorum ignores a newer vote request within an election timeout of hearing its leader, unless it is a leader transfer', () => {
    const r = followerOf(newRaft(1, { extra: { checkQuorum: true } }), 2, 3);
    r.electionElapsed = ELECTION - 1;
    r.step(msg('MsgVote', 3, 1, 4, { index: 5, logTerm: 3 }));
    expect(sent(r)).toEqual([]);
    expect(r.term).toBe(3);
    r.step(msg('MsgVote', 3, 1, 4, { index: 5, logTerm: 3, context: new TextEncoder().encode('CampaignTransfer') }));
    expect(sent(r)).toMatchObject([{ type: 'MsgVoteResp', to: 3, term: 4, reject: false }]);

    const late = followerOf(newRaft(1, { extra: { checkQuorum: true } }), 2, 3);
    late.electionElapsed = ELECTION; // the leader's lease is over
    late.step(msg('MsgVote', 3, 1, 4, { index: 5, logTerm: 3 }));
    expect(sent(late)).toMatchObject([{ type: 'MsgVoteResp', to: 3, term: 4, reject: false }]);
  });

  it('after a restart under check-quorum honours the lease of a leader it may have acknowledged, for one election timeout of ticks', () => {
    // A learner: it counts ticks like a follower but never campaigns, so no election resets them.
    const restarted = (): Raft => newRaft(1, { voters: [2, 3], learners: [1], extra: { checkQuorum: true }, hardState: { term: 3, vote: NO_NODE, commit: 0 } });
    const r = restarted();
    r.tick();
    r.step(msg('MsgVote', 3, 1, 4, { index: 5, logTerm: 3 }));
    expect(sent(r)).toEqual([]);

    const s = restarted();
    for (let i = 0; i < ELECTION; i++) s.tick();
    // A newer message that names no leader restarts the election clock (and leaves no leader):
    // only the restart lease could keep the node from voting now, and it is over.
    s.step(msg('MsgAppResp', 2, 1, 4));
    expect({ lead: s.lead, electionElapsed: s.electionElapsed }).toEqual({ lead: NO_NODE, electionElapsed: 0 });
    s.step(msg('MsgVote', 3, 1, 5, { index: 5, logTerm: 3 }));
    expect(sent(s)).toMatchObject([{ type: 'MsgVoteResp', to: 3, term: 5, reject: false }]);
  });
});

describe('Raft.step: reads', () => {
  it("a follower passes another node's read on to its leader as that node's, and drops it when it knows no leader", () => {
    const r = followerOf(newRaft(1), 2, 3);
    const context = new TextEncoder().encode('r7');
    r.step(msg('MsgReadIndex', 3, 1, 3, { context }));
    expect(sent(r)).toMatchObject([{ type: 'MsgReadIndex', from: 3, to: 2, context }]);
    // The leader answers the node that asked.
    const leader = newRaft(2, { voters: [2] });
    leader.step(msg('MsgHup', 2, 2, 0));
    leader.raftLog.commitTo(leader.raftLog.lastIndex()); // its term's entry, as if persisted and committed
    leader.step(msg('MsgReadIndex', 3, 2, 1, { context }));
    expect(sent(leader).filter((m) => m.type === 'MsgReadIndexResp')).toMatchObject([{ from: 2, to: 3, context }]);

    const orphan = newRaft(1);
    orphan.step(msg('MsgReadIndex', 3, 1, 1, { context }));
    expect(sent(orphan)).toEqual([]);
  });
});

describe('Raft.step: snapshots on a follower', () => {
  it('refuses a snapshot at or below its commit index, answering with that index', () => {
    const storage = new MemoryStorage(confState([1, 2, 3]));
    storage.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    const r = newRaft(1, { storage, hardState: { term: 1, vote: NO_NODE, commit: 3 } });
    r.step(msg('MsgSnap', 2, 1, 1, { snapshot: snapshotAt(3, 1) }));
    expect(r.raftLog.unstable.snapshot).toBeUndefined();
    expect(sent(r)).toMatchObject([{ type: 'MsgAppResp', to: 2, index: 3 }]);
  });

  it('only moves its commit index for a snapshot its log already holds, keeping the entries after it', () => {
    const storage = new MemoryStorage(confState([1, 2, 3]));
    storage.append([1, 2, 3, 4, 5].map((i) => ent(i, 1)));
    const r = newRaft(1, { storage, hardState: { term: 1, vote: NO_NODE, commit: 2 } });
    r.step(msg('MsgSnap', 2, 1, 1, { snapshot: snapshotAt(3, 1) }));
    expect(r.raftLog.unstable.snapshot).toBeUndefined();
    expect({ committed: r.raftLog.committed, last: r.raftLog.lastIndex() }).toEqual({ committed: 3, last: 5 });
    expect(sent(r)).toMatchObject([{ type: 'MsgAppResp', to: 2, index: 3 }]);
    // One whose term differs from the log's at its index replaces the log.
    r.step(msg('MsgSnap', 2, 1, 2, { snapshot: snapshotAt(4, 2) }));
    expect(r.raftLog.unstable.snapshot?.metadata).toMatchObject({ index: 4, term: 2 });
    expect(sent(r)).toMatchObject([{ type: 'MsgAppResp', to: 2, index: 4 }]);
  });
});

describe('Raft.step: a candidate, a follower and a leader between them', () => {
  it('a candidate steps down for a heartbeat or a snapshot from the leader of its own term', () => {
    for (const type of ['MsgHeartbeat', 'MsgSnap'] as const) {
      const r = newRaft(1);
      r.step(msg('MsgHup', 1, 1, 0));
      expect({ state: r.state, term: r.term }).toEqual({ state: 'candidate', term: 1 });
      const snapshot = snapshotAt(3, 1);
      r.step(msg(type, 2, 1, 1, type === 'MsgSnap' ? { snapshot } : {}));
      expect({ state: r.state, term: r.term, lead: r.lead }).toEqual({ state: 'follower', term: 1, lead: 2 });
    }
  });

  it('a follower passes a leader transfer request on to its leader, and drops it when it knows no leader', () => {
    const r = followerOf(newRaft(1), 2, 3);
    r.step(msg('MsgTransferLeader', 3, 1, 0));
    expect(sent(r)).toMatchObject([{ type: 'MsgTransferLeader', from: 3, to: 2 }]);
    const orphan = newRaft(1);
    orphan.step(msg('MsgTransferLeader', 3, 1, 0));
    expect(sent(orphan)).toEqual([]);
  });

  it("the leader resumes probing after a snapshot's status: past the snapshot when it was applied, from the follower's match when it failed", () => {
    const snapshotLeader = (): Raft => {
      const storage = new MemoryStorage(confState([1, 2, 3]));
      storage.applySnapshot(snapshotAt(5, 1));
      const r = newRaft(1, { storage, hardState: { term: 1, vote: NO_NODE, commit: 5 } });
      r.step(msg('MsgHup', 1, 1, 0));
      r.step(msg('MsgVoteResp', 2, 1, 2));
      expect(r.state).toBe('leader');
      sent(r);
      // Follower 2 has nothing: its rejection sends the leader back below its compaction point.
      r.step(msg('MsgAppResp', 2, 1, 2, { index: 5, reject: true, rejectHint: 0 }));
      expect(sent(r)).toMatchObject([{ type: 'MsgSnap', to: 2, snapshot: { metadata: { index: 5 } } }]);
      expect(r.trk.progress.get(nodeId(2))).toMatchObject({ state: 'snapshot', pendingSnapshot: 5 });
      return r;
    };
    const applied = snapshotLeader();
    applied.step(msg('MsgSnapStatus', 2, 1, 0));
    expect(applied.trk.progress.get(nodeId(2))).toMatchObject({ state: 'probe', next: 6, msgAppFlowPaused: true });
    const failed = snapshotLeader();
    failed.step(msg('MsgSnapStatus', 2, 1, 0, { reject: true }));
    expect(failed.trk.progress.get(nodeId(2))).toMatchObject({ state: 'probe', next: 1, pendingSnapshot: 0, msgAppFlowPaused: true });
    // A status for a follower that is not being sent a snapshot changes nothing.
    const before = { ...failed.trk.progress.get(nodeId(3))! };
    failed.step(msg('MsgSnapStatus', 3, 1, 0, { reject: true }));
    expect(failed.trk.progress.get(nodeId(3))).toMatchObject({ state: before.state, next: before.next, msgAppFlowPaused: before.msgAppFlowPaused });
  });
});

describe('Raft elections', () => {
  it('campaigns exactly when its ticks reach the randomized election timeout', () => {
    const r = newRaft(1);
    const timeout = r.randomizedElectionTimeout;
    for (let i = 1; i < timeout; i++) r.tick();
    expect(r.state).toBe('follower');
    r.tick();
    expect({ state: r.state, term: r.term }).toEqual({ state: 'candidate', term: 1 });
  });

  it('a single voter with pre-vote wins the pre-vote and the election at once, in term 1', () => {
    const r = newRaft(1, { voters: [1], extra: { preVote: true } });
    r.step(msg('MsgHup', 1, 1, 0));
    expect({ state: r.state, term: r.term, lead: r.lead }).toEqual({ state: 'leader', term: 1, lead: 1 });
  });

  it('a leader or a learner ignores MsgHup', () => {
    const leader = newRaft(1, { voters: [1] });
    leader.step(msg('MsgHup', 1, 1, 0));
    expect({ state: leader.state, term: leader.term }).toEqual({ state: 'leader', term: 1 });
    leader.step(msg('MsgHup', 1, 1, 0));
    expect({ state: leader.state, term: leader.term }).toEqual({ state: 'leader', term: 1 });

    const learner = newRaft(1, { voters: [2, 3], learners: [1] });
    learner.step(msg('MsgHup', 1, 1, 0));
    expect({ state: learner.state, term: learner.term }).toEqual({ state: 'follower', term: 0 });
  });

  it('does not campaign while a snapshot it received waits to be persisted', () => {
    const r = newRaft(1);
    r.step(msg('MsgSnap', 2, 1, 2, { snapshot: snapshotAt(5, 2) }));
    expect(r.raftLog.unstable.snapshot).toBeDefined();
    r.step(msg('MsgHup', 1, 1, 0));
    expect({ state: r.state, term: r.term }).toEqual({ state: 'follower', term: 2 });
  });

  it('committed but unapplied entries hold an election back only when a conf change is among them', () => {
    const cc = encodeConfChange({ transition: 'auto', changes: [{ type: 'addLearner', nodeId: nodeId(4) }] });
    const withLog = (types: Array<'normal' | 'confChange'>): Raft => {
      const storage = new MemoryStorage(confState([1, 2, 3]));
      storage.append(types.map((type, i) => (type === 'normal' ? ent(i + 1, 1, 'x') : { index: i + 1, term: 1, type, data: cc })));
      storage.setHardState({ term: 1, vote: NO_NODE, commit: types.length });
      return newRaft(1, { storage });
    };
    const normal = withLog(['normal', 'normal']);
    normal.step(msg('MsgHup', 1, 1, 0));
    expect(normal.state).toBe('candidate');
    const mixed = withLog(['normal', 'confChange', 'normal']);
    mixed.step(msg('MsgHup', 1, 1, 0));
    expect(mixed.state).toBe('follower');
  });
});

describe('Raft leader ticks', () => {
  /** Node 1 leading 2 and 3 in term 1, its queues cleared. */
  function leader(extra: Partial<RaftConfig> = {}): Raft {
    const r = newRaft(1, { extra });
    r.step(msg('MsgHup', 1, 1, 0));
    r.step(msg('MsgVoteResp', 2, 1, 1));
    expect(r.state).toBe('leader');
    sent(r);
    return r;
  }

  it('steps down after an election timeout without hearing a quorum only under check-quorum', () => {
    const cq = leader({ checkQuorum: true });
    for (let i = 0; i < 2 * ELECTION; i++) cq.tick();
    expect(cq.state).toBe('follower');
    const plain = leader();
    for (let i = 0; i < 2 * ELECTION; i++) plain.tick();
    expect(plain.state).toBe('leader');
  });

  it('gives up a leader transfer that has not completed within an election timeout', () => {
    const r = leader();
    r.step(msg('MsgTransferLeader', 3, 1, 0));
    expect(r.leadTransferee).toBe(3);
    for (let i = 1; i < ELECTION; i++) r.tick();
    expect(r.leadTransferee).toBe(3);
    r.tick();
    expect({ state: r.state, leadTransferee: r.leadTransferee }).toEqual({ state: 'leader', leadTransferee: NO_NODE });
  });

  it('takes one leader transfer at a time: a repeat changes nothing, another target replaces it, a learner or itself is no target', () => {
    const r = leader();
    r.step(msg('MsgTransferLeader', 3, 1, 0));
    for (let i = 0; i < 5; i++) r.tick();
    r.step(msg('MsgTransferLeader', 3, 1, 0)); // the same transfer: its deadline stays
    expect(r.leadTransferee).toBe(3);
    for (let i = 0; i < 5; i++) r.tick();
    expect(r.leadTransferee).toBe(NO_NODE);

    r.step(msg('MsgTransferLeader', 3, 1, 0));
    r.step(msg('MsgTransferLeader', 2, 1, 0));
    expect(r.leadTransferee).toBe(2);
    r.step(msg('MsgTransferLeader', 1, 1, 0)); // to itself: the transfer to 2 is abandoned
    expect(r.leadTransferee).toBe(NO_NODE);

    const withLearner = newRaft(1, { voters: [1, 2, 3], learners: [4] });
    withLearner.step(msg('MsgHup', 1, 1, 0));
    withLearner.step(msg('MsgVoteResp', 2, 1, 1));
    withLearner.step(msg('MsgTransferLeader', 4, 1, 0));
    expect(withLearner.leadTransferee).toBe(NO_NODE);
  });

  it('sends a heartbeat every heartbeatTick ticks, not on every tick', () => {
    const r = leader({ heartbeatTick: 3 });
    const beats: number[] = [];
    for (let i = 1; i <= 9; i++) {
      r.tick();
      if (sent(r).some((m) => m.type === 'MsgHeartbeat')) beats.push(i);
    }
    expect(beats).toEqual([3, 6, 9]);
  });
});

