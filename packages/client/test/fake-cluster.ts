/**
 * An in-memory cluster behind the ClientTransport seam: partitions with leaders, per-partition
 * session tables that answer a duplicate (clientId, seq) with its first answer, and faults the
 * tests switch on (a node down, a node that hangs, a reply lost after the write applied, leader
 * changes, hints that are missing or wrong). It records every call so tests can check what the
 * client sent, and asserts that no session ever has two writes in flight.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the fake reads the untyped wire inputs the client sends, as a server would */
import { ManualClock, Prng, utf8Encode } from '@ringkv/stdx';
import { RingKVError } from '../src/errors';
import type { CallOptions, ClientTransport, SubscriptionHandlers, TransportSubscription } from '../src/transport';
import type { ClientEnvironment } from '../src/environment';
import type { PartitionerFactory } from '../src/router';
import type { ProcedurePath, WireEntry, WirePlacement, WireWatchEvent } from '../src/wire';
import type { WireKey, WireValue } from '../src/values';

export interface RecordedCall {
  readonly endpoint: string;
  readonly path: ProcedurePath;
  readonly input: any;
  /** The transport was told to send it on its own (a retry). */
  readonly alone: boolean;
}

interface PartitionState {
  leader: number;
  revision: number;
  data: Map<string, WireEntry>;
  sessions: Map<string, { seq: number; answer: unknown }>;
  applied: number;
}

export const NODES = [1, 2, 3];
export const addressOf = (id: number): string => `n${id}`;

/** The fake's hash: byte sum modulo the partition count (the real client uses the ring's). */
export function fakePartitionOf(keyBytes: Uint8Array, partitions: number): number {
  let sum = 0;
  for (const b of keyBytes) sum += b;
  return sum % partitions;
}

export const fakePartitioner: PartitionerFactory = (placement) => (bytes) => fakePartitionOf(bytes, placement.partitions);

function keyString(key: WireKey): string {
  return typeof key === 'string' ? key : `b64:${key.bytes}`;
}

export class FakeCluster implements ClientTransport {
  readonly calls: RecordedCall[] = [];
  readonly partitions: PartitionState[] = [];
  readonly down = new Set<string>();
  readonly hanging = new Set<string>();
  /** Endpoints whose calls never settle, not even when cancelled (a transport that ignores the token). */
  readonly deaf = new Set<string>();
  /** Endpoints that apply the next N writes but lose the reply (the socket closes). */
  readonly loseReplies = new Map<string, number>();
  /** Followers forward gets, puts, deletes, getManys and writeBatches to the leader (as a node
   *  does) instead of answering NOT_LEADER, and name the leader on the answer (leaderHint,
   *  leaderAddress; the fake's getMany and writeBatch hold one partition's keys, as the SDK sends). */
  forwarding = false;
  /** Calls a follower served by forwarding them. */
  forwarded = 0;
  /** NOT_LEADER answers: 'correct' hint, no hint, or a hint naming a wrong node. */
  hintMode: 'correct' | 'none' | 'wrong' = 'correct';
  /** Whether cluster.placement reports current leaders (false: stale view, replicas only). */
  placementShowsLeaders = true;
  /** UNAVAILABLE answers for the next N requests to any partition (an election in progress). */
  unavailableFor = 0;
  /** Which nodes host each partition (watches go only there); default: every node hosts all. */
  hostsOf: (partition: number) => number[] = () => [...NODES];
  /** The next N batches answer a retryable per-partition failure (not applied), as a node whose forward failed does. */
  batchOutcomeFailures = 0;
  /** A getMany of more keys than this fails TOO_LARGE as an answer past the server's limit. */
  getManyKeysMax = Infinity;
  /** The next this-many gets fail as a server's pipeline answer cut at its limit would. */
  cutFromPipelines = 0;
  /** Called when a getMany is refused as too large (tests change the cluster from here). */
  onGetManyTooLarge: (() => void) | undefined;
  /** Per endpoint, the first revision its watch history holds (as after a restart); older: COMPACTED. */
  readonly historyFrom = new Map<string, number>();
  private readonly inFlightWrites = new Set<string>();
  maxInFlightPerSession = 0;
  private readonly watchers = new Set<{ partition?: number; key?: string; prefix?: string; handlers: SubscriptionHandlers }>();

