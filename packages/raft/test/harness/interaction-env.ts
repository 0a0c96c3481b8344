/**
 * Drives several RawNodes by text commands, for the data-driven transcripts in testdata/
 * (shaped like etcd raft's rafttest.InteractionEnv). Each command returns the text it prints.
 */
import { nodeId, Prng, type NodeId } from '@ringkv/stdx';
import {
  decodeConfChange,
  MemoryStorage,
  RawNode,
  type ConfChange,
  type ConfChangeSingle,
  type ConfState,
  type Message,
  type Ready,
  type RaftConfig,
} from '../../src/index';
import { describeConfState, describeEntry, describeMessage } from './describe';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface EnvNode {
  id: NodeId;
  node: RawNode;
  config: RaftConfig;
  storage: MemoryStorage;
  applied: string[];
  /** ConfState after each applied index, for snapshots. */
  confStates: Map<number, ConfState>;
  appliedIndex: number;
}

export interface Command {
  name: string;
  args: string[];
  kv: Map<string, string>;
}

export function parseCommand(line: string): Command {
  const tokens = line.trim().match(/\S+=\([^)]*\)|\S+/g) ?? [];
  const [name, ...rest] = tokens;
  const args: string[] = [];
  const kv = new Map<string, string>();
  for (const t of rest) {
    const eq = t.indexOf('=');
    if (eq > 0) kv.set(t.slice(0, eq), t.slice(eq + 1).replace(/^\(|\)$/g, ''));
    else args.push(t);
  }
  return { name: name ?? '', args, kv };
}

const idList = (s: string | undefined): NodeId[] =>
  s === undefined || s.trim() === '' ? [] : s.split(/[ ,]+/).filter((x) => x !== '').map((x) => nodeId(Number(x)));

export class InteractionEnv {
  nodes = new Map<NodeId, EnvNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  isolated = new Set<NodeId>();
  private out: string[] = [];

