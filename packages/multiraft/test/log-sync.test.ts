/**
 * A round fsyncs its log write only when Raft needs it (entries, term, vote, snapshot; Ready's
 * mustSync) or a compaction point moves, and writes a hard state only when its term or vote
 * changed: a commit index is volatile (the leader repeats it; a restart raises it to the applied
 * index), so a follower learning of a commit writes nothing. Regression guards for the CPU an
 * fsync per commit-only round, and then a hard-state record per group per round, cost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { groupId, nodeId } from '@ringkv/stdx';
import { openLogEngine, openMemoryLogEngine } from '@ringkv/storage';
import { CompactedError, UnavailableError } from '@ringkv/raft';
import { GroupLogStorage } from '../src/log-storage';
import { TestCluster } from './cluster';

const ENTRY_KEY_TAG = 0x6c; // the log engine's entry keys start with 'l' (storage/src/log-keys.ts)
const HARD_STATE_KEY_TAG = 0x68; // and its hard-state keys with 'h'

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

interface LoggedWrite {
  readonly sync: boolean;
  readonly writesEntries: boolean;
  readonly writesHardState: boolean;
}

/** Records every batch written to a node's log database with its sync flag. */
function spyOnLogWrites(c: TestCluster, id: number): LoggedWrite[] {
  const db = c.nodes.get(id)!.logDb;
  const original = db.batch.bind(db) as () => ReturnType<typeof db.batch>;
  const writes: LoggedWrite[] = [];
  (db as { batch: unknown }).batch = () => {
    const batch = original();
    let writesEntries = false;
    let writesHardState = false;
    const put = batch.put.bind(batch);
    batch.put = (key: Uint8Array, value: Uint8Array) => {
      if (key[0] === ENTRY_KEY_TAG) writesEntries = true;
      if (key[0] === HARD_STATE_KEY_TAG) writesHardState = true;
      return put(key, value);
    };
    const write = batch.write.bind(batch) as (options?: { sync?: boolean }) => Promise<void>;
    (batch as { write: unknown }).write = (options?: { sync?: boolean }) => {
      writes.push({ sync: options?.sync === true, writesEntries, writesHardState });
      return write(options);
    };
    return batch;
  };
  return writes;
}

describe('log write sync', () => {
  it('syncs every write that holds entries, and writes nothing for a commit index alone', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1, logEngine: 'level' }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    const followerId = c.followerIdOf(0);
    const follower = spyOnLogWrites(c, followerId);
    const leader = spyOnLogWrites(c, leaderId);
    const before = c.store(followerId).stats();
    for (let i = 0; i < 10; i++) await c.drive(c.store(leaderId).put({ key: c.keyIn(0), value: i, session: { clientId: 'log-sync', seq: i + 1 } }));
    await c.runFor(30);

    for (const w of [...follower, ...leader]) if (w.writesEntries) expect(w.sync).toBe(true);
    expect(follower.filter((w) => w.writesEntries).length).toBeGreaterThan(0);
    // The term and vote stay put, so no hard state is written, and a round that only learns a
    // commit index (the follower learns each after it stored the entry) writes nothing.
    expect([...follower, ...leader].filter((w) => w.writesHardState)).toEqual([]);
    expect(follower.filter((w) => !w.writesEntries)).toEqual([]);
    expect(c.store(followerId).stats().partitions[0]!.commit).toBeGreaterThanOrEqual(before.partitions[0]!.commit + 10);
    const after = c.store(followerId).stats();
    expect(after.logSyncs - before.logSyncs).toBe(follower.filter((w) => w.sync).length);
    expect(after.logWrites - before.logWrites).toBe(follower.length);
    // Every acknowledged write is on every replica, commit index included once the leader repeats it.
    for (const id of c.ids) expect(c.store(id).stats().partitions[0]!.applied).toBe(c.store(leaderId).stats().partitions[0]!.commit);
  });

  it('writes the hard state, commit index included, when the term changes', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1, logEngine: 'level' }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    for (let i = 0; i < 3; i++) await c.drive(c.store(leaderId).put({ key: c.keyIn(0), value: i, session: { clientId: 'log-sync-term', seq: i + 1 } }));
    await c.runFor(30);
    const followerId = c.followerIdOf(0);
    const writes = spyOnLogWrites(c, followerId);
    const { term, commit } = c.store(followerId).stats().partitions[0]!;
    await c.stop(leaderId);
    await c.waitFor(() => (c.store(followerId).stats().partitions[0]!.term ?? 0) > term, 5_000, 'a new term');
    expect(writes.some((w) => w.writesHardState && w.sync)).toBe(true);
    const engine = c.nodes.get(followerId)!.logEngine!;
    const stored = (await engine.openGroup(groupId(0))).storedHardState();
    expect(stored.term).toBeGreaterThan(term);
    expect(stored.commit).toBeGreaterThanOrEqual(commit);
  });
});