  constructor(readonly partitionCount = 4) {
    for (let p = 0; p < partitionCount; p++) {
      this.partitions.push({ leader: NODES[p % NODES.length]!, revision: 0, data: new Map(), sessions: new Map(), applied: 0 });
    }
  }

  partitionOfKey(key: string): number {
    return fakePartitionOf(utf8Encode(key), this.partitionCount);
  }

  placement(): WirePlacement {
    return {
      partitions: this.partitionCount,
      replicationFactor: 3,
      nodes: NODES.map((id) => ({ id, address: addressOf(id) })),
      groups: this.partitions.map((s, partition) => ({
        partition,
        replicas: this.hostsOf(partition),
        leader: this.placementShowsLeaders ? s.leader : null,
      })),
    };
  }

  callsTo(path: ProcedurePath): RecordedCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  async call(endpoint: string, path: ProcedurePath, input: unknown, options: CallOptions): Promise<unknown> {
    this.calls.push({ endpoint, path, input, alone: options.alone === true });
    await Promise.resolve();
    if (this.down.has(endpoint)) throw new RingKVError('UNAVAILABLE', `connection to ${endpoint} refused`, { endpoint, connection: true });
    if (this.deaf.has(endpoint)) return new Promise(() => undefined);
    if (this.hanging.has(endpoint)) {
      return new Promise((_, reject) => {
        options.cancel.listen(() => reject(new RingKVError('UNAVAILABLE', 'aborted', { connection: true })));
      });
    }
    const node = Number(endpoint.slice(1));
    const isWrite = path === 'kv.put' || path === 'kv.delete' || path === 'kv.writeBatch';
    const sessionKey = isWrite ? (input as any).session.clientId : undefined;
    if (sessionKey !== undefined) {
      if (this.inFlightWrites.has(sessionKey)) throw new Error(`session ${sessionKey} has two writes in flight`);
      this.inFlightWrites.add(sessionKey);
      this.maxInFlightPerSession = Math.max(this.maxInFlightPerSession, 1);
    }
    try {
      const answer = this.serve(node, path, input as any);
      const lose = this.loseReplies.get(endpoint) ?? 0;
      if (isWrite && lose > 0) {
        this.loseReplies.set(endpoint, lose - 1);
        throw new RingKVError('UNAVAILABLE', `connection to ${endpoint} closed`, { endpoint, connection: true });
      }
      return structuredClone(answer);
    } finally {
      if (sessionKey !== undefined) this.inFlightWrites.delete(sessionKey);
    }
  }

  private partitionFor(path: ProcedurePath, input: any): number | undefined {
    switch (path) {
      case 'kv.get':
      case 'kv.put':
      case 'kv.delete':
        return this.partitionOfKey(keyString(input.key));
      case 'kv.getMany':
        return this.partitionOfKey(keyString(input.keys[0]));
      case 'kv.writeBatch':
        return this.partitionOfKey(keyString(input.ops[0].key));
      case 'kv.scanPartition':
        return input.partition;
      default:
        return undefined;
    }
  }

