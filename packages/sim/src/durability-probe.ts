/**
 * A small process the simulator runs until the Store can: it exercises the whole machine model
 * (clock, network, both disks, crashes, pauses, bit flips) with the real storage engines and has
 * a precise oracle. Each node keeps its own Raft-log-like stream in the real log engine (one
 * group, entries "n<node> i<index>", each append a synced group commit) and applies every
 * entry to the real KV engine with unsynced writes, replaying the log past the applied index at
 * boot, as the Store does. Nodes ping random peers and answer pongs.
 *
 * The oracle checks, at every boot: no acknowledged (synced) append is lost; the log holds
 * exactly the entries written, contiguous; the KV engine holds exactly the records up to its
 * applied index, never more than the log; corrupt data is refused (the boot fails with a
 * CorruptionError, which the fault schedule treats as detection).
 */
import { assert, groupId, utf8Decode, utf8Encode, type NodeId } from '@ringkv/stdx';
import { openKvEngine, openSegmentLogEngine, SCAN_LIMIT_MAX, type ScanItem, type GroupLog, type KvEngine, type RaftLogEngine } from '@ringkv/storage';
import type { BootContext, SimProcess } from './node-host';

const GROUP = groupId(1);
const RECORD_PREFIX = utf8Encode('k');

export interface ProbeOracle {
  /** Highest append index whose commit resolved, per node. */
  readonly acked: Map<NodeId, number>;
  /** Virtual time of the last pong each node received from each peer. */
  readonly lastPongMs: Map<string, number>;
  boots: number;
  appends: number;
}

export function newProbeOracle(): ProbeOracle {
  return { acked: new Map(), lastPongMs: new Map(), boots: 0, appends: 0 };
}

function entryText(node: NodeId, index: number): string {
  return `n${node} i${index}`;
}

function recordKey(index: number): Uint8Array {
  return utf8Encode(`k${String(index).padStart(8, '0')}`);
}

export class DurabilityProbe implements SimProcess {
  private stopped = false;
  private pingSeq = 0;

  private constructor(
    private readonly ctx: BootContext,
    private readonly oracle: ProbeOracle,
    private readonly peers: readonly NodeId[],
    private readonly log: RaftLogEngine,
    private readonly group: GroupLog,
    private readonly kv: KvEngine,
    private readonly nowSimMs: () => number,
  ) {}

  static async boot(ctx: BootContext, oracle: ProbeOracle, peers: readonly NodeId[], nowSimMs: () => number): Promise<DurabilityProbe> {
    const log = await openSegmentLogEngine({ directory: ctx.logDir, segmentBytes: 16 * 1024, preallocateBytes: 4 * 1024 });
    const group = await log.openGroup(GROUP);
    const kv = await openKvEngine({ db: ctx.kvDb, queueWrites: true });
    const node = ctx.nodeId;
    const last = group.lastIndex();
    const acked = oracle.acked.get(node) ?? 0;
    assert(last >= acked, () => `node ${node}: acknowledged append ${acked} lost, log ends at ${last}`);
    if (last >= 1) {
      const entries = group.entries(1, last + 1, Number.MAX_SAFE_INTEGER);
      entries.forEach((e, i) => assert(e.index === i + 1 && utf8Decode(e.data) === entryText(node, e.index), () => `node ${node}: log entry ${i + 1} is not what was written`));
    }
    const applied = await kv.appliedIndex(GROUP);
    assert(applied <= last, () => `node ${node}: applied index ${applied} is past the log's end ${last}`);
    const records = await scanAll(kv);
    assert(records.length === applied, () => `node ${node}: ${records.length} records for applied index ${applied}`);
    records.forEach((r, i) => assert(r.record.value === entryText(node, i + 1), () => `node ${node}: record ${i + 1} holds ${JSON.stringify(r.record.value)}`));
    // Replay what the log has past the applied index, as the Store does after a crash.
    for (let index = applied + 1; index <= last; index++) await applyEntry(kv, node, index);
    oracle.boots++;
    const probe = new DurabilityProbe(ctx, oracle, peers, log, group, kv, nowSimMs);
    ctx.transport.onReceive((from, frame) => probe.receive(from, frame));
    probe.scheduleAppend();
    probe.schedulePing();
    return probe;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.log.close();
    await this.kv.close();
  }

  private scheduleAppend(): void {
    this.ctx.clock.setTimer(this.ctx.prng.range(5, 60), () => void this.append());
  }

  private async append(): Promise<void> {
    if (this.stopped) return;
    const node = this.ctx.nodeId;
    const index = this.group.lastIndex() + 1;
    const batch = this.log.newBatch();
    batch.append(this.group, [{ index, term: 1, type: 'normal', data: utf8Encode(entryText(node, index)) }]);
    await this.log.commit(batch);
    this.oracle.acked.set(node, Math.max(this.oracle.acked.get(node) ?? 0, index));
    this.oracle.appends++;
    await applyEntry(this.kv, node, index);
    this.scheduleAppend();
  }

  private schedulePing(): void {
    this.ctx.clock.setTimer(this.ctx.prng.range(50, 150), () => {
      if (this.stopped || this.peers.length === 0) return;
      const to = this.ctx.prng.pick(this.peers);
      this.ctx.transport.send(to, utf8Encode(`ping ${this.ctx.nodeId} ${this.pingSeq++}`));
      this.schedulePing();
    });
  }

  private receive(from: NodeId, frame: Uint8Array): void {
    const text = utf8Decode(frame);
    if (text.startsWith('ping ')) this.ctx.transport.send(from, utf8Encode(`pong ${text.slice(5)}`));
    else if (text.startsWith('pong ')) this.oracle.lastPongMs.set(`${this.ctx.nodeId}<${from}`, this.nowSimMs());
    else throw new Error(`node ${this.ctx.nodeId}: unexpected frame ${JSON.stringify(text)}`);
  }
}

async function applyEntry(kv: KvEngine, node: NodeId, index: number): Promise<void> {
  const b = kv.newApplyBatch();
  b.put(GROUP, recordKey(index), { value: entryText(node, index), version: 1, createRevision: index, modRevision: index });
  b.setAppliedIndex(GROUP, index);
  await kv.write(b);
}

async function scanAll(kv: KvEngine): Promise<ScanItem[]> {
  const out: ScanItem[] = [];
  for (;;) {
    const after = out.at(-1)?.key;
    const page = await kv.scan(GROUP, { prefix: RECORD_PREFIX, limit: SCAN_LIMIT_MAX, ...(after === undefined ? {} : { after }) });
    out.push(...page);
    if (page.length < SCAN_LIMIT_MAX) return out;
  }
}
