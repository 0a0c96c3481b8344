/**
 * Messages that need nothing persisted are stepped as they arrive, between rounds and while a
 * round waits for its log write (RawNode.stepNow), instead of at the start of the next round.
 *
 * Reads: a linearizable read's ReadIndex round trip does not wait for rounds (heartbeats and
 * their answers), and reads that reach an idle leader start in a read flush, not a round
 * (RawNode.readIndexNow). Before, under write load a get took as long as a put (every hop waited
 * for the round in progress on the node it reached), and on an idle cluster a read cost a round
 * on every node.
 *
 * Writes: an append response that completes a commit while the leader's round waits for its log
 * write lets that round apply and answer the write (RawNode.moreCommittedEntries). Before, the
 * response waited for the next round, the write's answer with it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { assert } from '@ringkv/stdx';
import { MemorySegmentDirectory } from '@ringkv/storage';
import type { Store, StoreConfig } from '../src';
import { pack } from '../src/codec';
import type { Group } from '../src/group';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  for (const release of gates.splice(0)) release();
  await cluster?.close();
  cluster = undefined;
});

const gates: Array<() => void> = [];

/** Makes every later write to node `id`'s Raft log (its syncs) or KV database wait until the returned function is called. */
function holdWrites(c: TestCluster, id: number, which: 'logDb' | 'kvDb'): () => void {
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  gates.push(release);
  if (which === 'logDb') {
    const dir = c.nodes.get(id)!.logDir;
    assert(dir instanceof MemorySegmentDirectory, 'the test cluster runs the segment log in memory');
    dir.syncGate = open;
    return release;
  }
  const db = c.nodes.get(id)![which];
  const original = db.batch.bind(db) as () => ReturnType<typeof db.batch>;
  (db as { batch: unknown }).batch = () => {
    const batch = original();
    const write = batch.write.bind(batch) as (options?: object) => Promise<void>;
    (batch as { write: unknown }).write = async (options?: object) => {
      await open;
      return write(options);
    };
    return batch;
  };
  return release;
}

/** Moves the clock while rounds may be stuck on a held write (TestCluster.drive waits for rounds to end). */
async function until<T>(c: TestCluster, promise: Promise<T>, maxMs: number): Promise<{ done: true; value: T } | { done: false }> {
  let result: { done: true; value: T } | undefined;
  promise.then((value) => (result = { done: true, value }), () => undefined);
  for (let i = 0; i < maxMs && result === undefined; i++) {
    c.clock.advance(1);
    for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r));
  }
  return result ?? { done: false };
}

/**
 * A one-partition cluster, its preferred leaders elected, whose leader wrote `value` to the
 * partition's key (session `clientId`, seq 1) and then had 20 quiet milliseconds.
 */
async function oneWriteDone(clientId: string, value: string, config: Partial<StoreConfig> = { tickMs: 200 }): Promise<{ c: TestCluster; leader: Store; key: Uint8Array }> {
  const c = (cluster = await TestCluster.create({ partitions: 1, config }));
  await c.waitForPreferredLeaders();
  const leader = c.leaderOf(0);
  const key = c.keyIn(0);
  await c.drive(leader.put({ key, value, session: { clientId, seq: 1 } }));
  await c.runFor(20);
  return { c, leader, key };
}