describe('restart after a lost commit-only hard state', () => {
  it('raises the stored commit index to the applied index, as far as the log holds entries', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(groupId(1));
    const b = engine.newBatch();
    b.append(log, [1, 2, 3, 4, 5].map((index) => ({ index, term: 1, type: 'normal' as const, data: new Uint8Array([index]) })));
    b.setHardState(log, { term: 1, vote: nodeId(1), commit: 2 });
    await engine.commit(b);
    expect(new GroupLogStorage(log, 4).initialState().hardState).toEqual({ term: 1, vote: 1, commit: 4 });
    expect(new GroupLogStorage(log, 9).initialState().hardState.commit).toBe(5);
    expect(new GroupLogStorage(log, 1).initialState().hardState.commit).toBe(2);
    expect(new GroupLogStorage(log).initialState().hardState.commit).toBe(2);
    await engine.close();
  });

  it("translates the storage log's range errors into the core's", async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(groupId(1));
    const b = engine.newBatch();
    b.append(log, [1, 2, 3].map((index) => ({ index, term: 1, type: 'normal' as const, data: new Uint8Array([index]) })));
    await engine.commit(b);
    const c = engine.newBatch();
    c.compact(log, 2, { index: 2, term: 1, confState: { voters: [nodeId(1)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
    await engine.commit(c);
    const storage = new GroupLogStorage(log);
    expect(storage.term(3)).toBe(1);
    expect(storage.entries(3, 4, 1 << 20).map((e) => e.index)).toEqual([3]);
    expect(() => storage.term(1)).toThrow(CompactedError);
    expect(() => storage.entries(1, 3, 1 << 20)).toThrow(CompactedError);
    expect(() => storage.term(9)).toThrow(UnavailableError);
    expect(() => storage.entries(3, 9, 1 << 20)).toThrow(UnavailableError);
    await engine.close();
  });

  it('a node whose stored commit lags its KV engine restarts with applied <= commit and serves', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1, logEngine: 'level' }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    const followerId = c.followerIdOf(0);
    for (let i = 0; i < 5; i++) await c.drive(c.store(leaderId).put({ key: c.keyIn(0), value: i, session: { clientId: 'lag', seq: i + 1 } }));
    await c.runFor(30);
    const applied = c.store(followerId).stats().partitions[0]!.applied;
    await c.stop(followerId);
    // What a power cut can leave: the unsynced commit-only hard states lost, the KV engine's
    // applied index (made durable by a later KV sync) kept.
    const engine = await openLogEngine({ db: c.nodes.get(followerId)!.logDb });
    const log = await engine.openGroup(groupId(0));
    const hs = log.initialState().hardState;
    const b = engine.newBatch();
    b.setHardState(log, { ...hs, commit: 1 });
    await engine.commit(b);
    await engine.close();
    await c.start(followerId);
    const part = c.store(followerId).stats().partitions[0]!;
    expect(part.applied).toBe(applied);
    expect(part.commit).toBeGreaterThanOrEqual(part.applied);
    await c.drive(c.store(leaderId).put({ key: c.keyIn(0), value: 'after', session: { clientId: 'lag', seq: 6 } }));
    await c.waitFor(() => c.store(followerId).stats().partitions[0]!.applied === c.store(leaderId).stats().partitions[0]!.commit, 5_000, 'the follower to apply the new write');
  });
});