  private serve(node: number, path: ProcedurePath, input: any): unknown {
    if (path === 'cluster.placement') return this.placement();
    if (path === 'cluster.status') return { clusterId: 'fake', nodeId: node, nodes: [], partitions: [] };
    if (path === 'cluster.health') return { ok: true, nodeId: node, partitionsHosted: 4, partitionsWithLeader: 4, partitionsLed: 1 };
    if (path === 'kv.scan') return this.scan(input);
    const partition = this.partitionFor(path, input)!;
    const state = this.partitions[partition]!;
    if (this.unavailableFor > 0) {
      this.unavailableFor--;
      throw new RingKVError('UNAVAILABLE', 'no leader', { partition });
    }
    if (path === 'kv.get' && this.cutFromPipelines > 0) {
      this.cutFromPipelines--;
      throw new RingKVError('UNAVAILABLE', 'left out of a pipeline answer over its limit', { partition, retryAfterMs: 0, answerLimitBytes: 16 });
    }
    const stale = path === 'kv.get' && input.consistency === 'stale';
    if (state.leader !== node && !stale && this.forwarding && (path === 'kv.get' || path === 'kv.put' || path === 'kv.delete' || path === 'kv.getMany' || path === 'kv.writeBatch')) {
      this.forwarded++;
      const answer = this.serve(state.leader, path, input) as object;
      return { ...answer, leaderHint: state.leader, leaderAddress: addressOf(state.leader) };
    }
    if (state.leader !== node && !stale) {
      const hint = this.hintMode === 'correct' ? state.leader : this.hintMode === 'wrong' ? NODES.find((n) => n !== node && n !== state.leader)! : undefined;
      throw new RingKVError('NOT_LEADER', `node ${node} does not lead partition ${partition}`, {
        partition,
        ...(hint === undefined ? {} : { leaderHint: hint }),
      });
    }
    switch (path) {
      case 'kv.get': {
        const entry = state.data.get(keyString(input.key)) ?? null;
        return { entry, revision: state.revision };
      }
      case 'kv.getMany':
        if (input.keys.length > this.getManyKeysMax) {
          this.onGetManyTooLarge?.();
          throw new RingKVError('TOO_LARGE', 'the keys asked for hold more than one answer carries', { answerLimitBytes: 100, partition });
        }
        return { entries: input.keys.map((k: WireKey) => state.data.get(keyString(k)) ?? null) };
      case 'kv.scanPartition':
        return { partition, entries: [], revision: state.revision };
      case 'kv.writeBatch':
        if (this.batchOutcomeFailures > 0) {
          this.batchOutcomeFailures--;
          return { partitions: [{ partition, ok: false, ops: input.ops.map((_: unknown, i: number) => i), error: { code: 'UNAVAILABLE', message: 'no leader yet', data: { partition } } }] };
        }
        return this.applyWrite(partition, state, path, input);
      case 'kv.put':
      case 'kv.delete':
        return this.applyWrite(partition, state, path, input);
      default:
        throw new RingKVError('BAD_REQUEST', `unknown procedure ${path}`);
    }
  }

  private applyWrite(partition: number, state: PartitionState, path: ProcedurePath, input: any): unknown {
    const { clientId, seq } = input.session as { clientId: string; seq: number };
    const seen = state.sessions.get(clientId);
    if (seen !== undefined && seen.seq === seq) return seen.answer;
    if (seen !== undefined && seq < seen.seq) throw new Error(`session ${clientId} sent seq ${seq} after ${seen.seq}`);
    let answer: unknown;
    if (path === 'kv.put' || path === 'kv.delete') {
      const k = keyString(input.key);
      const current = state.data.get(k);
      if (input.ifVersion !== undefined && (current?.version ?? 0) !== input.ifVersion) {
        throw new RingKVError('CONDITION_FAILED', `version is ${current?.version ?? 0}`, { currentVersion: current?.version ?? 0 });
      }
      answer = path === 'kv.put' ? this.putOne(state, partition, input.key, input.value, current) : this.deleteOne(state, partition, input.key, current);
    } else {
      // The whole batch is one entry: one revision for all its ops, as on the real nodes.
      const revision = state.revision + 1;
      for (const op of input.ops) {
        const current = state.data.get(keyString(op.key));
        if (op.op === 'put') this.putOne(state, partition, op.key, op.value, current, revision);
        else this.deleteOne(state, partition, op.key, current, revision);
      }
      state.revision = revision;
      answer = { partitions: [{ partition, ok: true, revision: state.revision, ops: input.ops.map((_: unknown, i: number) => i) }] };
    }
    state.applied++;
    state.sessions.set(clientId, { seq, answer });
    return answer;
  }

  private putOne(state: PartitionState, partition: number, key: WireKey, value: WireValue, current: WireEntry | undefined, batchRevision?: number): unknown {
    const revision = batchRevision ?? ++state.revision;
    const entry: WireEntry = { key, value, version: (current?.version ?? 0) + 1, createRevision: current?.createRevision ?? revision, modRevision: revision };
    state.data.set(keyString(key), entry);
    this.notify(partition, { type: 'put', partition, key, value, version: entry.version, modRevision: revision });
    return { version: entry.version, createRevision: entry.createRevision, modRevision: revision };
  }

  private deleteOne(state: PartitionState, partition: number, key: WireKey, current: WireEntry | undefined, batchRevision?: number): unknown {
    if (current === undefined) return { deleted: false, revision: state.revision };
    const revision = batchRevision ?? ++state.revision;
    state.data.delete(keyString(key));
    this.notify(partition, { type: 'delete', partition, key, version: 0, modRevision: revision });
    return { deleted: true, revision };
  }

