/**
 * The RingKV client: typed operations on top of the router (where to send), the retry loop (when
 * to send again) and the session pool (how writes stay exactly-once). Transport, clock and
 * randomness are injected, so the same code runs over WebSockets and inside the simulator.
 */
import { assert } from '@ringkv/stdx';
import type { BackoffOptions } from './backoff';
import { DeadlineQueue } from './deadlines';
import { DEFAULT_BACKOFF } from './backoff';
import type { ClientEnvironment } from './environment';
import { abortReason } from './environment';
import { RingKVError } from './errors';
import type { Attempt, RetryPolicy, RouteSpec } from './retry';
import { toRingKVError, withRetries } from './retry';
import type { PartitionerFactory, RouterOptions } from './router';
import { DEFAULT_ROUTER_OPTIONS, Router } from './router';
import type { Session } from './sessions';
import { SessionPool } from './sessions';
import type { CallOptions, ClientTransport } from './transport';
import type {
  BatchOp,
  BatchPartitionOutcome,
  BatchResult,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  KvEntry,
  PutOptions,
  PutResult,
  RequestOptions,
  ScanOptions,
  ScanPage,
  WatchIterator,
  WatchOptions,
} from './types';
import type { Key, Value } from './values';
import { BATCH_OPS_MAX, BATCH_SIZE_BYTES_MAX, GET_MANY_KEYS_MAX, checkRequestSize, decodeKey, decodeValue, encodeKey, encodeSizedValue, encodeValue, keyBytes, keySizeBytes } from './values';
import { PrefixWatchStream } from './prefix-watch';
import { WatchStream } from './watch';
import type {
  ClusterHealth,
  ClusterStatus,
  ProcedurePath,
  WireBatchOp,
  WireDeleteInput,
  WireGetInput,
  WireGetManyInput,
  WirePutInput,
  WireScanInput,
  WireScanPartitionInput,
  WireScanPartitionOutput,
  WireWriteBatchInput,
  WireDeleteOutput,
  WireEntry,
  WireGetManyOutput,
  WireGetOutput,
  WirePutOutput,
  WireScanOutput,
  WireWriteBatchOutput,
} from './wire';

export interface ClientCoreOptions {
  /** Seed nodes, "host:port" (or ws:// URLs); the placement tells the client about the rest. */
  readonly endpoints: readonly string[];
  readonly transport: ClientTransport;
  readonly environment: ClientEnvironment;
  /** Builds key → partition from the placement; absent: every request goes to any node. */
  readonly partitioner?: PartitionerFactory;
  /** Overall time for one operation, retries included. Default 10 s. */
  readonly deadlineMs?: number;
  /** Time for one attempt before it counts as failed and is retried. Default 3 s. */
  readonly attemptTimeoutMs?: number;
  /** Writes in flight at once (one session each). Default 64. */
  readonly concurrency?: number;
  readonly backoff?: BackoffOptions;
  readonly router?: Partial<RouterOptions>;
}

/** A write's input before the client adds its session tag. */
type Unsessioned<T> = Omit<T, 'session'>;

const SCAN_LIMIT_DEFAULT = 100;
const SCAN_LIMIT_MAX = 1000;

export class RingKVClient {
  private readonly router: Router;
  private readonly sessions: SessionPool;
  private readonly policy: RetryPolicy;
  private readonly env: ClientEnvironment;
  /** Every attempt's timeout, on one timer of env's clock. */
  private readonly deadlines: DeadlineQueue;
  private readonly transport: ClientTransport;
  private readonly watches = new Set<WatchStream | PrefixWatchStream>();
  private closed = false;

