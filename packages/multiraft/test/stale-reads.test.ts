/**
 * Stale reads bounded by maxStalenessMs: a replica serves one only while it can prove that its
 * applied state holds every write committed more than that long ago (replica-freshness.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '@ringkv/raft';
import { ManualClock, nodeId, utf8Decode } from '@ringkv/stdx';
import type { Group } from '../src/group';
import { decodePeerFrame, encodePeerFrame } from '../src/peer-frame';
import { ReplicaFreshness } from '../src/replica-freshness';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});


let seq = 0;
const session = () => ({ clientId: 'stale-test', seq: ++seq });
const valueOf = (v: unknown) => (typeof v === 'string' ? v : v instanceof Uint8Array ? utf8Decode(v) : JSON.stringify(v));

describe('bounded stale reads on a cluster', () => {
  it('serves a follower in sync, and refuses one cut off from its leader towards the leader', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 2 }));
    await c.waitForPreferredLeaders();
    const p = 0;
    const leaderId = c.leaderIdOf(p)!;
    const followerId = c.followerIdOf(p);
    const follower = c.store(followerId);
    const key = c.keyIn(p);
    await c.drive(c.store(leaderId).put({ key, value: 'v1', session: session() }));
    // Heartbeats every 10 ms carry the leader's proof: within a few the follower is provably fresh.
    await c.runFor(30);
    const fresh = await c.drive(follower.get(key, { consistency: 'stale', maxStalenessMs: 50 }));
    expect(valueOf(fresh.record?.value)).toBe('v1');

    c.net.isolate(nodeId(followerId), true, c.ids);
    await c.drive(c.store(leaderId).put({ key, value: 'v2', session: session() }));
    await c.runFor(60);
    // Unbounded, the cut-off follower still answers, with what it has.
    const old = await c.drive(follower.get(key, { consistency: 'stale' }));
    expect(valueOf(old.record?.value)).toBe('v1');
    // Bounded, it refuses and names the leader.
    const refused = await c.failure(follower.get(key, { consistency: 'stale', maxStalenessMs: 50 }));
    expect(refused.code).toBe('NOT_LEADER');
    expect(refused.data.leaderHint).toBe(leaderId);
    expect(refused.message).toMatch(/maxStalenessMs 50/);
    expect(refused.retryable).toBe(true);
    // A looser bound still covers it.
    const loose = await c.drive(follower.get(key, { consistency: 'stale', maxStalenessMs: 10_000 }));
    expect(valueOf(loose.record?.value)).toBe('v1');

    // Reconnected, it catches up and proves it again.
    c.net.isolate(nodeId(followerId), false, c.ids);
    await c.waitFor(() => {
      try {
        return follower.status().partitions.find((x) => x.partition === p)!.applied >= c.store(leaderId).status().partitions.find((x) => x.partition === p)!.commit;
      } catch {
        return false;
      }
    });
    await c.runFor(30);
    const caughtUp = await c.drive(follower.get(key, { consistency: 'stale', maxStalenessMs: 50 }));
    expect(valueOf(caughtUp.record?.value)).toBe('v2');
  });

  it('a leader cut off from its quorum stops vouching for its state before it knows it lost leadership', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1 }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    const leader = c.store(leaderId);
    const key = c.keyIn(0);
    await c.drive(leader.put({ key, value: 'v1', session: session() }));
    await c.runFor(20);
    // In touch with its quorum: served from local state at once, no ReadIndex round.
    const before = c.net.framesSent;
    expect(valueOf((await leader.get(key, { consistency: 'stale', maxStalenessMs: 30 })).record?.value)).toBe('v1');
    expect(c.net.framesSent).toBe(before);

    c.net.isolate(nodeId(leaderId), true, c.ids);
    // 50 ms: well inside the election timeout (100 ms), so it still believes it leads...
    await c.runFor(50);
    expect(leader.status().partitions[0]!.role).toBe('leader');
    // ...but no quorum answered for 50 ms: it cannot vouch for 30 from memory, and the ReadIndex
    // round it falls back to cannot complete. The read fails (retryably) instead of answering v1.
    const unbounded = await leader.get(key, { consistency: 'stale' });
    expect(valueOf(unbounded.record?.value)).toBe('v1');
    const refused = await c.failure(leader.get(key, { consistency: 'stale', maxStalenessMs: 30 }));
    expect(refused.retryable).toBe(true);
    expect(leader.status().partitions[0]!.role).not.toBe('leader');
  });

  it('a leader that lost touch with its quorum for a moment confirms with ReadIndex, and serves', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1 }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    const leader = c.store(leaderId);
    const key = c.keyIn(0);
    await c.drive(leader.put({ key, value: 'v1', session: session() }));
    // 15 ms without answers (less than an election timeout), then a 5 ms bound: ReadIndex.
    c.net.isolate(nodeId(leaderId), true, c.ids);
    await c.runFor(15);
    c.net.isolate(nodeId(leaderId), false, c.ids);
    let answered = false;
    const reading = leader.get(key, { consistency: 'stale', maxStalenessMs: 5 }).then((r) => {
      answered = true;
      return r;
    });
    // Served from memory it would be answered without the clock moving; it waits for a round.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    const read = await c.drive(reading);
    expect(valueOf(read.record?.value)).toBe('v1');
  });

  it('refuses a replica that just restarted until it hears from a leader', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1 }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    const followerId = c.followerIdOf(0);
    const key = c.keyIn(0);
    await c.drive(c.store(leaderId).put({ key, value: 'v1', session: session() }));
    await c.runFor(20);
    await c.stop(followerId);
    c.net.isolate(nodeId(followerId), true, c.ids);
    const restarted = await c.start(followerId);
    const refused = await c.failure(restarted.get(key, { consistency: 'stale', maxStalenessMs: 60_000 }));
    expect(refused.message).toMatch(/not yet confirmed/);
    c.net.isolate(nodeId(followerId), false, c.ids);
    await c.runFor(50);
    expect(valueOf((await c.drive(restarted.get(key, { consistency: 'stale', maxStalenessMs: 60_000 }))).record?.value)).toBe('v1');
  });
});

/** A Group as ReplicaFreshness sees it: Raft's role, term, commit and log terms, kvApplied, voters. */
function fakeGroup(state: { role: 'leader' | 'follower'; term: number; commit: number; commitTerm: number; kvApplied: number }): Group {
  return {
    partition: 0,
    get kvApplied() {
      return state.kvApplied;
    },
    confState: { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    raft: {
      raft: {
        get state() {
          return state.role;
        },
        get term() {
          return state.term;
        },
        raftLog: {
          get committed() {
            return state.commit;
          },
          termOrUndefined: (i: number) => (i === state.commit ? state.commitTerm : undefined),
        },
      },
    },
  } as unknown as Group;
}

function msg(type: Message['type'], from: number, term: number): Message {
  return { type, from: nodeId(from), to: nodeId(1), term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
}

describe('ReplicaFreshness', () => {
  it('counts a leader fresh as of the time a quorum last answered it in its term', () => {
    const clock = new ManualClock();
    const f = new ReplicaFreshness(clock, 1);
    const advance = (ms: number) => {
      clock.advance(ms);
      f.beginRound();
    };
    const state = { role: 'leader' as const, term: 3, commit: 10, commitTerm: 3, kvApplied: 10 };
    const g = fakeGroup(state);
    expect(f.stalenessMs(g)).toBe(Infinity);
    advance(100);
    f.onInbound(g, msg('MsgHeartbeatResp', 2, 3), undefined);
    advance(40);
    f.onInbound(g, msg('MsgAppResp', 3, 2), undefined); // an older term's answer proves nothing
    expect(f.stalenessMs(g)).toBe(40);
    advance(10);
    f.onInbound(g, msg('MsgAppResp', 3, 3), undefined);
    expect(f.stalenessMs(g)).toBe(0);
    // The leader tells followers: commit 10, proven as of `ageMs` before sending.
    advance(5);
    expect(f.leaderSync(g, msg('MsgHeartbeat', 1, 3))).toEqual({ commit: 10, ageMs: 5 });
    expect(f.leaderSync(g, msg('MsgVote', 1, 3))).toBeUndefined();
    // Applied behind its own commit: not fresh as of now (the older proof stands).
    state.commit = 12;
    expect(f.stalenessMs(g)).toBe(5);
    advance(20);
    f.onInbound(g, msg('MsgHeartbeatResp', 2, 3), undefined);
    // The proof as of now waits for the apply of 12; the older one (as of 150, commit 10) stands.
    expect(f.stalenessMs(g)).toBe(25);
    state.kvApplied = 12;
    expect(f.stalenessMs(g)).toBe(0);
  });

  it('proves nothing for a leader whose term has no committed entry yet', () => {
    const clock = new ManualClock();
    const f = new ReplicaFreshness(clock, 1);
    const g = fakeGroup({ role: 'leader', term: 4, commit: 10, commitTerm: 3, kvApplied: 10 });
    f.onInbound(g, msg('MsgAppResp', 2, 4), undefined);
    f.onInbound(g, msg('MsgAppResp', 3, 4), undefined);
    expect(f.stalenessMs(g)).toBe(Infinity);
    expect(f.leaderSync(g, msg('MsgApp', 1, 4))).toBeUndefined();
  });

  it("counts a follower fresh only once it applied the leader's commit index, dated by the leader's proof", () => {
    const clock = new ManualClock();
    const f = new ReplicaFreshness(clock, 2);
    const advance = (ms: number) => {
      clock.advance(ms);
      f.beginRound();
    };
    const state = { role: 'follower' as const, term: 3, commit: 4, commitTerm: 3, kvApplied: 4 };
    const g = fakeGroup(state);
    advance(1_000);
    // A heartbeat whose Raft commit would be min(match, commit): the attached proof says 9.
    f.onInbound(g, { ...msg('MsgHeartbeat', 1, 3), commit: 4 }, { commit: 9, ageMs: 7 });
    expect(f.stalenessMs(g)).toBe(Infinity);
    advance(3);
    f.onInbound(g, msg('MsgApp', 1, 3), { commit: 11, ageMs: 2 });
    state.kvApplied = 9;
    expect(f.stalenessMs(g)).toBe(10); // proof of commit 9 dates from 1000 - 7
    state.kvApplied = 11;
    expect(f.stalenessMs(g)).toBe(2);
  });

  it('carries the proof in peer frames, and refuses a malformed one', () => {
    const message = msg('MsgHeartbeat', 1, 3);
    const frame = encodePeerFrame({ messages: [{ group: 5, message, sync: { commit: 42, ageMs: 1.5 } }, { group: 6, message }], chunks: [] });
    const decoded = decodePeerFrame(frame);
    expect(decoded.messages[0]!.sync).toEqual({ commit: 42, ageMs: 1.5 });
    expect(decoded.messages[1]!.sync).toBeUndefined();
    const bad = encodePeerFrame({ messages: [{ group: 5, message, sync: { commit: -1, ageMs: 0 } }], chunks: [] });
    expect(() => decodePeerFrame(bad)).toThrow(TypeError);
  });
});
