/**
 * A randomized cluster: RawNodes over an in-memory network that drops, duplicates, delays,
 * reorders and partitions (symmetric and one-way), with crashes that restart a node from its
 * persisted state only, snapshots/compaction and membership changes. Every message is copied
 * through structuredClone, so replicas share no object. Safety is checked after every step;
 * a violation throws with the seed.
 */
import { assert, nodeId, Prng, type NodeId } from '@ringkv/stdx';
import {
  decodeConfChange,
  MemoryStorage,
  ProposalDroppedError,
  ConfChangeError,
  RawNode,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type RaftConfig,
} from '../../src/index';
import { describeMessage } from './describe';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface AppState {
  /** Applied entries: index -> "term:data" for checking; kept only as a running list. */
  appliedIndex: number;
  /** Hash chain of applied data, so a snapshot carries the whole history in 8 bytes. */
  chain: number;
}

interface SimNode {
  id: NodeId;
  storage: MemoryStorage;
  node: RawNode | undefined; // undefined while crashed
  app: AppState;
  confState: ConfState;
  /** ConfState at each applied index since the last snapshot (to snapshot at any applied index). */
  confAt: Map<number, ConfState>;
  chainAt: Map<number, number>;
}

interface InFlight {
  m: Message;
  deliverAt: number;
}