  constructor(options: ClientCoreOptions) {
    assert(options.endpoints.length > 0, 'createClient needs at least one endpoint');
    this.env = options.environment;
    this.deadlines = new DeadlineQueue(options.environment.clock);
    this.transport = options.transport;
    this.router = new Router(options.endpoints, options.transport, options.environment, options.partitioner, {
      ...DEFAULT_ROUTER_OPTIONS,
      ...options.router,
    });
    const deadlineMs = options.deadlineMs ?? 10_000;
    assert(deadlineMs > 0, 'deadlineMs must be positive');
    this.policy = {
      deadlineMs,
      attemptTimeoutMs: Math.min(options.attemptTimeoutMs ?? 3_000, deadlineMs),
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      immediateHopsMax: 3,
    };
    this.sessions = new SessionPool(options.concurrency ?? 64, options.environment.random);
  }

  // ---- reads -------------------------------------------------------------------------------

  async get<V extends Value = Value>(key: Key, options: GetOptions = {}): Promise<KvEntry<V> | null> {
    const consistency = options.consistency ?? 'linearizable';
    const input: WireGetInput = { key: encodeKey(key), consistency, ...staleBound(options) };
    const out = await this.request<WireGetOutput>('kv.get', input, this.keyRoute(key, consistency === 'stale'), options);
    return out.entry === null ? null : (toEntry(out.entry) as KvEntry<V>);
  }

  /**
   * Reads many keys; the answer lists them in the order asked, null for a missing key. One request
   * per partition; a partition's part whose values pass what one answer carries (the server's
   * TOO_LARGE with answerLimitBytes) is asked again in halves, so any number of keys can be read.
   */
  async getMany<V extends Value = Value>(keys: readonly Key[], options: GetOptions = {}): Promise<Array<KvEntry<V> | null>> {
    const consistency = options.consistency ?? 'linearizable';
    await this.ensurePlacement(options);
    const groups = this.groupByPartition(keys);
    const results = new Array<KvEntry<V> | null>(keys.length).fill(null);
    // Every key is encoded (and its size checked) before any request is sent.
    const wireKeys = keys.map(encodeKey);
    // Every request, parts asked again after a split included, has what is left of the call's deadline.
    const deadlineAtMs = this.env.clock.nowMs() + (options.deadlineMs ?? this.policy.deadlineMs);
    const read = async (partition: number | undefined, indices: readonly number[]): Promise<void> => {
      const input: WireGetManyInput = { keys: indices.map((i) => wireKeys[i]!), consistency, ...staleBound(options) };
      const route = partition === undefined ? { partition: undefined } : { partition, anyReplica: consistency === 'stale' };
      const partOptions = { ...options, deadlineMs: Math.max(1, deadlineAtMs - this.env.clock.nowMs()) };
      let out: WireGetManyOutput;
      try {
        out = await this.request<WireGetManyOutput>('kv.getMany', input, () => route, partOptions);
      } catch (error) {
        if (!(error instanceof RingKVError && error.code === 'TOO_LARGE' && error.data.answerLimitBytes !== undefined && indices.length > 1)) throw error;
        const half = Math.ceil(indices.length / 2);
        await Promise.all([read(partition, indices.slice(0, half)), read(partition, indices.slice(half))]);
        return;
      }
      if (out.entries.length !== indices.length) {
        throw new RingKVError('INTERNAL', `getMany asked for ${indices.length} keys and got ${out.entries.length} answers`);
      }
      out.entries.forEach((entry, j) => {
        results[indices[j]!] = entry === null ? null : (toEntry(entry) as KvEntry<V>);
      });
    };
    // A request carries at most GET_MANY_KEYS_MAX keys.
    const requests: Array<[number | undefined, number[]]> = [];
    for (const [partition, indices] of groups) {
      for (let i = 0; i < indices.length; i += GET_MANY_KEYS_MAX) requests.push([partition, indices.slice(i, i + GET_MANY_KEYS_MAX)]);
    }
    await Promise.all(requests.map(([partition, indices]) => read(partition, indices)));
    return results;
  }

