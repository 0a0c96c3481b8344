/**
 * Committed entries per second for a 3-replica group in one process (no disk, no network): the
 * cost of the Raft core itself. Each round the leader takes a batch of proposals, then every node
 * handles its Ready (persist to MemoryStorage, send, apply, advance) and messages are delivered.
 * Run: npm run bench -w @ringkv/raft   (options: -- [seconds per batch size, default 3])
 */
import { nodeId, Prng, type NodeId } from '@ringkv/stdx';
import { MemoryStorage, RawNode, type ConfState, type Message } from '../src/index';

const seconds = Number(process.argv[2] ?? 3);
const PAYLOAD_BYTES = 64;
const COMPACT_EVERY = 20_000;

function run(batch: number): { entriesPerSec: number; rounds: number; committed: number } {
  const voters = [nodeId(1), nodeId(2), nodeId(3)];
  const cs: ConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const storages = new Map<NodeId, MemoryStorage>();
  const nodes = new Map<NodeId, RawNode>();
  const applied = new Map<NodeId, number>();
  for (const id of voters) {
    const storage = new MemoryStorage(cs);
    storages.set(id, storage);
    applied.set(id, 0);
    nodes.set(
      id,
      new RawNode({
        id,
        storage,
        prng: new Prng(id),
        electionTick: 10,
        heartbeatTick: 1,
        maxSizePerMsgBytes: 1 << 20,
        maxInflightMsgs: 256,
        maxUncommittedEntriesSizeBytes: 1 << 30,
        preVote: true,
        checkQuorum: true,
      }),
    );
  }
  let inbox: Message[] = [];
  let leaderCommitted = 0;
  const round = (): void => {
    for (const [id, n] of nodes) {
      if (!n.hasReady()) continue;
      const rd = n.ready();
      const s = storages.get(id)!;
      if (rd.hardState !== undefined) s.setHardState(rd.hardState);
      s.append(rd.entries);
      for (const m of rd.messages) inbox.push(m);
      for (const m of rd.messagesAfterPersist) inbox.push(m);
      const last = rd.committedEntries[rd.committedEntries.length - 1];
      if (last !== undefined) {
        if (id === voters[0]) leaderCommitted += rd.committedEntries.length;
        applied.set(id, last.index);
      }
      n.advance();
      const a = applied.get(id)!;
      if (a - s.firstIndex() > COMPACT_EVERY) {
        s.createSnapshot(a - 1000, cs, new Uint8Array(0));
        s.compact(a - 1000);
      }
    }
    const msgs = inbox;
    inbox = [];
    for (const m of msgs) nodes.get(m.to)!.step(m);
  };
  const leader = nodes.get(voters[0]!)!;
  leader.campaign();
  for (let i = 0; i < 20; i++) round();
  if (leader.status().role !== 'leader') throw new Error('bench: node 1 did not become leader');
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  leaderCommitted = 0;
  let rounds = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) leader.propose(payload);
    round();
    rounds++;
    if (rounds % 64 === 0) {
      leader.tick();
      now = process.hrtime.bigint();
    }
  }
  const elapsedSec = Number(process.hrtime.bigint() - start) / 1e9;
  return { entriesPerSec: leaderCommitted / elapsedSec, rounds, committed: leaderCommitted };
}

for (const batch of [1, 64]) {
  run(batch); // warm-up
  const r = run(batch);
  console.log(
    `batch ${String(batch).padStart(2)}: ${Math.round(r.entriesPerSec).toLocaleString('en-US')} committed entries/s ` +
      `(${r.committed} entries in ${r.rounds} rounds, ${PAYLOAD_BYTES}-byte payloads, 3 replicas)`,
  );
}