  private scan(input: { prefix: string; limit: number; cursor?: string }): unknown {
    const all = this.partitions
      .flatMap((s) => [...s.data.entries()])
      .filter(([k]) => k.startsWith(input.prefix) && (input.cursor === undefined || k > input.cursor))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = all.slice(0, input.limit);
    const more = all.length > input.limit;
    return { entries: page.map(([, e]) => e), cursor: more ? page[page.length - 1]![0] : null };
  }

  /** Every event ever applied, per partition, so a resumed watch can replay from a revision. */
  private readonly history: WireWatchEvent[] = [];

  private notify(partition: number, event: WireWatchEvent): void {
    this.history.push(event);
    for (const w of this.watchers) {
      const k = keyString(event.key);
      if ((w.partition === undefined || w.partition === partition) && (w.key === k || (w.prefix !== undefined && k.startsWith(w.prefix)))) w.handlers.onData(structuredClone(event));
    }
  }

  readonly subscriptions: Array<{ endpoint: string; input: any }> = [];

  subscribe(endpoint: string, _path: 'kv.watch', input: any, handlers: SubscriptionHandlers): TransportSubscription {
    this.subscriptions.push({ endpoint, input });
    // A key watch covers its partition; a prefix watch one partition, or all of them (on a node hosting all).
    const partition: number | undefined = input.key !== undefined ? this.partitionOfKey(keyString(input.key)) : input.partition;
    const node = Number(endpoint.slice(1));
    const refusal =
      partition !== undefined && !this.hostsOf(partition).includes(node)
        ? new RingKVError('NOT_LEADER', `node ${node} holds no replica of partition ${partition}`, { partition, leaderHint: this.hostsOf(partition)[0]! })
        : partition === undefined && this.partitions.some((_, p) => !this.hostsOf(p).includes(node))
          ? new RingKVError('UNAVAILABLE', `node ${node} does not host every partition`)
          : undefined;
    const watcher: { partition?: number; key?: string; prefix?: string; handlers: SubscriptionHandlers } = {
      handlers,
      ...(partition === undefined ? {} : { partition }),
      ...(input.key !== undefined ? { key: keyString(input.key) } : { prefix: keyString(input.prefix) }),
    };
    queueMicrotask(() => {
      if (this.down.has(endpoint)) {
        handlers.onError(new RingKVError('UNAVAILABLE', 'refused', { connection: true }));
        return;
      }
      if (refusal !== undefined) {
        handlers.onError(refusal);
        return;
      }
      const from = this.historyFrom.get(endpoint);
      if (input.fromRevision !== undefined && from !== undefined && input.fromRevision < from) {
        handlers.onError(new RingKVError('COMPACTED', `${endpoint} holds changes from revision ${from} on`, { compactedRevision: from - 1 }));
        return;
      }
      if (input.fromRevision !== undefined) {
        for (const e of this.history) {
          const k = keyString(e.key);
          if ((partition === undefined || e.partition === partition) && e.modRevision >= input.fromRevision && (watcher.key === k || (watcher.prefix !== undefined && k.startsWith(watcher.prefix)))) {
            handlers.onData(structuredClone(e));
          }
        }
      }
      this.watchers.add(watcher);
    });
    return { unsubscribe: () => this.watchers.delete(watcher) };
  }

  /** Breaks every open watch subscription (as a dropped socket would). */
  dropWatches(): void {
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.handlers.onError(new RingKVError('UNAVAILABLE', 'socket closed', { connection: true }));
    }
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

export function testEnvironment(seed = 1): { env: ClientEnvironment; clock: ManualClock } {
  const clock = new ManualClock();
  return { env: { clock, random: new Prng(seed) }, clock };
}

/** Drives a promise to completion on a manual clock: flush microtasks, then move time 1 ms. */
export async function settle<T>(clock: ManualClock, promise: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  for (let ms = 0; ms <= maxMs; ms++) {
    await new Promise((r) => setImmediate(r));
    if (done) return tracked;
    clock.advance(1);
  }
  throw new Error(`promise did not settle within ${maxMs} simulated ms`);
}
