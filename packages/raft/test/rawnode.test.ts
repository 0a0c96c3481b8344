/** RawNode's contract with its caller: Ready contents, persist-before-reply, typed refusals. */
import { AssertionError, NO_NODE, nodeId, type NodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange, MemoryStorage, ProposalDroppedError, RawNode, type Message, type RaftConfig, type Ready } from '../src/index';
import { confState, msg, raftConfig as config, snapshotAt } from './helpers';

const enc = new TextEncoder();

class Group {
  storages = new Map<NodeId, MemoryStorage>();
  nodes = new Map<NodeId, RawNode>();
  queue: Message[] = [];
  applied = new Map<NodeId, string[]>();
  /** Every read state each node's Ready answered, as [index, context]. */
  reads = new Map<NodeId, Array<[number, string]>>();

  constructor(n: number, extra: Partial<RaftConfig> = {}) {
    const voters = Array.from({ length: n }, (_, i) => i + 1);
    for (const v of voters) {
      const s = new MemoryStorage(confState(voters));
      this.storages.set(nodeId(v), s);
      this.nodes.set(nodeId(v), new RawNode(config(v, s, extra)));
      this.applied.set(nodeId(v), []);
      this.reads.set(nodeId(v), []);
    }
  }

  node(id: number): RawNode {
    return this.nodes.get(nodeId(id))!;
  }

  /** Writes what a Ready asks to persist into the node's storage. */
  persist(id: NodeId, rd: Ready): void {
    const s = this.storages.get(id)!;
    if (rd.hardState) s.setHardState(rd.hardState);
    s.append(rd.entries);
  }

  handle(id: NodeId): boolean {
    const n = this.nodes.get(id)!;
    if (!n.hasReady()) return false;
    const rd = n.ready();
    this.persist(id, rd);
    this.queue.push(...rd.messages.map((m) => structuredClone(m)), ...rd.messagesAfterPersist.map((m) => structuredClone(m)));
    for (const r of rd.readStates) this.reads.get(id)!.push([r.index, new TextDecoder().decode(r.context)]);
    for (const e of rd.committedEntries) {
      if (e.type === 'confChange') n.applyConfChange(decodeConfChange(e.data));
      else if (e.data.length > 0) this.applied.get(id)!.push(new TextDecoder().decode(e.data));
    }
    n.advance();
    return true;
  }

  settle(): void {
    for (let i = 0; i < 100; i++) {
      let progress = false;
      for (const id of this.nodes.keys()) progress = this.handle(id) || progress;
      const q = this.queue;
      this.queue = [];
      for (const m of q) this.nodes.get(m.to)?.step(m);
      if (!progress && q.length === 0) return;
    }
    throw new Error('did not settle');
  }
}

/** A 3-voter group led by 1. */
function ledByOne(extra: Partial<RaftConfig> = {}): { g: Group; leader: RawNode } {
  const g = new Group(3, extra);
  g.node(1).campaign();
  g.settle();
  return { g, leader: g.node(1) };
}