  run(c: Command): string {
    this.out = [];
    const n = (i = 0): NodeId => nodeId(Number(c.args[i]));
    switch (c.name) {
      case 'add-nodes':
        this.addNodes(Number(c.args[0]), c);
        break;
      case 'campaign':
        this.get(n()).node.campaign();
        break;
      case 'propose':
        this.guard(() => {
          const r = this.get(n()).node.propose(enc.encode(c.args[1] ?? ''));
          this.out.push(`proposed at ${r.term}/${r.index}`);
        });
        break;
      case 'propose-conf-change':
        this.guard(() => {
          const changes: ConfChangeSingle[] = c.args.slice(1).map((a) => ({
            type: a[0] === 'v' ? 'addNode' : a[0] === 'l' ? 'addLearner' : 'removeNode',
            nodeId: nodeId(Number(a.slice(1))),
          }));
          const transition = (c.kv.get('transition') ?? 'auto') as ConfChange['transition'];
          const r = this.get(n()).node.proposeConfChange({ transition, changes });
          this.out.push(`proposed at ${r.term}/${r.index}`);
        });
        break;
      case 'tick-election':
        for (let i = 0; i < this.get(n()).node.raft.electionTimeout; i++) this.get(n()).node.tick();
        break;
      case 'tick-heartbeat':
        for (let i = 0; i < this.get(n()).node.raft.heartbeatTimeout; i++) this.get(n()).node.tick();
        break;
      case 'tick':
        for (let i = 0; i < Number(c.args[1] ?? 1); i++) this.get(n()).node.tick();
        break;
      case 'process-ready':
        for (let i = 0; i < c.args.length; i++) this.processReady(n(i));
        break;
      case 'deliver-msgs':
        this.deliverCmd(c);
        break;
      case 'stabilize':
        this.stabilize(c.args.length > 0 ? c.args.map((_, i) => n(i)) : [...this.nodes.keys()]);
        break;
      case 'partition':
        for (let i = 0; i < c.args.length; i++) this.isolated.add(n(i));
        break;
      case 'heal':
        this.isolated.clear();
        break;
      case 'read-index':
        this.guard(() => this.get(n()).node.readIndex(enc.encode(c.args[1] ?? ''), (c.kv.get('mode') ?? 'safe') as 'safe' | 'lease'));
        break;
      case 'transfer-leadership':
        this.get(nodeId(Number(c.kv.get('from')))).node.transferLeader(nodeId(Number(c.kv.get('to'))));
        break;
      case 'compact':
        this.compact(n(), Number(c.args[1]));
        break;
      case 'restart':
        this.restart(n());
        break;
      case 'status':
        this.status(n());
        break;
      case 'raft-log':
        this.raftLog(n());
        break;
      case 'raft-state':
        for (const en of this.nodes.values()) {
          const s = en.node.status();
          this.out.push(`${en.id}: ${s.role} term=${s.term} lead=${s.leader} commit=${s.commit} applied=${s.applied}`);
        }
        break;
      default:
        throw new Error(`unknown command ${c.name}`);
    }
    return this.out.join('\n');
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.out.push(`error: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }

  private get(id: NodeId): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Rebuilds a node from its storage alone, as after a crash (everything handled was persisted). */
  private restart(id: NodeId): void {
    const en = this.get(id);
    en.node = new RawNode({ ...en.config, applied: en.appliedIndex });
    this.out.push(`INFO ${id} restarted at applied=${en.appliedIndex}`);
  }

  private addNodes(count: number, c: Command): void {
    const voters = idList(c.kv.get('voters'));
    const learners = idList(c.kv.get('learners'));
    const cs: ConfState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (let i = 0; i < count; i++) {
      const id = nodeId(this.nodes.size + 1);
      const storage = new MemoryStorage(cs);
      const config: RaftConfig = {
        id,
        storage,
        prng: new Prng(id),
        electionTick: 10,
        heartbeatTick: 1,
        maxSizePerMsgBytes: Number(c.kv.get('max-msg-size') ?? 1 << 20),
        maxInflightMsgs: Number(c.kv.get('max-inflight') ?? 256),
        maxUncommittedEntriesSizeBytes: Number(c.kv.get('max-uncommitted') ?? 1 << 30),
        preVote: c.kv.get('prevote') === 'true',
        checkQuorum: c.kv.get('checkquorum') === 'true',
      };
      const node = new RawNode(config);
      this.nodes.set(id, { id, node, config, storage, applied: [], confStates: new Map([[0, cs]]), appliedIndex: 0 });
      this.out.push(`INFO ${id} is a new node: ${describeConfState(cs)}`);
    }
  }

  private processReady(id: NodeId): boolean {
    const en = this.get(id);
    if (!en.node.hasReady()) return false;
    const rd = en.node.ready();
    this.out.push(`> ${id} handling Ready`);
    this.describeReady(rd);
    if (rd.hardState !== undefined) en.storage.setHardState(rd.hardState);
    if (rd.snapshot !== undefined) en.storage.applySnapshot(rd.snapshot);
    en.storage.append(rd.entries);
    for (const m of [...rd.messages, ...rd.messagesAfterPersist]) this.send(structuredClone(m));
    if (rd.snapshot !== undefined) {
      const md = rd.snapshot.metadata;
      en.applied = JSON.parse(dec.decode(rd.snapshot.data)) as string[];
      en.appliedIndex = md.index;
      en.confStates.set(md.index, md.confState);
    }
    for (const e of rd.committedEntries) {
      let cs = en.confStates.get(en.appliedIndex)!;
      if (e.type === 'confChange') {
        cs = en.node.applyConfChange(decodeConfChange(e.data));
        this.out.push(`  INFO ${id} switched to configuration ${describeConfState(cs)}`);
      } else if (e.data.byteLength > 0) {
        en.applied.push(dec.decode(e.data));
      }
      en.appliedIndex = e.index;
      en.confStates.set(e.index, cs);
    }
    en.node.advance();
    return true;
  }

  private describeReady(rd: Ready): void {
    const o = this.out;
    if (rd.softState !== undefined) o.push(`  Lead:${rd.softState.leader} State:${rd.softState.role}`);
    if (rd.hardState !== undefined) o.push(`  HardState Term:${rd.hardState.term} Vote:${rd.hardState.vote} Commit:${rd.hardState.commit}`);
    if (rd.entries.length > 0) o.push('  Entries:', ...rd.entries.map((e) => `  ${describeEntry(e)}`));
    if (rd.snapshot !== undefined) {
      const md = rd.snapshot.metadata;
      o.push(`  Snapshot Index:${md.index} Term:${md.term} ConfState:${describeConfState(md.confState)}`);
    }
    if (rd.committedEntries.length > 0) o.push('  CommittedEntries:', ...rd.committedEntries.map((e) => `  ${describeEntry(e)}`));
    if (rd.messages.length > 0) o.push('  Messages:', ...rd.messages.map((m) => `  ${describeMessage(m)}`));
    if (rd.messagesAfterPersist.length > 0) o.push('  MessagesAfterPersist:', ...rd.messagesAfterPersist.map((m) => `  ${describeMessage(m)}`));
    if (rd.readStates.length > 0) o.push('  ReadStates:', ...rd.readStates.map((r) => `  Index:${r.index} Context:${JSON.stringify(dec.decode(r.context))}`));
  }

  private send(m: Message): void {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return;
    this.queue.push(m);
  }

  private deliverCmd(c: Command): void {
    for (const id of idList(c.kv.get('drop'))) {
      const dropped = this.queue.filter((m) => m.to === id);
      this.queue = this.queue.filter((m) => m.to !== id);
      for (const m of dropped) this.out.push(`dropped: ${describeMessage(m)}`);
    }
    for (let i = 0; i < c.args.length; i++) this.deliver(nodeId(Number(c.args[i])));
  }

  private deliver(id: NodeId): boolean {
    const msgs = this.queue.filter((m) => m.to === id);
    if (msgs.length === 0) return false;
    this.queue = this.queue.filter((m) => m.to !== id);
    this.out.push(`> ${id} receiving messages`);
    const en = this.get(id);
    for (const m of msgs) {
      this.out.push(`  ${describeMessage(m)}`);
      if (this.isolated.has(m.from) || this.isolated.has(m.to)) {
        this.out.push('  (dropped: partitioned)');
        continue;
      }
      en.node.step(m);
    }
    return true;
  }

  private stabilize(ids: NodeId[]): void {
    for (let round = 0; round < 1000; round++) {
      let progress = false;
      for (const id of ids) progress = this.processReady(id) || progress;
      for (const id of ids) progress = this.deliver(id) || progress;
      if (!progress) return;
    }
    throw new Error('stabilize did not settle in 1000 rounds');
  }

  private compact(id: NodeId, index: number): void {
    const en = this.get(id);
    const cs = en.confStates.get(index);
    if (cs === undefined || index > en.appliedIndex) throw new Error(`compact ${index}: not applied on ${id}`);
    // Snapshot data: the applied values up to `index`, recomputed from the log.
    const values: string[] = [];
    const snap = en.storage.snapshot();
    if (snap.metadata.index > 0) values.push(...(JSON.parse(dec.decode(snap.data)) as string[]));
    for (const e of en.storage.entries(en.storage.firstIndex(), index + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type === 'normal' && e.data.byteLength > 0) values.push(dec.decode(e.data));
    }
    en.storage.createSnapshot(index, cs, enc.encode(JSON.stringify(values)));
    en.storage.compact(index);
    this.raftLog(id);
  }

  private status(id: NodeId): void {
    const s = this.get(id).node.status();
    this.out.push(`${s.id}: ${s.role} term=${s.term} vote=${s.vote} lead=${s.leader} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}`);
    this.out.push(`config: ${describeConfState(s.confState)}`);
    for (const [pid, p] of s.progress) {
      let line = `${pid}: ${p.state} match=${p.match} next=${p.next}`;
      if (p.isLearner) line += ' learner';
      if (p.inflight > 0) line += ` inflight=${p.inflight}`;
      if (p.pendingSnapshot > 0) line += ` pendingSnap=${p.pendingSnapshot}`;
      this.out.push(line);
    }
  }

  private raftLog(id: NodeId): void {
    const en = this.get(id);
    const log = en.node.raft.raftLog;
    const ents = log.allEntries();
    if (ents.length === 0) this.out.push(`log is empty: first index=${log.firstIndex()}, last index=${log.lastIndex()}`);
    for (const e of ents) this.out.push(describeEntry(e));
    this.out.push(`applied: [${en.applied.join(' ')}]`);
  }
}