function mix(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface ClusterOptions {
  seed: number;
  size: number;
  steps: number;
  /** Steps after the faults stop within which a proposal must commit everywhere. */
  livenessSteps: number;
  /** The command that replays this seed, printed on failure. */
  replay: string;
}

export class RandomCluster {
  readonly prng: Prng;
  readonly nodes = new Map<NodeId, SimNode>();
  private net: InFlight[] = [];
  /** Directed links that are cut: "from>to". */
  private cut = new Set<string>();
  now = 0;
  /** First application of each index by any node: "term:data". */
  readonly committed = new Map<number, string>();
  /** For leader completeness: the highest term of any node when an index was first applied. */
  private committedSeenAtTerm = new Map<number, number>();
  private leaderOfTerm = new Map<number, NodeId>();
  /** (index/term) -> data and previous term, for log matching. */
  private entryAt = new Map<string, string>();
  private nextProposal = 0;
  private checkedCommit = new Map<NodeId, number>();
  private leaderChecked = new Set<string>();
  private spareIds: NodeId[];
  readonly log: string[] = [];

  constructor(readonly opts: ClusterOptions) {
    this.prng = new Prng(opts.seed);
    const voters = Array.from({ length: opts.size }, (_, i) => nodeId(i + 1));
    const cs: ConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    this.spareIds = [nodeId(opts.size + 1), nodeId(opts.size + 2), nodeId(opts.size + 3)];
    for (const id of [...voters, ...this.spareIds]) {
      // Spare nodes start from the group's bootstrap configuration, as a joining replica would.
      const storage = new MemoryStorage(cs);
      const n: SimNode = { id, storage, node: undefined, app: { appliedIndex: 0, chain: 0 }, confState: cs, confAt: new Map([[0, cs]]), chainAt: new Map([[0, 0]]) };
      this.nodes.set(id, n);
      this.start(n);
    }
  }

  private config(n: SimNode): RaftConfig {
    return {
      id: n.id,
      storage: n.storage,
      prng: this.prng.fork(`node-${n.id}-${this.now}`),
      electionTick: 10,
      heartbeatTick: 2,
      applied: n.app.appliedIndex,
      maxSizePerMsgBytes: [20, 64, 4096][this.opts.seed % 3]!,
      maxInflightMsgs: 4,
      maxUncommittedEntriesSizeBytes: 1024,
      preVote: this.opts.seed % 2 === 0,
      checkQuorum: this.opts.seed % 3 !== 0,
    };
  }

  /** (Re)starts a node from its persisted storage only. */
  private start(n: SimNode): void {
    const snap = n.storage.snapshot();
    const md = snap.metadata;
    if (md.index > 0) {
      const v = new DataView(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength);
      n.app = { appliedIndex: md.index, chain: v.getUint32(0, true) };
    } else {
      n.app = { appliedIndex: 0, chain: 0 };
    }
    n.confState = md.confState;
    n.confAt = new Map([[md.index, md.confState]]);
    n.chainAt = new Map([[md.index, n.app.chain]]);
    n.node = new RawNode(this.config(n));
    this.checkedCommit.delete(n.id);
  }

  fail(msg: string): never {
    const tail = this.log.slice(-40).join('\n');
    throw new Error(`seed ${this.opts.seed} step ${this.now}: ${msg}\n--- last events ---\n${tail}\nreplay: ${this.opts.replay}`);
  }

  /** The transport tells the sender when a snapshot could not be delivered (RawNode contract). */
  private snapshotLost(m: Message): void {
    if (m.type !== 'MsgSnap') return;
    this.nodes.get(m.from)?.node?.reportSnapshot(m.to, false);
  }

  private send(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`) || (this.faults && this.prng.chance(0.05))) {
      this.snapshotLost(m);
      return;
    }
    const copies = this.faults && this.prng.chance(0.03) ? 2 : 1; // duplicate
    for (let i = 0; i < copies; i++) {
      const delay = this.faults ? this.prng.range(0, 6) : this.prng.range(0, 1);
      this.net.push({ m: structuredClone(m), deliverAt: this.now + delay });
    }
  }

  private faults = true;

  /** Handles one Ready of node n; may crash midway (losing what was not persisted). */
  private handleReady(n: SimNode): void {
    const node = n.node!;
    if (!node.hasReady()) return;
    const rd = node.ready();
    const crash = this.faults && this.prng.chance(0.01) ? this.prng.int(3) : -1;
    // Messages that need no persist may already be on the wire when we crash.
    for (const m of rd.messages) this.send(m);
    if (crash === 0) return this.crash(n, 'before persist');
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (crash === 1) return this.crash(n, 'after persist, before sending');
    for (const m of rd.messagesAfterPersist) this.send(m);
    if (rd.snapshot !== undefined) {
      const md = rd.snapshot.metadata;
      const v = new DataView(rd.snapshot.data.buffer, rd.snapshot.data.byteOffset, rd.snapshot.data.byteLength);
      n.app = { appliedIndex: md.index, chain: v.getUint32(0, true) };
      n.confState = md.confState;
      n.confAt = new Map([[md.index, md.confState]]);
      n.chainAt = new Map([[md.index, n.app.chain]]);
      const known = this.committed.get(md.index);
      if (known !== undefined && !known.startsWith(`${md.term}:`)) this.fail(`node ${n.id} installed a snapshot at ${md.index} term ${md.term}, but ${known} was committed there`);
    }
    for (const e of rd.committedEntries) this.apply(n, e);
    if (crash === 2) return this.crash(n, 'after apply, before advance');
    node.advance();
    for (const rs of rd.readStates) assert(rs.index <= node.status().commit, 'read state beyond commit');
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.app.appliedIndex + 1) this.fail(`node ${n.id} applied ${e.index} after ${n.app.appliedIndex}`);
    const data = e.type === 'confChange' ? `cc:${JSON.stringify(decodeConfChange(e.data).changes)}` : dec.decode(e.data);
    const v = `${e.term}:${data}`;
    const prev = this.committed.get(e.index);
    if (prev === undefined) {
      this.committed.set(e.index, v);
      let maxTerm = 0;
      for (const o of this.nodes.values()) if (o.node !== undefined) maxTerm = Math.max(maxTerm, o.node.raft.term);
      this.committedSeenAtTerm.set(e.index, maxTerm);
    } else if (prev !== v) {
      this.fail(`node ${n.id} applied ${v} at ${e.index}, another applied ${prev}`);
    }
    if (e.type === 'confChange') {
      n.confState = n.node!.applyConfChange(decodeConfChange(e.data));
      this.log.push(`t${this.now} ${n.id} applied conf change at ${e.index}: voters=${n.confState.voters} out=${n.confState.votersOutgoing} learners=${n.confState.learners}`);
    }
    n.app = { appliedIndex: e.index, chain: mix(n.app.chain, v) };
    n.confAt.set(e.index, n.confState);
    n.chainAt.set(e.index, n.app.chain);
  }

  private crash(n: SimNode, when: string): void {
    this.log.push(`t${this.now} crash ${n.id} (${when})`);
    n.node = undefined;
  }

  private restart(n: SimNode): void {
    this.log.push(`t${this.now} restart ${n.id}`);
    this.start(n);
  }

  private leaders(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.node !== undefined && n.node.raft.state === 'leader');
  }

  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.leaders()) if (best === undefined || n.node!.raft.term > best.node!.raft.term) best = n;
    return best;
  }

  private propose(): void {
    const ls = this.leaders();
    if (ls.length === 0) return;
    const l = this.prng.pick(ls);
    const v = `v${this.nextProposal++}`;
    try {
      l.node!.propose(enc.encode(v));
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
  }

  private changeMembership(): void {
    const ls = this.leaders();
    if (ls.length === 0) return;
    const l = this.prng.pick(ls);
    const cs = l.node!.status().confState;
    const voters = cs.voters;
    const choices: ConfChange[] = [];
    const spare = this.spareIds.find((id) => !voters.includes(id) && !cs.learners.includes(id));
    if (spare !== undefined) choices.push({ transition: 'auto', changes: [{ type: 'addLearner', nodeId: spare }] });
    for (const id of cs.learners) choices.push({ transition: 'auto', changes: [{ type: 'addNode', nodeId: id }] });
    if (voters.length > 2) {
      const victim = this.prng.pick(voters);
      choices.push({ transition: 'auto', changes: [{ type: 'removeNode', nodeId: victim }] });
      if (cs.learners.length > 0) {
        choices.push({ transition: this.prng.pick(['auto', 'implicit'] as const), changes: [{ type: 'addNode', nodeId: cs.learners[0]! }, { type: 'removeNode', nodeId: victim }] });
      }
    }
    if (cs.votersOutgoing.length > 0) choices.push({ transition: 'auto', changes: [] });
    if (choices.length === 0) return;
    const cc = this.prng.pick(choices);
    try {
      l.node!.proposeConfChange(cc);
      this.log.push(`t${this.now} ${l.id} proposed conf change ${JSON.stringify(cc.changes)} ${cc.transition}`);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError) && !(e instanceof ConfChangeError)) throw e;
    }
  }

  private compact(n: SimNode): void {
    const applied = n.app.appliedIndex;
    const first = n.storage.firstIndex();
    if (applied < first + 2) return;
    const at = this.prng.range(first, applied);
    // Only what is persisted can be compacted; applied entries are persisted (Ready order).
    if (at > n.storage.lastIndex()) return;
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, n.chainAt.get(at)!, true);
    n.storage.createSnapshot(at, n.confAt.get(at)!, data);
    n.storage.compact(at);
    for (const k of n.confAt.keys()) if (k < at) n.confAt.delete(k);
    for (const k of n.chainAt.keys()) if (k < at) n.chainAt.delete(k);
    this.log.push(`t${this.now} ${n.id} compacted to ${at}`);
  }

  private partition(): void {
    this.cut.clear();
    const ids = [...this.nodes.keys()];
    const kind = this.prng.int(4);
    if (kind === 0) return;
    if (kind === 1) {
      // symmetric split
      const side = new Set(ids.filter(() => this.prng.chance(0.5)));
      for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) this.cut.add(`${a}>${b}`);
    } else if (kind === 2) {
      // one-way cuts
      for (let i = 0; i < 3; i++) this.cut.add(`${this.prng.pick(ids)}>${this.prng.pick(ids)}`);
    } else {
      // isolate one node
      const x = this.prng.pick(ids);
      for (const b of ids) if (b !== x) this.cut.add(`${x}>${b}`).add(`${b}>${x}`);
    }
    this.log.push(`t${this.now} partition ${[...this.cut].join(' ') || 'none'}`);
  }

  private deliverDue(): void {
    if (this.net.length === 0) return;
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.net) (f.deliverAt <= this.now ? due : later).push(f);
    this.net = later;
    // Reorder among due messages.
    if (this.faults) this.prng.shuffle(due);
    for (const { m } of due) {
      const n = this.nodes.get(m.to);
      if (n === undefined || n.node === undefined || this.cut.has(`${m.from}>${m.to}`)) {
        this.snapshotLost(m);
        continue;
      }
      n.node.step(m);
      if (m.type === 'MsgSnap') this.nodes.get(m.from)?.node?.reportSnapshot(m.to, true);
    }
  }

  /** One step of simulated time: faults, ticks, deliveries, Readies, checks. */
  step(): void {
    this.now++;
    if (this.faults) {
      if (this.prng.chance(0.02)) this.partition();
      const down = [...this.nodes.values()].filter((n) => n.node === undefined);
      for (const n of down) if (this.prng.chance(0.1)) this.restart(n);
      if (this.prng.chance(0.005)) {
        const n = this.prng.pick([...this.nodes.values()].filter((x) => x.node !== undefined));
        if (n !== undefined) this.crash(n, 'between rounds');
      }
      if (this.prng.chance(0.02)) this.changeMembership();
      for (const n of this.nodes.values()) if (n.node !== undefined && this.prng.chance(0.01)) this.compact(n);
    }
    if (this.prng.chance(0.3)) this.propose();
    for (const n of this.nodes.values()) if (n.node !== undefined) n.node.tick();
    this.deliverDue();
    for (const n of this.nodes.values()) if (n.node !== undefined) this.handleReady(n);
    this.check();
  }

  /** The safety invariants, checked after every step. */
  check(): void {
    for (const n of this.nodes.values()) {
      if (n.node === undefined) continue;
      const r = n.node.raft;
      // At most one leader per term.
      if (r.state === 'leader') {
        const prev = this.leaderOfTerm.get(r.term);
        if (prev !== undefined && prev !== n.id) this.fail(`two leaders in term ${r.term}: ${prev} and ${n.id}`);
        this.leaderOfTerm.set(r.term, n.id);
      }
      // Log matching: same (index, term) means same data and same previous term. Entries at or
      // below the commit index are checked against what was applied instead (cheaper).
      const log = r.raftLog;
      const first = log.firstIndex();
      const from = Math.max(first, log.committed);
      let prevTerm = log.termOrUndefined(from - 1) ?? -1;
      if (from <= log.lastIndex()) {
        for (const e of log.slice(from, log.lastIndex() + 1, Number.MAX_SAFE_INTEGER)) {
          const key = `${e.index}/${e.term}`;
          const v = `${e.type}|${dec.decode(e.data)}`;
          const known = this.entryAt.get(key);
          if (known === undefined) this.entryAt.set(key, v);
          else if (known !== v) this.fail(`log matching: node ${n.id} has ${key} = ${v}, elsewhere ${known}`);
          const pk = `${e.index}/${e.term}/prev`;
          const knownPrev = this.entryAt.get(pk);
          if (prevTerm >= 0) {
            if (knownPrev === undefined) this.entryAt.set(pk, String(prevTerm));
            else if (knownPrev !== String(prevTerm)) this.fail(`log matching: node ${n.id} has ${key} after term ${prevTerm}, elsewhere after ${knownPrev}`);
          }
          if (e.term < prevTerm) this.fail(`node ${n.id}: term decreases at ${e.index}`);
          prevTerm = e.term;
        }
      }
      // The committed prefix agrees with what was applied anywhere (checked once per index).
      const checkedTo = this.checkedCommit.get(n.id) ?? 0;
      for (let i = Math.max(first, checkedTo + 1); i <= log.committed; i++) {
        const c = this.committed.get(i);
        if (c === undefined) break;
        const t = log.termOrUndefined(i);
        if (t !== undefined && !c.startsWith(`${t}:`)) this.fail(`node ${n.id} committed ${i} at term ${t}, but ${c} was applied`);
        this.checkedCommit.set(n.id, i);
      }
      // Leader completeness: a leader elected after an entry was committed holds it. Leaders
      // never drop entries, so checking when a node starts leading a term is enough.
      const lk = `${n.id}/${r.term}`;
      if (r.state === 'leader' && !this.leaderChecked.has(lk)) {
        this.leaderChecked.add(lk);
        for (const [i, c] of this.committed) {
          const seen = this.committedSeenAtTerm.get(i)!;
          if (r.term <= seen || i < first) continue;
          const t = log.termOrUndefined(i);
          if (t === undefined || !c.startsWith(`${t}:`)) this.fail(`leader completeness: leader ${n.id} (term ${r.term}) lacks committed ${i} = ${c}`);
        }
      }
    }
  }

  /** Runs the fault phase, then heals everything and requires progress. */
  run(): void {
    for (let i = 0; i < this.opts.steps; i++) this.step();
    this.faults = false;
    this.cut.clear();
    this.log.push(`t${this.now} faults stop`);
    for (const n of this.nodes.values()) if (n.node === undefined) this.restart(n);
    const target = `final-${this.opts.seed}`;
    let proposedAt = -1;
    for (let i = 0; i < this.opts.livenessSteps; i++) {
      this.step();
      // A stale leader may linger (e.g. one removed from the group, without check-quorum or
      // pre-vote nobody tells it); the leader that matters is the one with the highest term.
      const l = this.currentLeader();
      if (proposedAt < 0 && l !== undefined) {
        try {
          l.node!.propose(enc.encode(target));
          proposedAt = this.now;
        } catch (e) {
          if (!(e instanceof ProposalDroppedError)) throw e;
        }
      }
      if (proposedAt >= 0 && this.allMembersApplied(target)) return;
      // If the proposal was lost (leader changed), propose again.
      if (proposedAt >= 0 && this.now - proposedAt > 60) proposedAt = -1;
    }
    const states = [...this.nodes.values()].map((n) => {
      const s = n.node!.status();
      const prs = [...s.progress].map(([id, p]) => `${id}:${p.state}/m${p.match}/n${p.next}/snap${p.pendingSnapshot}/act${p.recentActive}`).join(' ');
      return `${n.id}:${s.role} t${s.term} c${s.commit} a${s.applied} first${n.storage.firstIndex()} last${s.lastIndex} voters=${s.confState.voters}&${s.confState.votersOutgoing} ${prs}`;
    });
    this.fail(`no progress after faults stopped: ${states.join(', ')}; in flight: ${this.net.slice(0, 5).map((f) => describeMessage(f.m)).join('; ')}`);
  }

  private allMembersApplied(v: string): boolean {
    let at = -1;
    for (const [i, c] of this.committed) if (c.endsWith(`:${v}`)) at = i;
    if (at < 0) return false;
    const l = this.currentLeader();
    if (l === undefined) return false;
    const cs = l.confState;
    for (const id of [...cs.voters, ...cs.learners]) {
      const n = this.nodes.get(id)!;
      if (n.app.appliedIndex < at) return false;
    }
    return true;
  }
}