describe('RawNode', () => {
  it('a single voter elects itself but commits only after its own entry is persisted', () => {
    const s = new MemoryStorage(confState([1]));
    const n = new RawNode(config(1, s));
    n.campaign();
    const rd = n.ready();
    expect(rd.softState).toEqual({ leader: 1, role: 'leader' });
    expect(rd.entries.map((e) => e.index)).toEqual([1]);
    expect(rd.committedEntries).toEqual([]);
    expect(rd.mustSync).toBe(true);
    s.setHardState(rd.hardState!);
    s.append(rd.entries);
    n.advance();
    const rd2 = n.ready();
    expect(rd2.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(rd2.mustSync).toBe(false);
    n.advance();
    expect(n.hasReady()).toBe(false);
    expect(n.isIdle()).toBe(true);
  });

  it('puts votes and append acknowledgements in messagesAfterPersist, the leader MsgApp in messages', () => {
    const g = new Group(3);
    g.node(1).campaign();
    const rd = g.node(1).ready();
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['MsgVote', 'MsgVote']);
    g.node(1).advance();
    g.node(2).step(rd.messagesAfterPersist[0]!);
    const rd2 = g.node(2).ready();
    expect(rd2.hardState).toMatchObject({ term: 1, vote: 1 });
    expect(rd2.mustSync).toBe(true);
    expect(rd2.messagesAfterPersist.map((m) => m.type)).toEqual(['MsgVoteResp']);
    g.node(2).advance();
    g.node(1).step(rd2.messagesAfterPersist[0]!);
    const rd3 = g.node(1).ready();
    expect(rd3.softState?.role).toBe('leader');
    expect(rd3.messages.map((m) => m.type)).toEqual(['MsgApp', 'MsgApp']);
    g.node(1).advance();
    g.node(2).step(rd3.messages[0]!);
    const rd4 = g.node(2).ready();
    expect(rd4.messages).toEqual([]);
    expect(rd4.messagesAfterPersist.map((m) => m.type)).toEqual(['MsgAppResp']);
  });

  it('gives every Ready and every sent message one shape (absent parts undefined, never missing keys)', () => {
    // V8 builds an object literal with optional parts spread in on its slow path, and every
    // consumer of differently shaped objects goes megamorphic: both were in a node's perf profile.
    const READY_KEYS = ['softState', 'hardState', 'readStates', 'entries', 'snapshot', 'committedEntries', 'messages', 'messagesAfterPersist', 'mustSync'];
    const MESSAGE_KEYS = ['type', 'from', 'to', 'term', 'logTerm', 'index', 'entries', 'commit', 'reject', 'rejectHint', 'snapshot', 'context'];
    const g = new Group(3);
    const readies: Ready[] = [];
    const persist = g.persist.bind(g);
    g.persist = (id, rd) => {
      readies.push(rd);
      persist(id, rd);
    };
    g.node(1).campaign();
    g.settle();
    g.node(1).propose(enc.encode('x'));
    g.settle();
    const messages = readies.flatMap((rd) => [...rd.messages, ...rd.messagesAfterPersist]);
    expect(new Set(messages.map((m) => m.type))).toEqual(new Set(['MsgVote', 'MsgVoteResp', 'MsgApp', 'MsgAppResp']));
    for (const rd of readies) expect(Object.keys(rd)).toEqual(READY_KEYS);
    expect(readies.some((rd) => rd.softState === undefined) && readies.some((rd) => rd.softState !== undefined)).toBe(true);
    for (const m of messages) expect(Object.keys(m)).toEqual(MESSAGE_KEYS);
  });

  it('refuses ready() twice without advance(), local messages and proposals as messages', () => {
    const n = new RawNode(config(1, new MemoryStorage(confState([1]))));
    n.campaign();
    n.ready();
    expect(() => n.ready()).toThrow(AssertionError);
    expect(() => n.advance()).not.toThrow();
    expect(() => n.advance()).toThrow(AssertionError);
    const local = msg('MsgHup', 1, 1, 0);
    expect(() => n.step(local)).toThrow(/local message/);
    expect(() => n.step({ ...local, type: 'MsgProp', term: 1 })).toThrow(/not forwarded/);
  });

  it('a follower refuses proposals with a leader hint', () => {
    const g = new Group(3);
    g.node(1).campaign();
    g.settle();
    const err = (() => {
      try {
        g.node(2).propose(enc.encode('x'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ProposalDroppedError);
    expect((err as ProposalDroppedError).leaderHint).toBe(1);
    const r = g.node(1).propose(enc.encode('x'));
    expect(r).toEqual({ index: 2, term: 1 });
    g.settle();
    expect(g.applied.get(nodeId(3))).toEqual(['x']);
  });

  it('restarts from storage with its term, vote and commit', () => {
    const g = new Group(3);
    g.node(1).campaign();
    g.settle();
    g.node(1).propose(enc.encode('a'));
    g.settle();
    const n = new RawNode({ ...config(2, g.storages.get(nodeId(2))!), applied: 2 });
    const st = n.status();
    expect(st).toMatchObject({ term: 1, vote: 1, commit: 2, applied: 2, lastIndex: 2, role: 'follower' });
    expect(n.hasReady()).toBe(false);
  });

  it('never campaigns while a committed conf change is unapplied', () => {
    const s = new MemoryStorage(confState([1, 2]));
    const cc = encodeConfChange({ transition: 'auto', changes: [{ type: 'addNode', nodeId: nodeId(3) }] });
    s.append([{ index: 1, term: 1, type: 'confChange', data: cc }]);
    s.setHardState({ term: 1, vote: NO_NODE, commit: 1 });
    const n = new RawNode(config(1, s));
    n.campaign();
    expect(n.status().role).toBe('follower');
    const rd = n.ready();
    expect(rd.committedEntries.map((e) => e.type)).toEqual(['confChange']);
    n.applyConfChange(decodeConfChange(rd.committedEntries[0]!.data));
    n.advance();
    n.campaign();
    expect(n.status().role).toBe('candidate');
  });

  it('answers a read on a single voter at once, and a lease read only with check-quorum', () => {
    const n = new RawNode(config(1, new MemoryStorage(confState([1]))));
    n.campaign();
    const s = n.raft.raftLog.storage as MemoryStorage;
    let rd = n.ready();
    s.append(rd.entries);
    n.advance();
    n.readIndex(enc.encode('r'));
    rd = n.ready();
    expect(rd.readStates).toEqual([{ index: 1, context: enc.encode('r') }]);
    n.advance();

    const g = new Group(3); // no check-quorum
    g.node(1).campaign();
    g.settle();
    g.node(1).readIndex(enc.encode('l'), 'lease');
    const rd2 = g.node(1).ready();
    expect(rd2.readStates).toEqual([]); // falls back to a heartbeat round
    expect(rd2.messages.map((m) => m.type)).toEqual(['MsgHeartbeat', 'MsgHeartbeat']);
  });

  it('a heartbeat round acknowledged a tick after it was sent still gives the lease', () => {
    const { g, leader } = ledByOne({ checkQuorum: true });
    expect(leader.raft.leaseValid()).toBe(false); // no heartbeat round acknowledged yet
    leader.tick(); // round 1 leaves
    g.handle(nodeId(1));
    const round1 = g.queue.filter((m) => m.type === 'MsgHeartbeat');
    expect(round1).toHaveLength(2);
    g.queue = [];
    leader.tick(); // its acknowledgements are still on their way (round 2 is lost)
    g.handle(nodeId(1));
    g.queue = [];
    for (const m of round1) g.node(m.to).step(m);
    g.settle();
    expect(leader.raft.leaseValid()).toBe(true);
    leader.readIndex(enc.encode('lease'), 'lease');
    const rd = leader.ready();
    expect(rd.readStates).toEqual([{ index: leader.status().commit, context: enc.encode('lease') }]);
    expect(rd.messages.filter((m) => m.type === 'MsgHeartbeat')).toEqual([]);
  });

  describe('reads', () => {
    /** A 3-voter group led by 1 whose first heartbeat round was acknowledged (the lease holds with check-quorum). */
    function withRound(extra: Partial<RaftConfig>): { g: Group; leader: RawNode } {
      const led = ledByOne(extra);
      led.leader.tick();
      led.g.settle();
      return led;
    }

    it('a new leader answers no read before an entry of its term commits, then the reads that waited', () => {
      const g = new Group(3);
      const n1 = g.node(1);
      n1.campaign();
      g.handle(nodeId(1));
      const votes = g.queue.splice(0);
      for (const m of votes) g.node(m.to).step(m);
      g.handle(nodeId(2));
      g.handle(nodeId(3));
      for (const m of g.queue.splice(0)) n1.step(m);
      expect(n1.status()).toMatchObject({ role: 'leader', commit: 0 });
      n1.readIndex(enc.encode('early'));
      expect(n1.raft.pendingReadCount()).toBe(1);
      const rd = n1.ready();
      expect(rd.readStates).toEqual([]);
      expect(rd.messages.map((m) => m.type)).toEqual(['MsgApp', 'MsgApp']); // the term's entry, no heartbeat round yet
      g.persist(nodeId(1), rd);
      g.queue.push(...rd.messages, ...rd.messagesAfterPersist);
      n1.advance();
      g.settle();
      // Answered at the index that includes the term's first entry, after a heartbeat round.
      expect(g.reads.get(nodeId(1))).toEqual([[1, 'early']]);
      expect(n1.raft.pendingReadCount()).toBe(0);
    });

    it('a safe read waits for a heartbeat round even while the lease holds; a lease read does not', () => {
      const { g, leader } = withRound({ checkQuorum: true });
      expect(leader.raft.leaseValid()).toBe(true);
      leader.readIndex(enc.encode('safe'), 'safe');
      let rd = leader.ready();
      expect(rd.readStates).toEqual([]);
      expect(rd.messages.map((m) => m.type)).toEqual(['MsgHeartbeat', 'MsgHeartbeat']);
      leader.advance();
      leader.readIndex(enc.encode('lease'), 'lease');
      rd = leader.ready();
      expect(rd.readStates).toEqual([{ index: 1, context: enc.encode('lease') }]);
      leader.advance();
      g.queue = [];
    });

    it('without check-quorum, or once MsgTimeoutNow has gone to a transferee, the lease serves no read', () => {
      const plain = withRound({});
      expect(plain.leader.raft.leaseValid()).toBe(false);
      plain.leader.readIndex(enc.encode('l'), 'lease');
      expect(plain.leader.ready().messages.map((m) => m.type)).toEqual(['MsgHeartbeat', 'MsgHeartbeat']);

      const { leader } = withRound({ checkQuorum: true });
      expect(leader.raft.leaseValid()).toBe(true);
      leader.transferLeader(nodeId(2)); // node 2 is up to date: MsgTimeoutNow leaves at once
      expect(leader.ready().messages.map((m) => m.type)).toContain('MsgTimeoutNow');
      leader.advance();
      expect(leader.raft.leaseValid()).toBe(false);
      leader.readIndex(enc.encode('l'), 'lease');
      expect(leader.ready().readStates).toEqual([]);
    });

    it('refuses a read past the bound of waiting reads, and a read on a follower that knows no leader', () => {
      const { g, leader } = ledByOne();
      for (let i = 0; i < 4096; i++) leader.readIndex(enc.encode(`r${i}`));
      expect(leader.raft.pendingReadCount()).toBe(4096);
      expect(() => leader.readIndex(enc.encode('one too many'))).toThrow(ProposalDroppedError);
      // A follower's forwarded read is dropped without an answer (the follower times it out).
      leader.step(msg('MsgReadIndex', 2, 1, 1, { context: enc.encode('f') }));
      expect(leader.raft.pendingReadCount()).toBe(4096);
      expect(leader.ready().messages.filter((m) => m.type === 'MsgReadIndexResp')).toEqual([]);
      leader.advance();
      g.queue = [];

      const fresh = new Group(3);
      expect(() => fresh.node(2).readIndex(enc.encode('x'))).toThrow(ProposalDroppedError);
    });
  });

  describe('mustSync', () => {
    /** A message to node 2. */
    const m = (type: Message['type'], from: number, term: number, rest: Partial<Message> = {}): Message => msg(type, from, 2, term, rest);
    /** Takes node 2's Ready, persists it and advances; returns it. */
    function cycle(n: RawNode, s: MemoryStorage): Ready {
      const rd = n.ready();
      if (rd.snapshot !== undefined) s.applySnapshot(rd.snapshot);
      if (rd.hardState !== undefined) s.setHardState(rd.hardState);
      s.append(rd.entries);
      n.advance();
      return rd;
    }

    it('asks for a synced write when the term, the vote, entries or a snapshot changed, and only then', () => {
      const s = new MemoryStorage(confState([1, 2, 3]));
      const n = new RawNode(config(2, s));
      n.step(m('MsgAppResp', 3, 1)); // a newer term that names no leader: only the term moves
      let rd = cycle(n, s);
      expect({ hardState: rd.hardState, entries: rd.entries.length, mustSync: rd.mustSync }).toEqual({ hardState: { term: 1, vote: NO_NODE, commit: 0 }, entries: 0, mustSync: true });
      n.step(m('MsgVote', 1, 1)); // only the vote moves
      rd = cycle(n, s);
      expect({ hardState: rd.hardState, entries: rd.entries.length, mustSync: rd.mustSync }).toEqual({ hardState: { term: 1, vote: 1, commit: 0 }, entries: 0, mustSync: true });
      n.step(m('MsgApp', 1, 1, { entries: [{ index: 1, term: 1, type: 'normal', data: enc.encode('a') }] })); // only entries
      rd = cycle(n, s);
      expect({ hardState: rd.hardState, entries: rd.entries.length, mustSync: rd.mustSync }).toEqual({ hardState: undefined, entries: 1, mustSync: true });
      n.step(m('MsgHeartbeat', 1, 1, { commit: 1 })); // only the commit index: nothing to sync
      rd = cycle(n, s);
      expect({ commit: rd.hardState?.commit, entries: rd.entries.length, mustSync: rd.mustSync }).toEqual({ commit: 1, entries: 0, mustSync: false });
      const snapshot = snapshotAt(9, 1);
      n.step(m('MsgSnap', 1, 1, { snapshot })); // only a snapshot (its commit rides along)
      rd = cycle(n, s);
      expect({ snapshot: rd.snapshot?.metadata.index, entries: rd.entries.length, mustSync: rd.mustSync }).toEqual({ snapshot: 9, entries: 0, mustSync: true });
      // Once the snapshot's Ready is advanced, the node counts as having applied it.
      expect(n.status()).toMatchObject({ commit: 9, applied: 9 });
    });
  });

  it('reportSnapshot: a delivered snapshot resumes probing past it, a failed one from the follower\'s match', () => {
    const leaderWithSnapshot = (): RawNode => {
      const s = new MemoryStorage(confState([1, 2, 3]));
      s.applySnapshot(snapshotAt(5, 1));
      s.setHardState({ term: 1, vote: NO_NODE, commit: 5 });
      const n = new RawNode(config(1, s));
      n.campaign();
      n.step(msg('MsgVoteResp', 2, 1, 2));
      expect(n.status().role).toBe('leader');
      n.step(msg('MsgAppResp', 2, 1, 2, { index: 5, reject: true }));
      expect(n.status().progress.get(nodeId(2))).toMatchObject({ state: 'snapshot' });
      return n;
    };
    const delivered = leaderWithSnapshot();
    delivered.reportSnapshot(nodeId(2), true);
    expect(delivered.status().progress.get(nodeId(2))).toMatchObject({ state: 'probe', next: 6 });
    const failed = leaderWithSnapshot();
    failed.reportSnapshot(nodeId(2), false);
    expect(failed.status().progress.get(nodeId(2))).toMatchObject({ state: 'probe', next: 1 });
  });

  it('bounds uncommitted bytes but always admits one entry', () => {
    const g = new Group(3, { maxUncommittedEntriesSizeBytes: 4 });
    g.node(1).campaign();
    g.settle();
    g.node(1).propose(enc.encode('123456')); // larger than the bound, but nothing is uncommitted
    expect(() => g.node(1).propose(enc.encode('x'))).toThrow(ProposalDroppedError);
    g.settle();
    expect(() => g.node(1).propose(enc.encode('x'))).not.toThrow();
  });

  it('reports status with per-follower progress on the leader only', () => {
    const g = new Group(3);
    g.node(1).campaign();
    g.settle();
    const st = g.node(1).status();
    expect(st.role).toBe('leader');
    expect([...st.progress.keys()]).toEqual([1, 2, 3]);
    expect(st.progress.get(nodeId(2))).toMatchObject({ match: 1, next: 2, state: 'replicate' });
    expect(g.node(2).status().progress.size).toBe(0);
    expect(g.node(1).isIdle()).toBe(true);
    g.node(1).propose(enc.encode('p'));
    expect(g.node(1).isIdle()).toBe(false);
  });

  it('transfers leadership and refuses proposals while transferring', () => {
    const g = new Group(3);
    g.node(1).campaign();
    g.settle();
    g.node(1).transferLeader(nodeId(2));
    expect(g.node(1).status().leadTransferee).toBe(2);
    expect(() => g.node(1).propose(enc.encode('x'))).toThrow(/transferred/);
    g.settle();
    expect(g.node(2).status().role).toBe('leader');
    expect(g.node(1).status().leader).toBe(2);
  });

  describe('commit broadcasts', () => {
    /** A 3-voter group led by 1 with `a` proposed, persisted and acknowledged by both followers
     *  (the acknowledgements not yet stepped): returns them. */
    function ackedProposal(): { g: Group; acks: Message[] } {
      const g = new Group(3);
      g.node(1).campaign();
      g.settle();
      g.node(1).propose(enc.encode('a'));
      g.handle(nodeId(1));
      const apps = g.queue;
      g.queue = [];
      for (const m of apps) g.nodes.get(m.to)!.step(m);
      g.handle(nodeId(2));
      g.handle(nodeId(3));
      const acks = g.queue;
      g.queue = [];
      expect(acks.map((m) => m.type)).toEqual(['MsgAppResp', 'MsgAppResp']);
      return { g, acks };
    }

    it('a commit learned from acknowledgements and the proposals made before the next Ready share one MsgApp per follower', () => {
      const { g, acks } = ackedProposal();
      const leader = g.node(1);
      for (const m of acks) leader.step(m);
      leader.propose(enc.encode('b'));
      const rd = leader.ready();
      const committed = rd.committedEntries.map((e) => new TextDecoder().decode(e.data));
      expect(committed).toEqual(['a']);
      const apps = rd.messages.filter((m) => m.type === 'MsgApp');
      // Before, the commit went out at once in an empty MsgApp, then the proposal in a second one.
      expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
      for (const m of apps) {
        expect(m.entries.map((e) => new TextDecoder().decode(e.data))).toEqual(['b']);
        expect(m.commit).toBe(rd.committedEntries.at(-1)!.index);
      }
    });

    it('a commit with nothing new to send still reaches every follower, in an empty MsgApp', () => {
      const { g, acks } = ackedProposal();
      const leader = g.node(1);
      for (const m of acks) leader.step(m);
      const rd = leader.ready();
      const apps = rd.messages.filter((m) => m.type === 'MsgApp');
      expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
      for (const m of apps) {
        expect(m.entries).toEqual([]);
        expect(m.commit).toBe(rd.committedEntries.at(-1)!.index);
      }
      leader.advance();
      // ...and the followers apply it once they step it.
      g.queue.push(...rd.messages);
      g.settle();
      for (const id of [2, 3]) expect(g.applied.get(nodeId(id))).toEqual(['a']);
    });
  });
  describe('catch-up appends on heartbeat responses', () => {
    const enc = new TextEncoder();
    /** A group led by node 1 whose proposal 'a' went out to both followers and was lost on the way. */
    function appendsLost(): { g: Group; leader: RawNode } {
      const { g, leader } = ledByOne();
      leader.propose(enc.encode('a'));
      g.handle(nodeId(1));
      expect(g.queue.filter((m) => m.type === 'MsgApp' && m.entries!.length > 0).map((m) => m.to)).toEqual([2, 3]);
      g.queue = []; // lost
      return { g, leader };
    }
    /** Delivers the leader's heartbeats of its next Ready to both followers and their answers back;
     *  returns the MsgApps the leader sends after stepping the answers. */
    function heartbeatRoundTrip(g: Group, leader: RawNode): Message[] {
      const rd = leader.ready();
      leader.advance();
      const hbs = rd.messages.filter((m) => m.type === 'MsgHeartbeat');
      expect(hbs.map((m) => m.to)).toEqual([2, 3]);
      for (const hb of hbs) for (const r of g.node(hb.to).stepNow(hb)!.messages) leader.step(r);
      return leader.hasReady() ? leader.ready().messages.filter((m) => m.type === 'MsgApp') : [];
    }

    it('a read round sends no append to followers whose appends are in flight', () => {
      const { g, leader } = appendsLost();
      for (let i = 0; i < 5; i++) {
        leader.readIndex(enc.encode(`r${i}`));
        expect(heartbeatRoundTrip(g, leader)).toEqual([]);
        leader.advance();
      }
    });

    it('a periodic heartbeat recovers lost appends, once per follower per heartbeat', () => {
      const { g, leader } = appendsLost();
      leader.tick(); // heartbeatTick 1: a periodic heartbeat (MsgBeat)
      const catchUp = heartbeatRoundTrip(g, leader);
      leader.advance();
      // One empty append per follower, from where the leader believes it is: each rejects it...
      expect(catchUp.map((m) => [m.to, m.entries!.length])).toEqual([
        [2, 0],
        [3, 0],
      ]);
      // ...and a read round right after the same heartbeat sends none again.
      leader.readIndex(enc.encode('r'));
      expect(heartbeatRoundTrip(g, leader)).toEqual([]);
      leader.advance();
      // The rejections move the leader back to probing, and 'a' reaches and commits everywhere.
      g.queue = catchUp.map((m) => structuredClone(m));
      g.settle();
      for (const id of [1, 2, 3]) expect(g.applied.get(nodeId(id))).toEqual(['a']);
    });

    it('a follower being probed gets its entries on every heartbeat response, read rounds included', () => {
      const { g, leader } = appendsLost();
      leader.tick();
      const catchUp = heartbeatRoundTrip(g, leader);
      leader.advance();
      // The followers reject the empty appends; the leader probes them with 'a', and loses the probes.
      for (const m of catchUp) g.node(m.to).step(structuredClone(m));
      g.queue = [];
      for (const id of [2, 3]) g.handle(nodeId(id));
      for (const m of g.queue) leader.step(m);
      g.queue = [];
      expect(leader.ready().messages.filter((m) => m.type === 'MsgApp').map((m) => [m.to, m.entries!.length])).toEqual([
        [2, 1],
        [3, 1],
      ]);
      leader.advance();
      // Two read rounds within the same periodic heartbeat: each response sends the probe again.
      for (let i = 0; i < 2; i++) {
        leader.readIndex(enc.encode(`r${i}`));
        expect(heartbeatRoundTrip(g, leader).map((m) => [m.to, m.entries!.length])).toEqual([
          [2, 1],
          [3, 1],
        ]);
        leader.advance();
      }
    });

    it('a caught-up follower moved to probing (unreachable) gets an append on a read round, to resume pipelining', () => {
      const { g, leader } = ledByOne();
      leader.propose(enc.encode('a'));
      g.settle();
      leader.reportUnreachable(nodeId(3)); // replicating -> probing, with nothing left to send
      leader.readIndex(enc.encode('r'));
      expect(heartbeatRoundTrip(g, leader).map((m) => [m.to, m.entries!.length])).toEqual([[3, 0]]);
      leader.advance();
    });

    it('a follower with entries the leader has not sent yet gets an append on every heartbeat response', () => {
      // One entry per message and one message in flight: 'b' waits for the pipeline.
      const { g, leader } = ledByOne({ maxSizePerMsgBytes: 1, maxInflightMsgs: 1 });
      for (const v of ['a', 'b']) leader.propose(enc.encode(v));
      const first = leader.ready();
      g.persist(nodeId(1), first);
      leader.advance();
      expect(first.messages.filter((m) => m.type === 'MsgApp').map((m) => [m.to, m.entries!.map((e) => new TextDecoder().decode(e.data))])).toEqual([
        [2, ['a']],
        [3, ['a']],
      ]); // and lost
      // Each read round's response sends an append (empty while the window is full: its answer
      // clears the window), not only the first response after a periodic heartbeat.
      for (let i = 0; i < 2; i++) {
        leader.readIndex(enc.encode(`r${i}`));
        expect(heartbeatRoundTrip(g, leader).map((m) => m.to)).toEqual([2, 3]);
        leader.advance();
      }
    });
  });

  describe('readIndexNow', () => {
    const text = (c: Uint8Array): string => new TextDecoder().decode(c);

    it("starts a read on the leader at once, also while its Ready is outstanding: the heartbeat round goes out now", () => {
      const { g, leader } = ledByOne();
      leader.propose(enc.encode('a'));
      const outstanding = leader.ready();
      const out = leader.readIndexNow(enc.encode('r1'))!;
      expect(out.messages.map((m) => [m.type, m.to])).toEqual([
        ['MsgHeartbeat', 2],
        ['MsgHeartbeat', 3],
      ]);
      expect(out.readStates).toEqual([]);
      // A second read while that round is out shares the next one: nothing to send now.
      expect(leader.readIndexNow(enc.encode('r2'))!.messages).toEqual([]);
      // The followers answer; the first answer confirms r1 (the leader plus one is a quorum)
      // and starts the round r2 waits for.
      const f2 = g.node(2);
      const resp = f2.stepNow(out.messages[0]!)!.messages[0]!;
      const confirmed = leader.stepNow(resp)!;
      expect(confirmed.readStates.map((rs) => text(rs.context))).toEqual(['r1']);
      expect(confirmed.messages.filter((m) => m.type === 'MsgHeartbeat').map((m) => m.to)).toEqual([2, 3]);
      // The outstanding Ready finishes as usual and hands out nothing of the reads.
      expect(outstanding.readStates).toEqual([]);
      g.persist(nodeId(1), outstanding);
      g.queue.push(...outstanding.messages);
      leader.advance();
      g.settle();
      expect(g.applied.get(nodeId(2))).toEqual(['a']);
    });

    it('answers at once when no round is needed: a valid lease', () => {
      const { g, leader } = ledByOne({ checkQuorum: true });
      // A heartbeat round acknowledged by a quorum gives the lease.
      for (let i = 0; i < 3; i++) {
        leader.tick();
        g.settle();
      }
      const out = leader.readIndexNow(enc.encode('l'), 'lease')!;
      expect(out.messages).toEqual([]);
      expect(out.readStates.map((rs) => text(rs.context))).toEqual(['l']);
    });

    it('does nothing on a follower or with messages waiting for the next Ready', () => {
      const { g, leader } = ledByOne();
      expect(g.node(2).readIndexNow(enc.encode('f'))).toBeUndefined();
      leader.propose(enc.encode('x'));
      // The proposal's append waits for the next Ready: the read must not overtake it.
      expect(leader.hasReady()).toBe(true);
      expect(leader.readIndexNow(enc.encode('w'))).toBeUndefined();
      const rd = leader.ready();
      expect(rd.messages.filter((m) => m.type === 'MsgHeartbeat')).toEqual([]);
      expect(rd.readStates).toEqual([]);
    });

    it('keeps a read that arrives before the leader committed an entry of its term and starts it then', () => {
      const g = new Group(3);
      g.node(1).campaign();
      // Elected (votes stepped), its empty entry not committed yet.
      const leader = g.node(1);
      for (let i = 0; i < 4 && leader.status().role !== 'leader'; i++) {
        for (const id of [1, 2, 3]) {
          const n = g.node(id);
          if (!n.hasReady()) continue;
          const rd = n.ready();
          g.persist(nodeId(id), rd);
          const msgs = [...rd.messages, ...rd.messagesAfterPersist];
          n.advance();
          for (const m of msgs) if (m.type !== 'MsgApp') g.node(m.to).step(m);
        }
      }
      expect(leader.status().role).toBe('leader');
      // Its empty entry persisted, the appends carrying it not delivered yet.
      const rd = leader.ready();
      g.persist(nodeId(1), rd);
      leader.advance();
      expect(leader.readIndexNow(enc.encode('early'))).toEqual({ messages: [], readStates: [] });
      // Once the term's entry commits, the read's heartbeat round goes out in a Ready.
      g.queue.push(...rd.messages);
      g.settle();
      expect(g.reads.get(nodeId(1))!.map(([, c]) => c)).toEqual(['early']);
    });
  });

  describe('stepNow', () => {
    /** Starts a linearizable read on the leader: the heartbeat its Ready sends to node 2. */
    function readRound(leader: RawNode, context: string): Message {
      leader.readIndex(enc.encode(context));
      const rd = leader.ready();
      leader.advance();
      return rd.messages.find((m) => m.type === 'MsgHeartbeat' && m.to === 2)!;
    }

    it('confirms a ReadIndex through followers whose Ready is still being persisted, and the rounds go on', () => {
      const { g, leader } = ledByOne();
      // The leader proposes; follower 2 takes the append into a Ready and starts persisting it.
      leader.propose(enc.encode('a'));
      g.handle(nodeId(1));
      const apps = g.queue.filter((m) => m.to === 2);
      g.queue = [];
      const f2 = g.node(2);
      for (const m of apps) f2.step(m);
      const persisting = f2.ready();
      expect(persisting.entries.map((e) => new TextDecoder().decode(e.data))).toEqual(['a']);
      // A linearizable read on the leader: its heartbeat round goes out in the next Ready.
      const hb = readRound(leader, 'r1');
      expect(hb).toBeDefined();
      // Follower 2 answers at once, between its ready() and advance().
      const out = f2.stepNow(hb)!;
      expect(out.messages.map((m) => [m.type, m.to])).toEqual([['MsgHeartbeatResp', 1]]);
      expect(out.readStates).toEqual([]);
      // The leader, with its own Ready for the next proposal outstanding, confirms the read.
      leader.propose(enc.encode('b'));
      const leaderRd = leader.ready();
      const confirmed = leader.stepNow(out.messages[0]!)!;
      expect(confirmed.readStates.map((rs) => new TextDecoder().decode(rs.context))).toEqual(['r1']);
      // The outstanding Readies finish as usual, and nothing is handed out twice.
      g.persist(nodeId(2), persisting);
      f2.advance();
      g.queue.push(...persisting.messagesAfterPersist, ...leaderRd.messages);
      g.persist(nodeId(1), leaderRd);
      leader.advance();
      g.settle();
      expect(g.applied.get(nodeId(2))).toEqual(['a', 'b']);
      expect(leader.hasReady()).toBe(false);
    });

    it('steps nothing it cannot answer now: another type or term, a node that is not the follower of the sender, messages waiting', () => {
      const { g, leader } = ledByOne();
      const hb = readRound(leader, 'r');
      const f2 = g.node(2);
      const f3 = g.node(3);
      expect(f2.stepNow({ ...hb, term: hb.term + 1 })).toBeUndefined();
      expect(f2.stepNow({ ...hb, from: nodeId(3) })).toBeUndefined();
      expect(leader.stepNow({ ...hb, from: nodeId(2), to: nodeId(1) })).toBeUndefined();
      expect(f2.stepNow({ ...hb, type: 'MsgApp' })).toBeUndefined();
      // A response to the wrong role, or another type of response on the leader.
      const resp = { ...hb, type: 'MsgHeartbeatResp' as const, from: nodeId(2), to: nodeId(1) };
      expect(f2.stepNow({ ...resp, from: nodeId(1), to: nodeId(2) })).toBeUndefined();
      expect(f2.stepNow({ ...resp, type: 'MsgAppResp', from: nodeId(1), to: nodeId(2) })).toBeUndefined();
      expect(leader.stepNow({ ...resp, type: 'MsgVoteResp' })).toBeUndefined();
      expect(leader.stepNow({ ...resp, type: 'MsgAppResp', term: resp.term - 1 })).toBeUndefined();
      // A node with messages waiting for its next Ready keeps the answer behind them.
      f3.step({ ...hb, to: nodeId(3) });
      expect(f3.stepNow({ ...hb, to: nodeId(3) })).toBeUndefined();
      // ...also when what waits is an acknowledgement that must be persisted first.
      leader.propose(enc.encode('x'));
      const app = leader.ready().messages.find((m) => m.type === 'MsgApp' && m.to === 2)!;
      leader.advance();
      f2.step(app);
      expect(f2.stepNow(hb)).toBeUndefined();
      // None of the refused ones was stepped; follower 2 answers once it handed out what waited.
      const waiting = f2.ready();
      expect(waiting.messages.filter((m) => m.type === 'MsgHeartbeatResp')).toEqual([]);
      expect(waiting.messagesAfterPersist.map((m) => m.type)).toEqual(['MsgAppResp']);
      expect(f2.stepNow(hb)!.messages.map((m) => m.type)).toEqual(['MsgHeartbeatResp']);
    });

    /** The leader proposes `data` and persists it (its Ready done); follower 2 persists it too and
     *  returns its acknowledgement, not yet delivered. */
    function persistedButUnacked(g: Group, leader: RawNode, data: string): Message {
      leader.propose(enc.encode(data));
      const rd = leader.ready();
      g.persist(nodeId(1), rd);
      leader.advance();
      const f2 = g.node(2);
      for (const m of rd.messages.filter((m) => m.to === 2)) f2.step(m);
      const frd = f2.ready();
      g.persist(nodeId(2), frd);
      f2.advance();
      return frd.messagesAfterPersist.find((m) => m.type === 'MsgAppResp')!;
    }

    it("takes an append response while the leader's next Ready is out: the commit it completes is applied in that Ready (moreCommittedEntries)", () => {
      const { g, leader } = ledByOne();
      const ack = persistedButUnacked(g, leader, 'a');
      const a = leader.status().lastIndex;
      // The next Ready is out (a proposal being persisted), and 'a' is not committed in it.
      leader.propose(enc.encode('b'));
      const rd = leader.ready();
      expect(rd.committedEntries).toEqual([]);
      expect(leader.moreCommittedEntries(a + 1)).toEqual([]);
      // The acknowledgement arrives: stepped at once, it commits 'a' (leader and follower 2).
      const out = leader.stepNow(ack)!;
      expect(out).toEqual({ messages: [], readStates: [] });
      expect(leader.status().commit).toBe(a);
      // Only what the caller holds durably: nothing below 'a', then 'a', and never twice.
      expect(leader.moreCommittedEntries(a - 1)).toEqual([]);
      expect(leader.moreCommittedEntries(a + 1).map((e) => new TextDecoder().decode(e.data))).toEqual(['a']);
      expect(leader.moreCommittedEntries(a + 1)).toEqual([]);
      g.persist(nodeId(1), rd);
      leader.advance();
      // advance() counted 'a' applied: no later Ready hands it out again.
      expect(leader.status().applied).toBe(a);
      // ...and released their bytes from the leader's uncommitted budget.
      expect(leader.raft.uncommittedSizeBytes).toBe(new TextEncoder().encode('b').length);
      const next = leader.ready();
      expect(next.committedEntries.map((e) => e.index)).not.toContain(a);
      leader.advance();
    });

    it("adds to the Ready's own committed entries: the next ones in order, and advance() counts all of them", () => {
      const { g, leader } = ledByOne();
      const ackA = persistedButUnacked(g, leader, 'a');
      const ackB = persistedButUnacked(g, leader, 'b');
      const b = leader.status().lastIndex;
      leader.step(ackA);
      // This Ready applies 'a'; 'b' commits while it is out.
      const rd = leader.ready();
      expect(rd.committedEntries.map((e) => new TextDecoder().decode(e.data))).toEqual(['a']);
      leader.stepNow(ackB);
      expect(leader.moreCommittedEntries(b).map((e) => [e.index, new TextDecoder().decode(e.data)])).toEqual([[b, 'b']]);
      leader.advance();
      expect(leader.status().applied).toBe(b);
      // The next Ready tells the followers the commit, and applies nothing again.
      const next = leader.ready();
      expect(next.committedEntries).toEqual([]);
      expect(next.messages.filter((m) => m.type === 'MsgApp').map((m) => [m.to, m.commit])).toEqual([
        [2, b],
        [3, b],
      ]);
      leader.advance();
    });

    it('hands out nothing past a snapshot the Ready installs: those entries wait for the next Ready', () => {
      const s2 = new MemoryStorage(confState([1, 2, 3]));
      const n = new RawNode(config(2, s2));
      const snapshot = snapshotAt(9, 1);
      n.step(msg('MsgSnap', 1, 2, 1, { snapshot }));
      const rd = n.ready();
      expect(rd.snapshot?.metadata.index).toBe(9);
      // Entries after the snapshot, committed, arrive while its Ready is out.
      const after = [10, 11].map((index) => ({ index, term: 1, type: 'normal' as const, data: enc.encode(`e${index}`) }));
      n.step(msg('MsgApp', 1, 2, 1, { index: 9, logTerm: 1, entries: after, commit: 11 }));
      expect(n.status().commit).toBe(11);
      expect(n.moreCommittedEntries(11)).toEqual([]);
      s2.applySnapshot(rd.snapshot!);
      n.advance();
      const next = n.ready();
      expect(next.committedEntries.map((e) => e.index)).toEqual([10, 11]);
    });

    it('moreCommittedEntries belongs between ready() and advance()', () => {
      const { leader } = ledByOne();
      expect(() => leader.moreCommittedEntries(100)).toThrow(AssertionError);
    });
  });
});