  /** One page of keys under `prefix`, in key order across all partitions. */
  async scan(options: ScanOptions): Promise<ScanPage> {
    const limit = options.limit ?? SCAN_LIMIT_DEFAULT;
    if (!Number.isInteger(limit) || limit < 1 || limit > SCAN_LIMIT_MAX) {
      throw new RingKVError('BAD_REQUEST', `scan limit must be an integer in [1, ${SCAN_LIMIT_MAX}], got ${limit}`);
    }
    const input: WireScanInput = {
      prefix: encodeKey(options.prefix),
      limit,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(options.consistency === undefined ? {} : { consistency: options.consistency }),
      ...staleBound(options),
    };
    const out = await this.request<WireScanOutput>('kv.scan', input, () => ({ partition: undefined }), options);
    return { entries: out.entries.map(toEntry), cursor: out.cursor };
  }

  /** Every entry under `prefix`, page by page, as an async iterator. */
  async *scanAll(options: Omit<ScanOptions, 'cursor'>): AsyncGenerator<KvEntry, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.scan({ ...options, ...(cursor === undefined ? {} : { cursor }) });
      yield* page.entries;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  // ---- writes ------------------------------------------------------------------------------

  async put(key: Key, value: Value, options: PutOptions = {}): Promise<PutResult> {
    const input: Unsessioned<WirePutInput> = {
      key: encodeKey(key),
      value: encodeValue(value),
      ...(options.ifVersion === undefined ? {} : { ifVersion: options.ifVersion }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    };
    const out = await this.write<WirePutOutput>('kv.put', input, this.keyRoute(key, false), options);
    return { version: out.version, createRevision: out.createRevision, modRevision: out.modRevision };
  }

  async delete(key: Key, options: DeleteOptions = {}): Promise<DeleteResult> {
    const input: Unsessioned<WireDeleteInput> = { key: encodeKey(key), ...(options.ifVersion === undefined ? {} : { ifVersion: options.ifVersion }) };
    const out = await this.write<WireDeleteOutput>('kv.delete', input, this.keyRoute(key, false), options);
    return { deleted: out.deleted, revision: out.revision };
  }

  /**
   * Applies ops atomically per partition. With smart routing each partition's part goes to its
   * leader as its own session-tagged write; the result reports each partition's outcome.
   */
  async writeBatch(ops: readonly BatchOp[], options: RequestOptions = {}): Promise<BatchResult> {
    if (ops.length === 0) return { ok: true, partitions: [] };
    await this.ensurePlacement(options);
    const groups = this.groupByPartition(ops.map((op) => op.key));
    // Every part is built and checked before any is sent: bad input changes nothing.
    const parts = [...groups].map(([partition, indices]) => {
      const where = partition === undefined ? 'the batch' : `the batch's part for partition ${partition}`;
      if (indices.length > BATCH_OPS_MAX) throw new RingKVError('TOO_LARGE', `${where} has ${indices.length} ops, over the ${BATCH_OPS_MAX}-op limit of one atomic batch`);
      let bytes = 0;
      const wireOps = indices.map((i) => {
        const op = toWireOp(ops[i]!);
        bytes += op.bytes;
        return op.wire;
      });
      if (bytes > BATCH_SIZE_BYTES_MAX) throw new RingKVError('TOO_LARGE', `${where} holds ${bytes} bytes of keys and values, over the ${BATCH_SIZE_BYTES_MAX}-byte limit of one atomic batch`);
      const input: Unsessioned<WireWriteBatchInput> = { ops: wireOps };
      checkRequestSize(where, 'kv.writeBatch', input);
      return { partition, indices, input };
    });
    const outcomes = await Promise.all(
      parts.map(async ({ partition, indices, input }): Promise<BatchPartitionOutcome[]> => {
        try {
          const out = await this.write<WireWriteBatchOutput>('kv.writeBatch', input, () => ({ partition }), options, retryableBatchFailure);
          return out.partitions.map((p) => {
            const opIndices = p.ops.map((j) => indices[j]!);
            return p.ok
              ? { partition: p.partition, ops: opIndices, ok: true as const, revision: p.revision }
              : { partition: p.partition, ops: opIndices, ok: false as const, error: new RingKVError(p.error.code as RingKVError['code'], p.error.message, p.error.data ?? {}) };
          });
        } catch (error) {
          if (error instanceof RingKVError && (error.code === 'ABORTED' || error.code === 'CLOSED')) throw error;
          return [{ partition, ops: indices, ok: false as const, error: toRingKVError(error) }];
        }
      }),
    );
    const partitions = outcomes.flat();
    return { ok: partitions.every((p) => p.ok), partitions };
  }

  // ---- watch -------------------------------------------------------------------------------

  /**
   * Changes to a key or under a prefix, as an async iterator; `break` (or the signal) ends it.
   * After a dropped connection it resumes without gaps or repeats. A prefix watch (Node entry)
   * subscribes to every partition separately, wherever it is hosted, and resumes each on its own
   * (prefix-watch.ts); `cursor()` tells where it stands, per partition, to watch again from there.
   * The browser entry, which loads no placement, sends a prefix watch to one node, which must host
   * every partition; started without `fromRevision` it cannot resume and ends with the error.
   */
  watch(options: WatchOptions): WatchIterator {
    this.assertOpen();
    const key = options.key;
    if (key === undefined && this.router.placementAware) {
      const prefix = encodeKey(options.prefix!);
      const stream = new PrefixWatchStream({
        transport: this.transport,
        router: this.router,
        env: this.env,
        backoff: this.policy.backoff,
        prefix,
        currentRevision: async (partition, signal) => {
          const input: WireScanPartitionInput = { partition, prefix, limit: 1, consistency: 'linearizable' };
          const out = await this.request<WireScanPartitionOutput>('kv.scanPartition', input, () => ({ partition }), { signal });
          return out.revision;
        },
        ...(options.fromRevision === undefined ? {} : { fromRevision: options.fromRevision }),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onEnd: (s) => this.watches.delete(s),
      });
      this.watches.add(stream);
      stream.start();
      return stream;
    }
    if (options.cursor !== undefined) {
      throw new RingKVError('BAD_REQUEST', key !== undefined ? 'cursor resumes prefix watches; a key watch resumes from fromRevision' : 'this client loads no placement (browser entry), so it cannot resume a prefix watch per partition; use fromRevision');
    }
    const stream = new WatchStream({
      transport: this.transport,
      router: this.router,
      env: this.env,
      backoff: this.policy.backoff,
      target: key !== undefined ? { key: encodeKey(key) } : { prefix: encodeKey(options.prefix!) },
      route: () => (key === undefined ? undefined : this.router.partitionOf(keyBytes(key))),
      partitionCount: () => this.router.currentPlacement()?.partitions,
      ...(key === undefined
        ? {}
        : {
            currentRevision: async (signal: AbortSignal) => {
              const input: WireGetInput = { key: encodeKey(key), consistency: 'linearizable' };
              const out = await this.request<WireGetOutput>('kv.get', input, this.keyRoute(key, false), { signal });
              return out.revision;
            },
          }),
      ...(options.fromRevision === undefined ? {} : { fromRevision: options.fromRevision }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onEnd: (s) => this.watches.delete(s),
    });
    this.watches.add(stream);
    stream.start();
    return stream;
  }

  // ---- cluster -----------------------------------------------------------------------------

  /** Nodes and partitions as a node sees them (leader, term, commit, applied, replicas). */
  status(options: RequestOptions = {}): Promise<ClusterStatus> {
    return this.request<ClusterStatus>('cluster.status', undefined, () => ({ partition: undefined }), options);
  }

  /** Whether the node that answers knows a leader for every partition it hosts. */
  health(options: RequestOptions = {}): Promise<ClusterHealth> {
    return this.request<ClusterHealth>('cluster.health', undefined, () => ({ partition: undefined }), options);
  }

  /** The partition a key belongs to, once the placement is loaded (undefined in the browser). */
  async partitionOf(key: Key, options: RequestOptions = {}): Promise<number | undefined> {
    await this.ensurePlacement(options);
    return this.router.partitionOf(keyBytes(key));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sessions.close();
    for (const watch of [...this.watches]) watch.end(new RingKVError('CLOSED', 'the client is closed'));
    await this.transport.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private keyRoute(key: Key, anyReplica: boolean): () => RouteSpec {
    const bytes = keyBytes(key);
    return () => ({ partition: this.router.partitionOf(bytes), anyReplica });
  }

  /** Loads the placement before splitting requests by partition (once; failures fall back to any node). */
  private async ensurePlacement(options: RequestOptions): Promise<void> {
    if (this.router.hasPlacement) return;
    if (options.signal?.aborted) throw abortReason(options.signal);
    await this.router.refreshIfWanted();
  }

  private groupByPartition(keys: readonly Key[]): Map<number | undefined, number[]> {
    const groups = new Map<number | undefined, number[]>();
    keys.forEach((key, i) => {
      const partition = this.router.partitionOf(keyBytes(key));
      const list = groups.get(partition);
      if (list === undefined) groups.set(partition, [i]);
      else list.push(i);
    });
    return groups;
  }

  private request<T>(path: ProcedurePath, input: unknown, route: () => RouteSpec, options: RequestOptions): Promise<T> {
    this.assertOpen();
    return withRetries(
      this.env,
      this.deadlines,
      this.router,
      this.policyFor(options),
      route,
      (attempt) => this.transport.call(attempt.endpoint, path, input, callOptions(attempt)) as Promise<T>,
      options.signal,
    );
  }

  /**
   * A session-tagged write. The session is held for the whole operation, so it has one write in
   * flight; every attempt carries the same (clientId, seq). If the outcome stays unknown (the
   * deadline passed or the caller aborted mid-flight) the session is retired, never reused.
   */
  private async write<T>(
    path: ProcedurePath,
    input: object,
    route: () => RouteSpec,
    options: RequestOptions,
    /** An answer that reports a retryable failure inside it (a batch's per-partition outcome): retried like an error. */
    failureIn?: (result: T) => RingKVError | undefined,
  ): Promise<T> {
    this.assertOpen();
    const policy = this.policyFor(options);
    const startedAtMs = this.env.clock.nowMs();
    // The common case needs no timer, controller, listener or await: a free session now.
    const free = options.signal?.aborted !== true ? this.sessions.tryAcquire() : undefined;
    const session = free ?? (await this.waitForSession(policy.deadlineMs, options.signal));
    const tag = session.begin();
    const tagged = { ...input, session: tag };
    let outcomeKnown = false;
    try {
      // Time spent waiting for a session counts against the deadline (no wait: no time passed).
      const result = await withRetries(
        this.env,
        this.deadlines,
        this.router,
        free !== undefined ? policy : { ...policy, deadlineMs: Math.max(1, policy.deadlineMs - (this.env.clock.nowMs() - startedAtMs)) },
        route,
        failureIn === undefined
          ? (attempt) => this.transport.call(attempt.endpoint, path, tagged, callOptions(attempt)) as Promise<T>
          : async (attempt) => {
              const result = (await this.transport.call(attempt.endpoint, path, tagged, callOptions(attempt))) as T;
              const failure = failureIn(result);
              if (failure !== undefined) throw failure;
              return result;
            },
        options.signal,
      );
      outcomeKnown = true;
      return result;
    } catch (error) {
      const e = toRingKVError(error);
      // A refusal the server decided on (bad input, failed condition) is a known outcome.
      outcomeKnown = !e.retryable && e.code !== 'ABORTED' && e.code !== 'CLOSED' && e.code !== 'INTERNAL';
      if (!outcomeKnown) throw new RingKVError(e.code, e.message, { ...e.data, clientId: tag.clientId, seq: tag.seq });
      throw e;
    } finally {
      session.end(outcomeKnown);
      this.sessions.release(session);
    }
  }

  /** All `concurrency` sessions are busy (or the caller already aborted): wait in line, up to the deadline. */
  private async waitForSession(deadlineMs: number, signal: AbortSignal | undefined): Promise<Session> {
    const controller = new AbortController();
    const timer = this.env.clock.setTimer(deadlineMs, () =>
      controller.abort(new RingKVError('TIMEOUT', `no write session became free within ${deadlineMs} ms (concurrency limit)`)),
    );
    const onAbort = (): void => controller.abort(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.sessions.acquire(controller.signal);
    } finally {
      this.env.clock.clearTimer(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private policyFor(options: RequestOptions): RetryPolicy {
    if (options.deadlineMs === undefined) return this.policy;
    assert(options.deadlineMs > 0, 'deadlineMs must be positive');
    return { ...this.policy, deadlineMs: options.deadlineMs, attemptTimeoutMs: Math.min(this.policy.attemptTimeoutMs, options.deadlineMs) };
  }

  private assertOpen(): void {
    if (this.closed) throw new RingKVError('CLOSED', 'the client is closed');
  }
}

/**
 * A batch answer in which some partition failed retryably (its leader moved, no quorum yet, its
 * proposal timed out): the whole batch is sent again with the same session, which is safe: a
 * partition that applied its part answers the repeat from its session table.
 */
function retryableBatchFailure(out: WireWriteBatchOutput): RingKVError | undefined {
  for (const p of out.partitions) {
    if (p.ok) continue;
    const error = new RingKVError(p.error.code as RingKVError['code'], p.error.message, { ...(p.error.data ?? {}), partition: p.partition });
    if (error.retryable) return error;
  }
  return undefined;
}

/** The maxStalenessMs of a read, checked here so a misuse fails before any request is sent. */
function staleBound(options: { readonly consistency?: GetOptions['consistency']; readonly maxStalenessMs?: number }): { maxStalenessMs?: number } {
  const bound = options.maxStalenessMs;
  if (bound === undefined) return {};
  if ((options.consistency ?? 'linearizable') !== 'stale') {
    throw new RingKVError('BAD_REQUEST', "maxStalenessMs applies only to consistency 'stale' (the other levels are never stale)");
  }
  if (!Number.isInteger(bound) || bound < 1) throw new RingKVError('BAD_REQUEST', `maxStalenessMs must be a positive integer of milliseconds, got ${bound}`);
  return { maxStalenessMs: bound };
}

function toEntry(wire: WireEntry): KvEntry {
  return {
    key: decodeKey(wire.key),
    value: decodeValue(wire.value),
    version: wire.version,
    createRevision: wire.createRevision,
    modRevision: wire.modRevision,
  };
}

/** An op as it travels, and its key's and value's bytes as the server counts them. */
function toWireOp(op: BatchOp): { wire: WireBatchOp; bytes: number } {
  const common = { key: encodeKey(op.key), ...(op.ifVersion === undefined ? {} : { ifVersion: op.ifVersion }) };
  if (op.op === 'delete') return { wire: { op: 'delete', ...common }, bytes: keySizeBytes(op.key) };
  const value = encodeSizedValue(op.value);
  return { wire: { op: 'put', ...common, value: value.wire, ...(op.ttlMs === undefined ? {} : { ttlMs: op.ttlMs }) }, bytes: keySizeBytes(op.key) + value.bytes };
}

/** An attempt's call options: a retry goes on its own (CallOptions.alone). */
function callOptions(attempt: Attempt): CallOptions {
  return attempt.number > 0 ? { cancel: attempt.cancel, alone: true } : { cancel: attempt.cancel };
}