describe('writes committed while the leader waits for its log write', () => {
  it("are applied and answered by that round: the followers' acknowledgements are stepped as they come", async () => {
    const { c, leader, key } = await oneWriteDone('commit-now', 'one');
    const part = () => leader.stats().partitions[0]!;

    // The leader's round takes the next write and cannot finish its log write; the appends left
    // before it, and both followers persist and acknowledge the entry: committed without the
    // leader's own copy (two of three), and the leader learns it while its round still waits.
    const release = holdWrites(c, leader.nodeId, 'logDb');
    const roundsBefore = leader.stats().rounds;
    const appliedInCommitRoundBefore = leader.stats().entriesAppliedInCommitRound;
    const index = part().lastIndex + 1;
    let roundsAtAnswer: number | undefined;
    const write = leader.put({ key, value: 'two', session: { clientId: 'commit-now', seq: 2 } }).then((r) => {
      roundsAtAnswer = leader.stats().rounds;
      return r;
    });
    expect((await until(c, write, 30)).done).toBe(false);
    expect(part().commit).toBe(index);
    expect(part().applied).toBe(index - 1);

    // Once its own write lands, the same round applies the entry and answers.
    release();
    expect((await c.drive(write)).version).toBe(2);
    expect(roundsAtAnswer).toBe(roundsBefore + 1);
    expect(leader.stats().entriesAppliedInCommitRound).toBe(appliedInCommitRoundBefore + 1);
    expect((await c.drive(leader.get(key, { consistency: 'linearizable' }))).record?.value).toBe('two');
  });

  it('are counted as applied in their commit round only once applied: a group that fails partway counts what it applied', async () => {
    const { c, leader, key } = await oneWriteDone('commit-count', 'one');
    const part = () => leader.stats().partitions[0]!;
    const release = holdWrites(c, leader.nodeId, 'logDb');
    const appliedInCommitRoundBefore = leader.stats().entriesAppliedInCommitRound;
    const index = part().lastIndex + 1;
    // Two entries in one round: a put, then a command that does not decode (from a newer version,
    // or a bug), queued the way the Store queues its own commands.
    const write = leader.put({ key, value: 'two', session: { clientId: 'commit-count', seq: 2 } });
    (leader as unknown as { groups: Map<number, Group> }).groups.get(0)!.queuedProposals.push({ data: pack([9, 0]) });
    expect((await until(c, write, 30)).done).toBe(false);
    expect(part().commit).toBe(index + 1);

    // The round applies the put and answers it, stops at the bad command (the partition is
    // quarantined here) and counts the one entry it applied, not the two it took.
    release();
    expect((await c.drive(write)).version).toBe(2);
    expect(leader.status().partitions.find((s) => s.partition === 0)?.quarantined).toBe(true);
    expect(leader.stats().entriesAppliedInCommitRound).toBe(appliedInCommitRoundBefore + 1);
  });
});

describe('writes applied while their KV batch is written', () => {
  it('are answered once applied, before the batch lands; reads wait for the landing', async () => {
    const { c, leader, key } = await oneWriteDone('answer-early', 'one');
    const part = () => leader.stats().partitions[0]!;
    const release = holdWrites(c, leader.nodeId, 'kvDb');
    const index = part().lastIndex + 1;
    // Committed (the log writes go through) and applied, its KV batch held: the writer has its
    // answer, since the log entry is what makes the write durable...
    const write = await until(c, leader.put({ key, value: 'two', session: { clientId: 'answer-early', seq: 2 } }), 30);
    expect(write.done && write.value.version).toBe(2);
    expect(part().commit).toBe(index);
    // ...but the replica's applied index is where its KV engine is: a linearizable read waits.
    expect(part().applied).toBe(index - 1);
    const read = leader.get(key, { consistency: 'linearizable' });
    expect((await until(c, read, 30)).done).toBe(false);
    release();
    const served = await c.drive(read);
    expect(served.record?.value).toBe('two');
    expect(served.revision).toBeGreaterThanOrEqual(index);
  });
});

