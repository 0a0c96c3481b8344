/**
 * A single-node, in-memory KvService for testing the router's validation, error mapping and
 * merging on its own. Partition = first key byte modulo the partition count.
 */
import { StoreError, type BatchOp, type KvRecord, type KvService, type SessionTag, type WatchRequest, type WatchSink } from '@ringkv/multiraft';
import { compareBytes, nodeId, toHex } from '@ringkv/stdx';

/** A record's size as the fake counts it: its value's JSON text. */
export function fakeSize(record: KvRecord): number {
  const v = record.value;
  return v instanceof Uint8Array ? v.length : typeof v === 'string' ? v.length : JSON.stringify(v).length;
}

export class FakeKv implements KvService {
  readonly nodeId = nodeId(1);
  readonly partitionCount: number;
  readonly data = new Map<string, { key: Uint8Array; record: KvRecord }>();
  revision = 0;
  writes = 0;

  constructor(partitions = 4) {
    this.partitionCount = partitions;
  }

  partitionOf(key: Uint8Array): number {
    return (key[0] ?? 0) % this.partitionCount;
  }
  apiAddressOf(node: number): string | undefined {
    return node === 1 ? '127.0.0.1:1' : undefined;
  }
  async get(key: Uint8Array) {
    this.checkLeader();
    return { partition: this.partitionOf(key), record: this.data.get(toHex(key))?.record ?? null, revision: this.revision };
  }
  async getMany(keys: readonly Uint8Array[]) {
    this.checkLeader();
    const partition = this.partitionOf(keys[0]!);
    if (keys.some((k) => this.partitionOf(k) !== partition)) throw new StoreError('BAD_REQUEST', 'keys of several partitions');
    const records = keys.map((k) => this.data.get(toHex(k))?.record ?? null);
    const bytes = records.reduce((sum, r, i) => sum + (r === null ? 0 : keys[i]!.length + fakeSize(r)), 0);
    if (bytes > this.answerBytesMax) throw new StoreError('TOO_LARGE', `getMany answer of ${bytes} bytes`);
    return { partition, records };
  }
  /** The Store's ANSWER_BYTES_MAX, small here so tests can pass it with small values. */
  answerBytesMax = 16 * 1024 * 1024;
  async put(req: { key: Uint8Array; value: KvRecord['value']; ifVersion?: number; session: SessionTag }) {
    this.checkLeader();
    return this.apply(req.key, req.value, req.ifVersion);
  }
  private apply(key: Uint8Array, value: KvRecord['value'], ifVersion?: number) {
    const cur = this.data.get(toHex(key))?.record;
    if (ifVersion !== undefined && (cur?.version ?? 0) !== ifVersion) {
      throw new StoreError('CONDITION_FAILED', 'version mismatch', { currentVersion: cur?.version ?? 0 });
    }
    this.writes++;
    const rev = ++this.revision;
    const record: KvRecord = { value, version: (cur?.version ?? 0) + 1, createRevision: cur?.createRevision ?? rev, modRevision: rev };
    this.data.set(toHex(key), { key, record });
    return { version: record.version, createRevision: record.createRevision, modRevision: record.modRevision };
  }
  async delete(req: { key: Uint8Array }) {
    this.writes++;
    const existed = this.data.delete(toHex(req.key));
    return { deleted: existed, revision: ++this.revision };
  }
  async writeBatch(_partition: number, ops: readonly BatchOp[]) {
    this.checkLeader();
    for (const op of ops) {
      if (op.op === 'put') this.apply(op.key, op.value, op.ifVersion);
      else this.data.delete(toHex(op.key));
    }
    return { revision: this.revision };
  }
  /** As the Store: a page stops at `limit` records or after the one that reaches `bytesMax`. */
  async scanPartition(req: { partition: number; prefix: Uint8Array; after?: Uint8Array; limit: number; bytesMax?: number }) {
    this.checkLeader();
    this.scanRequests.push({ partition: req.partition, limit: req.limit, ...(req.bytesMax === undefined ? {} : { bytesMax: req.bytesMax }) });
    const matching = [...this.data.values()]
      .filter((e) => this.partitionOf(e.key) === req.partition)
      .filter((e) => e.key.length >= req.prefix.length && compareBytes(e.key.subarray(0, req.prefix.length), req.prefix) === 0)
      .filter((e) => req.after === undefined || compareBytes(e.key, req.after) > 0)
      .sort((a, b) => compareBytes(a.key, b.key));
    const items: Array<{ key: Uint8Array; record: KvRecord }> = [];
    let bytes = 0;
    for (const e of matching) {
      if (items.length >= req.limit || bytes >= (req.bytesMax ?? Infinity)) break;
      items.push(e);
      bytes += e.key.length + fakeSize(e.record);
    }
    const more = items.length < matching.length;
    return { partition: req.partition, items, revision: this.revision, ...(more ? { resumeAfter: items[items.length - 1]!.key } : {}) };
  }
  /** What each scanPartition call asked for. */
  readonly scanRequests: Array<{ partition: number; limit: number; bytesMax?: number }> = [];
  /** Watch sinks registered by the router; tests push events or errors into them. */
  readonly sinks = new Set<WatchSink>();
  watch(_request: WatchRequest, sink: WatchSink) {
    this.sinks.add(sink);
    return { cancel: () => this.sinks.delete(sink) };
  }
  /** When set, every call fails NOT_LEADER naming this node (to test forwarding). */
  notLeaderHint: number | undefined;
  private checkLeader(): void {
    if (this.notLeaderHint !== undefined) throw new StoreError('NOT_LEADER', 'not the leader', { leaderHint: this.notLeaderHint });
  }
  status() {
    return { clusterId: 'test', nodeId: 1, nodes: [], partitions: [] };
  }
  placement() {
    return { partitions: this.partitionCount, replicationFactor: 1, nodes: [], groups: [] };
  }
  health() {
    return { ok: true, nodeId: 1, partitionsHosted: 0, partitionsWithLeader: 0, partitionsLed: 0 };
  }
}