describe('linearizable reads between rounds', () => {
  it('cost no round on an idle cluster: the read and its heartbeat round trip are stepped as they come', async () => {
    // Ticks 200 ms apart (the tests' 10 ms would put a tick round on every node every few reads).
    const { c, leader, key } = await oneWriteDone('idle-reads', 'v');
    const rounds = (): number => c.ids.reduce((sum, id) => sum + c.store(id).stats().rounds, 0);
    const before = rounds();
    // Ten reads one after another, ~2 ms each over the 1 ms network: within one 200 ms tick, so at
    // most one tick round per node. Started in rounds, each took three (leader, both followers).
    for (let i = 0; i < 10; i++) expect((await c.drive(leader.get(key, { consistency: 'linearizable' }))).record?.value).toBe('v');
    expect(rounds() - before).toBeLessThanOrEqual(c.ids.length);
  });

  it("share heartbeat frames across partitions: one flush per tick, and reads that come while its round is out wait for its answer", async () => {
    const c = (cluster = await TestCluster.create({ partitions: 16, config: { tickMs: 200 } }));
    await c.waitForPreferredLeaders();
    // Three partitions led by one node (16 partitions over 3 nodes: 5 or 6 each).
    const leaderId = c.leaderIdOf(0)!;
    const led = Array.from({ length: 16 }, (_, p) => p).filter((p) => c.leaderIdOf(p) === leaderId);
    expect(led.length).toBeGreaterThanOrEqual(3);
    const [a, b, d] = led as [number, number, number];
    const leader = c.store(leaderId);
    await c.runFor(20);
    const settle = (): Promise<void> => (c as unknown as { settle(): Promise<void> }).settle();
    const read = (p: number) => leader.get(c.keyIn(p), { consistency: 'linearizable' });

    // Reads of three partitions in one tick: one heartbeat frame per follower, one answer each.
    let before = c.net.framesSent;
    await c.drive(Promise.all([read(a), read(b), read(d)]));
    expect(c.net.framesSent - before).toBe(4);

    // A read goes out; two more, each in a tick of its own, come while its round is out (the
    // network takes 1 ms): they wait for its first answer and leave together, in one frame per
    // follower. Each in a flush of its own, they would cost two frames more.
    before = c.net.framesSent;
    const first = read(a);
    await settle();
    const second = read(b);
    await settle();
    const third = read(d);
    await settle();
    await c.drive(Promise.all([first, second, third]));
    expect(c.net.framesSent - before).toBe(8);
  });

  it('a commit index a heartbeat brings between rounds is applied at once, not at the next tick', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1, config: { tickMs: 200 } }));
    await c.waitForPreferredLeaders();
    const leader = c.leaderOf(0);
    const key = c.keyIn(0);
    const f = c.ids.find((id) => id !== leader.nodeId)!;
    const part = (id: number) => c.store(id).stats().partitions[0]!;
    await c.drive(leader.put({ key, value: 'one', session: { clientId: 'hb-commit', seq: 1 } }));
    await c.runFor(5);
    // The next write commits; the append that tells follower f so is lost on the way, so f holds
    // the entry without knowing it committed (the leader knows f has it).
    const write = leader.put({ key, value: 'two', session: { clientId: 'hb-commit', seq: 2 } });
    const index = part(leader.nodeId).commit + 1;
    await c.waitFor(() => part(leader.nodeId).commit >= index, 100, 'the commit on the leader');
    c.net.setLink(leader.nodeId, f, false);
    await c.runFor(3);
    c.net.setLink(leader.nodeId, f, true);
    await c.drive(write);
    expect(part(f).commit).toBeLessThan(index);
    // The leader's next periodic heartbeat carries the commit index; f applies it at once.
    await c.waitFor(() => part(f).commit >= index, 1_000, 'the heartbeat with the commit index');
    await c.runFor(3);
    expect(part(f).applied).toBeGreaterThanOrEqual(index);
  });

  it('are confirmed and served while both followers are stuck in a log write', async () => {
    const { c, leader, key } = await oneWriteDone('reads', 'before', {});

    const followers = c.ids.filter((id) => id !== leader.nodeId);
    const releases = followers.map((id) => holdWrites(c, id, 'logDb'));
    // A write the followers take into a round and cannot persist: it cannot commit yet.
    const write = leader.put({ key, value: 'after', session: { clientId: 'reads', seq: 2 } });
    write.catch(() => undefined);
    const stuck = await until(c, write, 50);
    expect(stuck.done).toBe(false);
    for (const id of followers) expect(c.store(id).busy).toBe(true);

    // The read confirms leadership with a heartbeat round the stuck followers answer at once.
    const read = await until(c, leader.get(key, { consistency: 'linearizable' }), 50);
    expect(read.done).toBe(true);
    expect(read.done && read.value.record?.value).toBe('before');

    // Once the writes land, the write commits and a read sees it.
    for (const release of releases) release();
    await c.drive(write);
    expect((await c.drive(leader.get(key, { consistency: 'linearizable' }))).record?.value).toBe('after');
  });

});
