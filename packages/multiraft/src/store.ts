/**
 * The Store: every partition replica this node hosts, driven by one round loop (TiKV's pattern):
 *
 *   1. step inbound messages (and install completed snapshot transfers);
 *   2. tick the groups when a tick is due, and do the leaders' chores (expiry, session sweeps,
 *      moving leadership to the ring's preferred leader, deadlines);
 *   3. make the queued proposals and ReadIndex requests (one per group per round, shared by every
 *      read waiting for it);
 *   4. collect every group's Ready; send the messages that may leave before the write (the
 *      leader's appends and heartbeats), batched into one frame per destination node, so the
 *      followers' fsyncs overlap the leader's;
 *   5. make ONE synced log write for all groups, then send what had to wait for it (votes,
 *      append acknowledgements: messagesAfterPersist);
 *   6. apply the committed entries of all groups in ONE KV write, while the log write runs for
 *      those this node already holds on disk, after it for the rest; the writers are answered
 *      as their entries apply, before the KV write lands (the log made them durable);
 *   7. once it landed, move the applied indexes: answer readers and watchers; 8. advance.
 *
 * One exception to "step at the start of a round": heartbeats, their responses and append
 * responses are stepped as they arrive, also while a round waits for its log write, and what
 * they produce leaves at once (RawNode.stepNow). A linearizable read's ReadIndex round trip thus
 * does not wait behind the fsync of every node it crosses, and a commit a leader learns while its
 * round waits for its log write is applied and answered in that round (step 6, through
 * RawNode.moreCommittedEntries), not in the next.
 *
 * It takes its clock, PRNG, transport and engines as parameters and never reaches for real time,
 * randomness or sockets itself: the simulator runs this exact code.
 */
import { RawNode, ProposalDroppedError, decodeConfChange } from '@ringkv/raft';
import type { Entry, Message, ReadState, Ready } from '@ringkv/raft';
import { Ring } from '@ringkv/ring';
import type { Clock, GroupId, NodeId, Prng } from '@ringkv/stdx';
import { NO_NODE, assert, groupId, utf8Decode, utf8Encode } from '@ringkv/stdx';
import type { KvEngine, KvRecord, RaftLogEngine } from '@ringkv/storage';
import { KEY_SIZE_BYTES_MAX, VALUE_SIZE_BYTES_MAX, valueSizeBytes } from '@ringkv/storage';
import type { ApplyEffects } from './apply';
import { ApplyRound, NEEDS_IO } from './apply';
import type { Answer, Command, CommandOp, WriteKind } from './commands';
import { decodeCommand, encodeCommand } from './commands';
import type { StoreConfig } from './config';
import { resolveConfig } from './config';
import { StoreError } from './errors';
import { Quarantine, isCorruption } from './quarantine';
import type {
  BatchOp,
  BatchResult,
  ClusterStatus,
  Consistency,
  DeleteRequest,
  DeleteResult,
  GetManyResult,
  GetResult,
  Health,
  KvService,
  NodeInfo,
  Placement,
  PutRequest,
  PutResult,
  ReadOptions,
  ScanPartitionItem,
  ScanPartitionRequest,
  ScanPartitionResult,
  SessionTag,
  WatchHandle,
  WatchRequest,
  WatchSink,
} from './facade';
import { ANSWER_BYTES_MAX } from './facade';
import { Group } from './group';
import { GroupLogStorage, termOrVoteChanged } from './log-storage';
import type { GroupMessage, PeerFrameContent, SnapshotChunk } from './peer-frame';
import { decodePeerFrame, encodePeerFrame } from './peer-frame';
import { SnapshotAssembler } from './snapshot-transfer';
import type { AssembledSnapshot } from './snapshot-transfer';
import type { PeerTransport } from './transport';
import { Outbox } from './outbox';
import { ReplicaFreshness } from './replica-freshness';
import type { StoreStats } from './store-stats';
import { StoreCounters, partitionStats } from './store-stats';
import { loadWatchHistory, saveWatchHistory } from './watch-history-dump';
import { WatchHub } from './watch-hub';
import type { InflightBudget, ReadWaiter } from './waiters';
import { WriteWaiter } from './waiters';

export interface ClusterNode {
  readonly id: number;
  readonly peerAddress: string;
  readonly apiAddress: string;
  readonly zone?: string;
}

/** The cluster's initial membership, given at bootstrap and kept in the node's KV engine. */
export interface ClusterConfig {
  readonly clusterId: string;
  readonly nodes: readonly ClusterNode[];
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** pino-compatible: fields first, message second. */
export interface StoreLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface StoreOptions {
  readonly nodeId: NodeId;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly transport: PeerTransport;
  readonly logEngine: RaftLogEngine;
  readonly kvEngine: KvEngine;
  readonly cluster: ClusterConfig;
  readonly config?: Partial<StoreConfig>;
  readonly logger?: StoreLogger;
}

const SILENT: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** One committed entry applied to the KV engine this round, with what it changed. */
interface AppliedEntry {
  readonly g: Group;
  readonly index: number;
  readonly term: number;
  readonly answer: Answer | undefined;
  readonly effects: ApplyEffects;
}

/** A partition id no ring uses: the KV engine keeps the node's own metadata under it. */
export const META_PARTITION: GroupId = groupId(0xfffffffe);
const CLUSTER_KEY = utf8Encode('cluster');

function sameCluster(a: ClusterConfig, b: ClusterConfig): boolean {
  const ids = (c: ClusterConfig) => c.nodes.map((n) => n.id).sort((x, y) => x - y).join(',');
  return a.clusterId === b.clusterId && a.partitions === b.partitions && a.replicationFactor === b.replicationFactor && ids(a) === ids(b);
}

function encodeReadContext(id: number): Uint8Array {
  return utf8Encode(`r${id}`);
}

function decodeReadContext(bytes: Uint8Array): number | undefined {
  try {
    const text = utf8Decode(bytes);
    return text.startsWith('r') ? Number(text.slice(1)) : undefined;
  } catch {
    return undefined;
  }
}

/** stepOnArrival's "not now": the message waits for the next round. */
const LATER: unique symbol = Symbol('LATER');

/** getMany reads this many keys at once, then checks the answer's size before reading more. */
const GET_MANY_SLICE = 64;

function deadlineError(what: string, partition: number): StoreError {
  return new StoreError('TIMEOUT', `${what} on partition ${partition} did not finish in time; a write may still apply (retry it with the same session seq)`, { partition });
}

/** The reads of `list` still within their deadline; the others are answered TIMEOUT. */
function keepUnexpired<T extends { deadlineMs: number; reject(e: StoreError): void }>(list: T[], nowMs: number, partition: number): T[] {
  return list.filter((r) => {
    if (r.deadlineMs > nowMs) return true;
    r.reject(deadlineError('the read', partition));
    return false;
  });
}

/** A write no longer in flight here: a retry of it is proposed again (and answered from its session). */
function forgetWrite(g: Group, clientId: string, entry: { readonly seq: number; readonly answer: Promise<Answer> }): void {
  if (g.writesBySession.get(clientId) === entry) g.writesBySession.delete(clientId);
}

function isLive(record: KvRecord | undefined, nowMs: number): record is KvRecord {
  return record !== undefined && (record.expiresAtMs === undefined || record.expiresAtMs > nowMs);
}

export class Store implements KvService {
  readonly nodeId: NodeId;
  readonly partitionCount: number;
  readonly config: StoreConfig;
  private readonly clock: Clock;
  private readonly prng: Prng;
  private readonly transport: PeerTransport;
  private readonly logEngine: RaftLogEngine;
  private readonly kvEngine: KvEngine;
  private readonly cluster: ClusterConfig;
  private readonly logger: StoreLogger;
  private readonly ring: Ring;
  private readonly nodesById: Map<number, ClusterNode>;
  private readonly groups = new Map<number, Group>();
  private readonly watches: WatchHub;
  private readonly freshness: ReplicaFreshness;
  private readonly counters = new StoreCounters();
  private readonly assembler: SnapshotAssembler;

  private inbox: Array<{ from: NodeId; content: PeerFrameContent }> = [];
  private ticksDue = 0;
  private tickTimer: ReturnType<Clock['setTimer']> | undefined;
  private roundScheduled = false;
  /** MsgSnaps of every outbox (a round's or the heartbeat path's): the round sends them after advance. */
  private readonly snapshotsToSend: Array<{ g: Group; message: Message }> = [];
  /** Groups whose reads wait for the next read flush (startReadsNow). */
  private readonly groupsWithQueuedReads = new Set<Group>();
  private readFlushScheduled = false;
  /** A read flush's heartbeat round is out and no answer to it has come back yet. */
  private readWaveOut = false;
  private roundRunning: Promise<void> | undefined;
  private roundAgain = false;
  private started = false;
  private stopped = false;
  private handingOff = false;
  /**
   * Read contexts (`r<id>`) match a ReadIndex answer to the reads waiting for it. They start at a
   * random point each boot, so an answer delayed across a restart (a read forwarded by a node
   * that had just lost leadership) cannot meet a new read with the same id and confirm it at an
   * index fixed before that read began. [1, 2^48): 2^53 is centuries of reads away.
   */
  private nextReadId: number;
  private nextTransferId = 1;
  private inflightProposals = 0;
  private inflightProposalBytes = 0;
  /** The hosted group of a partition this node sent to (the outbox's unreachable report). */
  private readonly groupOfPartition = (partition: number): Group => this.groups.get(partition)!;
  /** Answered writes give their share of the in-flight limits back here. */
  private readonly inflightBudget: InflightBudget = {
    release: (sizeBytes: number): void => {
      this.inflightProposals--;
      this.inflightProposalBytes -= sizeBytes;
    },
  };
  private pendingReads = 0;
  private lastBalanceMs = 0;
  private pendingCompactions: Array<{ group: Group; index: number }> = [];
  /** Outgoing snapshot transfers, so one follower is not sent the same partition twice at once. */
  private readonly sendingSnapshots = new Set<string>();
  private readonly quarantine = new Quarantine<Group>();
  private readonly leaderSyncOf = (g: Group, message: Message) => this.freshness.leaderSync(g, message);
  private fatalError: unknown;

  constructor(options: StoreOptions) {
    this.nodeId = options.nodeId;
    this.clock = options.clock;
    this.prng = options.prng;
    this.nextReadId = 1 + this.prng.fork('read-ids').int(2 ** 32) * 2 ** 16;
    this.transport = options.transport;
    this.logEngine = options.logEngine;
    this.kvEngine = options.kvEngine;
    this.cluster = options.cluster;
    this.logger = options.logger ?? SILENT;
    this.config = resolveConfig(options.config);
    this.partitionCount = options.cluster.partitions;
    this.nodesById = new Map(options.cluster.nodes.map((n) => [n.id, n]));
    assert(this.nodesById.has(options.nodeId), `node ${options.nodeId} is not in the cluster's node list`);
    this.ring = Ring.create({
      nodes: options.cluster.nodes.map((n) => ({ id: n.id as NodeId, ...(n.zone === undefined ? {} : { zone: n.zone }) })),
      partitions: options.cluster.partitions,
      replicationFactor: options.cluster.replicationFactor,
    });
    this.watches = new WatchHub(this.config.watchHistoryEventsMax, this.config.watchersMax);
    this.freshness = new ReplicaFreshness(this.clock, this.nodeId);
    this.assembler = new SnapshotAssembler(this.config.snapshotTransfersMax);
  }

  /** The cluster a data directory was bootstrapped with, if any (for a restart without flags). */
  static async persistedCluster(kvEngine: KvEngine): Promise<ClusterConfig | undefined> {
    const record = await kvEngine.get(META_PARTITION, CLUSTER_KEY);
    return record === undefined ? undefined : (JSON.parse(record.value as string) as ClusterConfig);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Opens (or bootstraps) every group this node hosts and starts the round loop. A data
   * directory bootstrapped for a different cluster is refused.
   */
  async start(): Promise<void> {
    assert(!this.started, 'Store.start called twice');
    this.started = true;
    const persisted = await Store.persistedCluster(this.kvEngine);
    if (persisted !== undefined && !sameCluster(persisted, this.cluster)) {
      throw new Error(
        `the data directory belongs to cluster "${persisted.clusterId}" (${persisted.partitions} partitions, RF ${persisted.replicationFactor}, nodes ${persisted.nodes.map((n) => n.id).join(',')}), not the one configured; use its own data directory or the same cluster settings`,
      );
    }
    const fresh: Array<{ group: ReturnType<Store['placeholder']>; replicas: readonly NodeId[] }> = [];
    const kvBootstrap = this.kvEngine.newApplyBatch();
    if (persisted === undefined) {
      kvBootstrap.put(META_PARTITION, CLUSTER_KEY, { value: JSON.stringify(this.cluster), version: 1, createRevision: 1, modRevision: 1 });
    }
    const logBootstrap = this.logEngine.newBatch();
    for (let p = 0; p < this.partitionCount; p++) {
      const replicas = this.ring.replicasOf(p);
      if (!replicas.includes(this.nodeId)) continue;
      const id = groupId(p);
      const log = await this.logEngine.openGroup(id);
      const initial = log.initialState();
      let kvApplied = await this.kvEngine.appliedIndex(id);
      const isFresh = log.lastIndex() === 0 && initial.hardState.term === 0 && initial.confState.voters.length === 0;
      let confState = initial.confState;
      if (isFresh) {
        // A new group starts from a snapshot at index 1 holding its voters (the ring's replicas),
        // so every replica begins with the same configuration and no bootstrap entries.
        confState = { voters: [...replicas], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
        logBootstrap.applySnapshot(log, { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) });
        logBootstrap.setHardState(log, { term: 1, vote: NO_NODE, commit: 1 });
        kvBootstrap.setAppliedIndex(id, Math.max(1, kvApplied));
        kvApplied = Math.max(1, kvApplied);
      }
      fresh.push({ group: this.placeholder(p, log, replicas, kvApplied, confState), replicas });
    }
    // KV first, and durably: the log's bootstrap snapshot at index 1 is a compaction point, and
    // the log may only forget what the KV engine holds on disk. A crash between the two leaves a
    // fresh log, which bootstraps again the same way.
    await this.kvEngine.write(kvBootstrap);
    if (!logBootstrap.isEmpty) await this.kvEngine.sync();
    await this.logEngine.commit(logBootstrap);
    for (const { group } of fresh) {
      const raft = this.newRaft(group);
      const g = new Group(group.partition, group.id, raft, group.log, group.replicas, group.preferredLeader, group.kvApplied, group.confState, this.clock.wallMs());
      this.groups.set(g.partition, g);
      this.watches.reset(g.partition, g.kvApplied);
      try {
        await this.loadExpiry(g);
      } catch (error) {
        if (!isCorruption(error)) throw error;
        this.quarantineGroup(g, error);
        continue;
      }
      // The preferred leader of a brand-new group campaigns at once instead of waiting out an
      // election timeout, so a new cluster serves within a round trip and leaders start balanced.
      if (g.preferredLeader === this.nodeId && g.log.lastIndex() === 1 && g.raft.status().term === 1) g.raft.campaign();
    }
    // A planned stop saved the watch history: take back what is still true (watch-history-dump.ts).
    await loadWatchHistory(this.kvEngine, META_PARTITION, this.watches, [...this.groups.values()].map((g) => ({ partition: g.partition, kvApplied: g.kvApplied, logFirstIndex: g.log.firstIndex() })));
    this.transport.onReceive((from, frame) => {
      if (this.stopped) return;
      let content: PeerFrameContent;
      try {
        content = decodePeerFrame(frame);
      } catch (error) {
        this.logger.warn({ from, err: error }, 'dropped a malformed peer frame');
        return;
      }
      // Heartbeats and append responses are stepped now, also while a round waits for its log
      // write; the rest waits for the next round, and so does what they left to do (a commit
      // index to apply, unless the round in progress takes it).
      content = this.stepOnArrival(from, content);
      if (content.messages.length === 0 && content.chunks.length === 0) return;
      this.inbox.push({ from, content });
      this.scheduleRound();
    });
    this.lastBalanceMs = this.clock.nowMs();
    this.armTick();
    this.scheduleRound();
    this.logger.info({ nodeId: this.nodeId, groups: this.groups.size }, 'store started');
  }

  /** Stops the round loop; every waiting caller gets UNAVAILABLE. Does not close the engines. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
    await this.roundRunning;
    const error = new StoreError('UNAVAILABLE', `node ${this.nodeId} is stopping; retry on another node`, { retryAfterMs: 100 });
    for (const g of this.groups.values()) this.failGroup(g, error, true);
    this.watches.endAll(error);
  }

  /**
   * After stop(), before the engines close (a planned stop): saves the watch history, so watches
   * resumed on this node after it restarts still get the changes from before (watch-history-dump.ts).
   */
  async saveWatchHistory(): Promise<void> {
    assert(this.stopped, 'saveWatchHistory runs after stop(): the history must match the applied state');
    await saveWatchHistory(this.kvEngine, META_PARTITION, this.watches, [...this.groups.values()].map((g) => ({ partition: g.partition, kvApplied: g.kvApplied })));
  }

  /** Resolves when no round is running (tests and the simulator drive time between rounds). */
  async roundDone(): Promise<void> {
    while (this.roundRunning !== undefined) await this.roundRunning;
  }

  /** True while a round runs or one (or a read flush) is scheduled (work is pending). */
  get busy(): boolean {
    return this.roundPending || this.readFlushScheduled;
  }

  /** A round runs or is about to start: it takes the queued reads itself. */
  private get roundPending(): boolean {
    return this.roundRunning !== undefined || this.roundScheduled;
  }

  /**
   * Hands every leadership this node holds to another caught-up replica (graceful shutdown).
   * Resolves when none is left or after `timeoutMs`.
   */
  async handOffLeadership(timeoutMs: number): Promise<void> {
    this.handingOff = true;
    const deadline = this.clock.nowMs() + timeoutMs;
    while (!this.stopped && this.clock.nowMs() < deadline && [...this.groups.values()].some((g) => g.isLeader)) {
      await new Promise<void>((resolve) => this.clock.setTimer(this.config.tickMs, resolve));
    }
  }

  // ---- KvService: writes --------------------------------------------------------------------

  partitionOf(key: Uint8Array): number {
    return this.ring.partitionOf(key);
  }

  apiAddressOf(node: number): string | undefined {
    return this.nodesById.get(node)?.apiAddress;
  }

  async put(request: PutRequest): Promise<PutResult> {
    const answer = await this.write(this.partitionOf(request.key), 'put', [{ op: 'put', key: request.key, value: request.value, ifVersion: request.ifVersion, ttlMs: request.ttlMs }], request.session);
    return answer as PutResult;
  }

  async delete(request: DeleteRequest): Promise<DeleteResult> {
    const answer = await this.write(this.partitionOf(request.key), 'delete', [{ op: 'delete', key: request.key, ifVersion: request.ifVersion }], request.session);
    return answer as DeleteResult;
  }

  async writeBatch(partition: number, ops: readonly BatchOp[], session: SessionTag): Promise<BatchResult> {
    if (ops.length === 0) throw new StoreError('BAD_REQUEST', 'a batch needs at least one op');
    for (const op of ops) {
      if (this.partitionOf(op.key) !== partition) throw new StoreError('BAD_REQUEST', `batch op key belongs to partition ${this.partitionOf(op.key)}, not ${partition}`, { partition });
    }
    return (await this.write(partition, 'batch', ops, session)) as BatchResult;
  }

  private async write(partition: number, kind: WriteKind, ops: readonly BatchOp[], session: SessionTag): Promise<unknown> {
    if (!Number.isSafeInteger(session.seq) || session.seq < 1 || session.clientId.length === 0) {
      throw new StoreError('BAD_REQUEST', 'every write needs a session { clientId, seq >= 1 }');
    }
    let sizeBytes = 0;
    for (const op of ops) {
      if (op.key.length === 0) throw new StoreError('BAD_REQUEST', 'a key cannot be empty');
      if (op.key.length > KEY_SIZE_BYTES_MAX) throw new StoreError('TOO_LARGE', `key is ${op.key.length} bytes, over the ${KEY_SIZE_BYTES_MAX}-byte limit`);
      sizeBytes += op.key.length;
      if (op.op === 'put') {
        const v = op.value;
        const size = typeof v === 'string' ? Buffer.byteLength(v) : v instanceof Uint8Array ? v.length : Buffer.byteLength(JSON.stringify(v) ?? '');
        if (size > VALUE_SIZE_BYTES_MAX) throw new StoreError('TOO_LARGE', `value is ${size} bytes, over the ${VALUE_SIZE_BYTES_MAX}-byte limit`);
        sizeBytes += size;
      }
    }
    if (sizeBytes > this.config.msgSizeBytesMax * 8) throw new StoreError('TOO_LARGE', `the write is ${sizeBytes} bytes, over the ${this.config.msgSizeBytesMax * 8}-byte limit`);
    const g = this.leaderGroup(partition);
    const answer = await this.proposeWrite(g, session, { type: 'write', wallMs: this.clock.wallMs(), clientId: session.clientId, seq: session.seq, kind, ops: ops as readonly CommandOp[] });
    if (!answer.ok) throw new StoreError(answer.code, answer.message, answer.data);
    return answer.result;
  }

  /**
   * Proposes a client write, or joins the same write (session and seq) already in flight here:
   * a client retries a write whose attempt timed out, and under load (large values, a slow disk)
   * the first is usually still queued. Proposed again, it would be replicated, written and applied
   * a second time only for the session table to answer it as a duplicate: work that grows the
   * very backlog that made the attempt time out.
   */
  private proposeWrite(g: Group, session: SessionTag, command: Command): Promise<Answer> {
    const inFlight = g.writesBySession.get(session.clientId);
    if (inFlight !== undefined && inFlight.seq === session.seq) {
      this.counters.retriesJoined++;
      return inFlight.answer;
    }
    const answer = this.propose(g, encodeCommand(command));
    const entry = { seq: session.seq, answer };
    g.writesBySession.set(session.clientId, entry);
    // Arguments, not named closures (see WriteWaiter on why that matters here).
    answer.then(
      () => forgetWrite(g, session.clientId, entry),
      () => forgetWrite(g, session.clientId, entry),
    );
    return answer;
  }

  private propose(g: Group, data: Uint8Array): Promise<Answer> {
    if (this.inflightProposals >= this.config.inflightProposalsMax) {
      throw new StoreError('UNAVAILABLE', `node ${this.nodeId} has ${this.inflightProposals} writes in flight, its limit; retry shortly`, { partition: g.partition, retryAfterMs: 50 });
    }
    // By bytes too: 20 000 writes of 1 MiB each would be 20 GiB. One write always gets in.
    if (this.inflightProposals > 0 && this.inflightProposalBytes + data.length > this.config.inflightProposalBytesMax) {
      throw new StoreError(
        'UNAVAILABLE',
        `node ${this.nodeId} has ${this.inflightProposalBytes} bytes of writes in flight; this ${data.length}-byte write would pass its ${this.config.inflightProposalBytesMax}-byte limit; retry shortly`,
        { partition: g.partition, retryAfterMs: 50 },
      );
    }
    this.inflightProposals++;
    this.inflightProposalBytes += data.length;
    const waiter = new WriteWaiter(this.clock.nowMs() + this.config.proposalTimeoutMs, data.length, this.inflightBudget);
    g.queuedProposals.push({ data, waiter });
    this.scheduleRound();
    return waiter.promise;
  }

  // ---- KvService: reads ---------------------------------------------------------------------

  async get(key: Uint8Array, options: ReadOptions): Promise<GetResult> {
    const partition = this.partitionOf(key);
    const g = await this.readyToRead(partition, options.consistency, options.maxStalenessMs);
    const revision = g.kvApplied;
    const record = await this.readGuarded(g, () => this.kvEngine.get(g.id, key));
    return { partition, record: isLive(record, this.clock.wallMs()) ? record : null, revision };
  }

  async getMany(keys: readonly Uint8Array[], options: ReadOptions): Promise<GetManyResult> {
    if (keys.length === 0) throw new StoreError('BAD_REQUEST', 'getMany needs at least one key');
    const partition = this.partitionOf(keys[0]!);
    for (const key of keys) {
      const other = this.partitionOf(key);
      if (other !== partition) throw new StoreError('BAD_REQUEST', `getMany reads keys of one partition; these hash to partitions ${partition} and ${other}`);
    }
    const g = await this.readyToRead(partition, options.consistency, options.maxStalenessMs);
    const nowMs = this.clock.wallMs();
    const records: Array<KvRecord | null> = [];
    let bytes = 0;
    // In slices, so a request that will not fit stops reading (and holding values) at the limit.
    for (let i = 0; i < keys.length; i += GET_MANY_SLICE) {
      const slice = keys.slice(i, i + GET_MANY_SLICE);
      const read = await Promise.all(slice.map((key) => this.readGuarded(g, () => this.kvEngine.get(g.id, key))));
      read.forEach((record, j) => {
        if (!isLive(record, nowMs)) {
          records.push(null);
          return;
        }
        bytes += slice[j]!.length + valueSizeBytes(record.value);
        records.push(record);
      });
      if (bytes > ANSWER_BYTES_MAX) {
        throw new StoreError('TOO_LARGE', `the ${keys.length} keys asked for hold more than ${ANSWER_BYTES_MAX} bytes of keys and values (${bytes} in the first ${records.length}), over what one answer carries; ask for fewer keys at once`, {
          answerLimitBytes: ANSWER_BYTES_MAX,
        });
      }
    }
    return { partition, records };
  }

  async scanPartition(request: ScanPartitionRequest): Promise<ScanPartitionResult> {
    if (!Number.isInteger(request.partition) || request.partition < 0 || request.partition >= this.partitionCount) {
      throw new StoreError('BAD_REQUEST', `partition ${request.partition} does not exist (the ring has ${this.partitionCount})`);
    }
    const bytesMax = request.bytesMax ?? ANSWER_BYTES_MAX;
    if (!Number.isSafeInteger(bytesMax) || bytesMax < 1 || bytesMax > ANSWER_BYTES_MAX) {
      throw new StoreError('BAD_REQUEST', `a scan page's bytesMax must be an integer in [1, ${ANSWER_BYTES_MAX}], got ${bytesMax}`);
    }
    const g = await this.readyToRead(request.partition, request.consistency, request.maxStalenessMs);
    const revision = g.kvApplied;
    const nowMs = this.clock.wallMs();
    const items: ScanPartitionItem[] = [];
    let after = request.after;
    let bytes = 0;
    // Expired keys are skipped, so keep reading until the page is full (by count or by bytes,
    // expired records' bytes included: they were read) or the prefix is done.
    for (;;) {
      const want = request.limit - items.length;
      const page = await this.readGuarded(g, () =>
        this.kvEngine.scan(g.id, { prefix: request.prefix, ...(after === undefined ? {} : { after }), limit: want, bytesMax: bytesMax - bytes }),
      );
      for (const item of page) {
        bytes += item.storedBytes;
        if (isLive(item.record, nowMs)) items.push({ key: item.key, record: item.record });
      }
      const last = page[page.length - 1];
      const full = items.length >= request.limit || bytes >= bytesMax;
      if (last === undefined || (page.length < want && !full)) break; // the prefix is done
      if (full) return { partition: request.partition, items, revision, resumeAfter: last.key };
      after = last.key;
    }
    return { partition: request.partition, items, revision };
  }

  /** Waits until the group may serve a read at `consistency`; returns it. */
  private async readyToRead(partition: number, consistency: Consistency, maxStalenessMs?: number): Promise<Group> {
    const g = this.hostedGroup(partition);
    if (consistency === 'stale') {
      if (maxStalenessMs === undefined || this.freshEnough(g, maxStalenessMs)) return g;
      // A leader that cannot vouch for its state from past answers confirms it now: one
      // ReadIndex round (a linearizable read, which satisfies any bound).
      consistency = 'linearizable';
    }
    this.checkLeader(g);
    if (this.pendingReads >= this.config.pendingReadsMax) {
      throw new StoreError('UNAVAILABLE', `node ${this.nodeId} has ${this.pendingReads} reads waiting, its limit; retry shortly`, { partition, retryAfterMs: 50 });
    }
    this.pendingReads++;
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter: ReadWaiter = { deadlineMs: this.clock.nowMs() + this.config.readTimeoutMs, resolve, reject };
        (consistency === 'lease' ? g.queuedReads.lease : g.queuedReads.safe).push(waiter);
        this.scheduleReads(g);
      });
    } finally {
      this.pendingReads--;
    }
    return g;
  }

  /**
   * A bounded stale read: true when this replica can prove it is fresh enough; false on the
   * leader (which confirms with ReadIndex instead); otherwise refused towards the leader.
   */
  private freshEnough(g: Group, maxStalenessMs: number): boolean {
    if (!(maxStalenessMs >= 0)) throw new StoreError('BAD_REQUEST', `maxStalenessMs must be a non-negative number of milliseconds, got ${maxStalenessMs}`);
    const stalenessMs = this.freshness.stalenessMs(g);
    if (stalenessMs <= maxStalenessMs) return true;
    if (g.isLeader) return false;
    const seen = stalenessMs === Infinity ? 'has not yet confirmed it is in sync with a leader' : `last confirmed it was in sync ${Math.round(stalenessMs)} ms ago`;
    // NOT_LEADER when a leader is known (the api forwards there), else UNAVAILABLE.
    throw this.notLeaderError(g, `node ${this.nodeId}'s replica ${seen}, over maxStalenessMs ${maxStalenessMs}: read from the leader, or allow more staleness`);
  }

  // ---- KvService: watches and cluster views -------------------------------------------------

  watch(request: WatchRequest, sink: WatchSink): WatchHandle {
    let partitions: number[];
    if (request.key !== undefined) {
      const p = this.partitionOf(request.key);
      this.hostedGroup(p);
      partitions = [p];
    } else {
      assert(request.prefix !== undefined, 'a watch needs a key or a prefix');
      if (request.partition !== undefined) {
        this.hostedGroup(request.partition);
        partitions = [request.partition];
      } else {
        partitions = [...this.groups.keys()].sort((a, b) => a - b);
        if (partitions.length < this.partitionCount) {
          throw new StoreError('UNAVAILABLE', `a prefix watch over every partition needs a node holding them all; node ${this.nodeId} holds ${partitions.length} of ${this.partitionCount}: watch each partition (the SDK does)`);
        }
      }
    }
    const filter = request.key !== undefined ? { key: request.key } : { prefix: request.prefix! };
    const cancel = this.watches.watch(filter, partitions, request.fromRevision, (p) => this.groups.get(p)?.kvApplied ?? 0, sink);
    return { cancel };
  }

  status(): ClusterStatus {
    const nodes = this.cluster.nodes.map((n) => ({
      ...(this.nodeInfo(n)),
      reachable: n.id === this.nodeId || this.transport.isReachable(n.id as NodeId),
    }));
    const quarantined = this.quarantine.groups().filter((g) => this.groups.get(g.partition) !== g);
    const partitions = [...this.groups.values(), ...quarantined]
      .sort((a, b) => a.partition - b.partition)
      .map((g) => {
        const st = g.raft.status();
        return {
          partition: g.partition,
          replicas: [...g.replicas],
          leader: g.leader === NO_NODE || this.quarantine.has(g.partition) ? null : g.leader,
          role: st.role,
          term: st.term,
          commit: st.commit,
          applied: g.kvApplied,
          lastIndex: st.lastIndex,
          ...(this.quarantine.has(g.partition) ? { quarantined: true } : {}),
        };
      });
    return { clusterId: this.cluster.clusterId, nodeId: this.nodeId, nodes, partitions };
  }

  placement(): Placement {
    return {
      partitions: this.partitionCount,
      replicationFactor: this.cluster.replicationFactor,
      nodes: this.cluster.nodes.map((n) => ({ id: n.id, address: n.apiAddress, ...(n.zone === undefined ? {} : { zone: n.zone }) })),
      groups: Array.from({ length: this.partitionCount }, (_, p) => {
        const replicas = this.replicasPreferredFirst(p);
        const g = this.groups.get(p);
        return { partition: p, replicas, leader: g === undefined || g.leader === NO_NODE ? null : g.leader };
      }),
    };
  }

  /** Counters and per-partition state for operators (store-stats.ts). */
  stats(): StoreStats {
    return {
      proposalsInFlight: this.inflightProposals,
      proposalBytesInFlight: this.inflightProposalBytes,
      readsInFlight: this.pendingReads,
      watchers: this.watches.watcherCount,
      rounds: this.counters.rounds,
      logWrites: this.counters.logWrites,
      logSyncs: this.counters.logSyncs,
      logEntriesWritten: this.counters.logEntriesWritten,
      logEntryBytesWritten: this.counters.logEntryBytesWritten,
      entriesApplied: this.counters.entriesApplied,
      entriesAppliedInCommitRound: this.counters.entriesAppliedInCommitRound,
      roundMs: this.counters.roundMs,
      logWriteMs: this.counters.logWriteMs,
      kvWrites: this.counters.kvWrites,
      kvWriteMs: this.counters.kvWriteMs,
      leaderChanges: this.counters.leaderChanges,
      elections: this.counters.elections,
      snapshotsSent: this.counters.snapshotsSent,
      snapshotsReceived: this.counters.snapshotsReceived,
      retriesJoined: this.counters.retriesJoined,
      logCompactions: this.counters.logCompactions,
      cache: this.kvEngine.cacheStats(),
      partitions: [...this.groups.values()].sort((a, b) => a.partition - b.partition).map((g) => partitionStats(g, this.freshness.stalenessMs(g))),
    };
  }

  health(): Health {
    let withLeader = 0;
    let led = 0;
    for (const g of this.groups.values()) {
      if (g.leader !== NO_NODE) withLeader++;
      if (g.isLeader) led++;
    }
    return {
      ok: !this.stopped && this.fatalError === undefined && withLeader === this.groups.size && this.quarantine.size === 0,
      nodeId: this.nodeId,
      partitionsHosted: this.groups.size,
      partitionsWithLeader: withLeader,
      partitionsLed: led,
      partitionsQuarantined: this.quarantine.size,
    };
  }

  // ---- the round loop -----------------------------------------------------------------------

  private armTick(): void {
    if (this.stopped) return;
    this.tickTimer = this.clock.setTimer(this.config.tickMs, () => {
      this.ticksDue++;
      this.armTick();
      this.scheduleRound();
    });
  }

  /** Starts g's queued reads in this tick's read flush (startReadsNow), with every other group's. */
  private scheduleReads(g: Group): void {
    if (this.stopped || !this.started) return;
    if (this.roundPending) {
      this.scheduleRound();
      return;
    }
    this.groupsWithQueuedReads.add(g);
    // While a flush's heartbeat round is out, reads wait for its first answer, which starts them
    // (stepOnArrival): every group's reads go in one frame per destination, as in a round.
    if (this.readFlushScheduled || this.readWaveOut) return;
    this.readFlushScheduled = true;
    this.clock.setTimer(0, () => this.startReadsNow());
  }

  private scheduleRound(): void {
    if (this.stopped || !this.started) return;
    if (this.roundRunning !== undefined) {
      this.roundAgain = true;
      return;
    }
    if (this.roundScheduled) return;
    this.roundScheduled = true;
    this.clock.setTimer(0, () => {
      this.roundScheduled = false;
      if (this.stopped || this.roundRunning !== undefined) return;
      this.roundRunning = this.round()
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          this.roundRunning = undefined;
          if (this.roundAgain) {
            this.roundAgain = false;
            this.scheduleRound();
          }
        });
    });
  }

  /** A failed engine write leaves Raft's view and the disk out of step: stop serving loudly. */
  private fail(error: unknown): void {
    this.fatalError = error;
    this.logger.error({ err: error, nodeId: this.nodeId }, 'round failed; the store stops');
    void this.stop();
  }

  private async round(): Promise<void> {
    const roundStartMs = this.clock.nowMs();
    this.freshness.beginRound();
    // proposeQueued starts every queued read, and its heartbeats leave with the round's messages.
    this.readWaveOut = false;
    // Quarantined groups leave the loop here, between rounds, never in the middle of one.
    for (const g of this.quarantine.groups()) if (this.groups.get(g.partition) === g) this.groups.delete(g.partition);
    await this.stepInbound();
    this.tickAndChores();
    this.proposeQueued();

    const readies: Array<{ g: Group; rd: Ready }> = [];
    for (const g of this.groups.values()) if (g.raft.hasReady()) readies.push({ g, rd: g.raft.ready() });

    // 4. rd.messages may leave before the write (the leader's appends and heartbeats: the leader
    // writes its own log in parallel with replicating it, Raft thesis §10.2.1), so followers'
    // fsyncs overlap the leader's instead of following it.
    const unreachable = { groups: new Map<NodeId, Set<Group>>(), groupOf: this.groupOfPartition };
    this.newOutbox().addReadies(readies, 'messages').send(this.transport, this.config.frameSizeBytesSoftMax, unreachable);

    // 5. one synced log write for every group (and the compactions decided last round)
    const logBatch = this.logEngine.newBatch();
    for (const { g, rd } of readies) {
      if (rd.snapshot !== undefined && rd.snapshot.metadata.index > g.log.firstIndex() - 1) logBatch.applySnapshot(g.log, rd.snapshot);
      if (rd.entries.length > 0) logBatch.append(g.log, rd.entries);
      if (rd.hardState !== undefined && termOrVoteChanged(g.log.storedHardState(), rd.hardState)) logBatch.setHardState(g.log, rd.hardState);
    }
    const compactions = this.stageCompactions(logBatch, new Set(readies.filter((r) => r.rd.snapshot !== undefined).map((r) => r.g)));
    this.counters.logCompactions += compactions.length;
    // A compaction or an installed snapshot lets the log forget entries: the KV state they led
    // to (applied earlier, or imported with the snapshot) must be durable first, or a power loss
    // would leave the KV engine behind the log's first index (found by the simulator, seed 100).
    if (compactions.length > 0 || readies.some((r) => r.rd.snapshot !== undefined)) await this.kvEngine.sync();
    for (const { g, rd } of readies) {
      if (rd.snapshot === undefined) continue;
      assert(g.kvApplied >= rd.snapshot.metadata.index, () => `partition ${g.partition}: Raft installed a snapshot at ${rd.snapshot!.metadata.index} the KV engine does not hold (applied ${g.kvApplied})`);
      g.confState = rd.snapshot.metadata.confState;
    }
    // 6a. While the log write runs, apply the committed entries this node already holds on disk
    // and that this round does not rewrite (on a leader: all of them, since it counts itself for
    // commit only once persisted), and answer their waiters: a committed write no longer waits
    // for the fsync of the next batch behind it.
    const onDisk = new Map<Group, number>();
    for (const { g, rd } of readies) {
      onDisk.set(g, rd.snapshot !== undefined ? 0 : Math.min(g.log.lastIndex(), rd.entries.length > 0 ? rd.entries[0]!.index - 1 : Number.MAX_SAFE_INTEGER));
    }
    // Raft asks for an fsync only when entries, term, vote or a snapshot changed. A commit index
    // is not written at all (termOrVoteChanged), so a round whose only change is one (a follower
    // learning of a commit) writes nothing. Compaction points are synced: the log forgets entries
    // only durably.
    const mustSync = compactions.length > 0 || readies.some((r) => r.rd.mustSync);
    const logStartMs = this.clock.nowMs();
    let logLandedMs = logStartMs;
    // The landing time is taken when the write resolves, not when the round resumes after the
    // early apply below (whose CPU would otherwise count as waiting for the disk).
    const logWrite = this.logEngine.commit(logBatch, { sync: mustSync }).then(() => {
      logLandedMs = this.clock.nowMs();
    });
    logWrite.catch(() => undefined); // awaited below; a failure there must not surface as unhandled first
    const corrupted = new Map<Group, unknown>();
    const touched = new Set<Group>();
    // The two writes finish in either order; each releases its own waiters at once: the answers
    // when the KV write lands (a leader's client waits on those), the acknowledgements when the log
    // write lands (the leader's commit waits on those).
    const early = this.applyCommitted(readies, (g) => onDisk.get(g)!, corrupted).then((applied) => this.answerApplied(applied, touched));
    early.catch(() => undefined); // awaited below, like logWrite
    await logWrite;
    this.counters.onLogWrite(readies, logBatch.isEmpty, mustSync, logLandedMs - logStartMs);
    for (const { group } of compactions) this.watches.compacted(group.partition, group.log.firstIndex());

    // ...and what had to wait for the write (votes, append acknowledgements), one frame per destination.
    this.newOutbox().addReadies(readies, 'messagesAfterPersist').send(this.transport, this.config.frameSizeBytesSoftMax, unreachable);
    await early;

    // 6b. apply the rest of the committed entries (persisted by this round's write), and on a
    // leader those committed since ready() by append responses stepped on arrival while the write
    // ran, as far as this node holds them durably (its log now ends past this round's entries),
    // 7. answer
    const more = new Map<Group, Entry[]>();
    for (const { g } of readies) {
      if (!g.isLeader || corrupted.has(g)) continue;
      const entries = g.raft.moreCommittedEntries(g.log.lastIndex());
      if (entries.length > 0) more.set(g, entries);
    }
    this.answerApplied(await this.applyCommitted(readies, () => Number.MAX_SAFE_INTEGER, corrupted, more), touched);
    for (const { g, rd } of readies) {
      this.confirmReads(g, rd.readStates);
      if (rd.softState !== undefined) this.onSoftState(g, rd.softState.role, rd.softState.leader);
    }
    for (const [g, error] of corrupted) this.quarantineGroup(g, error);
    for (const g of this.groups.values()) this.releaseReads(g);

    // 8. advance, then what must wait for it
    for (const { g } of readies) g.raft.advance();
    for (const [to, groups] of unreachable.groups) for (const g of groups) g.raft.reportUnreachable(to);
    for (const { g, message } of this.snapshotsToSend.splice(0)) if (this.groups.get(g.partition) === g) await this.sendSnapshot(g, message);
    for (const g of touched) this.maybeScheduleCompaction(g);
    this.counters.roundMs += this.clock.nowMs() - roundStartMs;

    if (this.inbox.length > 0 || this.ticksDue > 0 || [...this.groups.values()].some((g) => g.raft.hasReady() || g.queuedProposals.length > 0)) {
      this.roundAgain = true;
    }
  }

  /**
   * Applies, in ONE KV write, every group's committed entries of this round up to `limitOf(g)`
   * that the KV engine does not hold yet. A group whose stored state fails its checksum applies
   * nothing more this round (it lands in `corrupted` and is quarantined at the end of the round).
   */
  private async applyCommitted(
    readies: ReadonlyArray<{ g: Group; rd: Ready }>,
    limitOf: (g: Group) => number,
    corrupted: Map<Group, unknown>,
    more?: ReadonlyMap<Group, readonly Entry[]>,
  ): Promise<AppliedEntry[]> {
    const applyRound = new ApplyRound(this.kvEngine, this.config.sessionTtlMs);
    const applied: AppliedEntry[] = [];
    // Of `more`'s entries, those applied (not those taken: a group whose state fails its checksum
    // stops partway), for entriesAppliedInCommitRound.
    let moreApplied = 0;
    for (const { g, rd } of readies) {
      if (corrupted.has(g)) continue;
      const limit = limitOf(g);
      let last = g.kvApplied;
      const extra = more?.get(g);
      for (const entry of extra === undefined ? rd.committedEntries : rd.committedEntries.concat(extra)) {
        // Already in the KV engine: replayed after a restart, covered by an imported snapshot, or
        // applied earlier in this round.
        if (entry.index <= g.kvApplied) continue;
        if (entry.index > limit) break;
        const effects: ApplyEffects = { events: [], expiring: [], unexpiring: [] };
        let answer: Answer | undefined;
        if (entry.type === 'confChange') g.confState = g.raft.applyConfChange(decodeConfChange(entry.data));
        else if (entry.data.length > 0) {
          try {
            // Synchronous unless the command reads state the engine's caches do not hold.
            const command = decodeCommand(entry.data, { group: g.id, index: entry.index });
            const fast = applyRound.tryApply(g.partition, entry.index, command, effects);
            answer = fast !== NEEDS_IO ? fast : await applyRound.apply(g.partition, entry.index, command, effects);
          } catch (error) {
            // Corrupt stored state: apply nothing more of this group (the earlier entries stay
            // applied); it is quarantined at the end of the round. A write reads before it stages
            // anything; an expire may have staged some deletes, which a replay repeats harmlessly.
            if (!isCorruption(error)) throw error;
            corrupted.set(g, error);
            break;
          }
        }
        applied.push({ g, index: entry.index, term: entry.term, answer, effects });
        if (extra !== undefined && entry.index >= extra[0]!.index) moreApplied++;
        last = entry.index;
      }
      if (last > g.kvApplied) applyRound.batch.setAppliedIndex(g.id, last);
    }
    // The writers are answered now, before the batch lands: what makes a write durable is its
    // committed log entry (the KV batch is not synced; a restart replays the log past the KV
    // engine's applied index). Readers still wait for the landing: kvApplied, which every read's
    // revision and every ReadIndex wait go by, moves only then (answerApplied).
    this.answerWriters(applied);
    const kvStartMs = this.clock.nowMs();
    await this.kvEngine.write(applyRound.batch);
    this.counters.onKvWrite(applyRound.batch.isEmpty, this.clock.nowMs() - kvStartMs);
    this.counters.entriesApplied += applied.length;
    this.counters.entriesAppliedInCommitRound += moreApplied;
    return applied;
  }

  /** Answers the writes waiting on `applied` entries, in apply order (see applyCommitted). */
  private answerWriters(applied: readonly AppliedEntry[]): void {
    for (const a of applied) {
      const g = a.g;
      const waiter = g.proposals.get(a.index);
      if (waiter === undefined) continue;
      g.proposals.delete(a.index);
      if (waiter.term === a.term && a.answer !== undefined) waiter.resolve(a.answer);
      else waiter.reject(this.notLeaderError(g, 'the write lost its place in the log to a new leader; it was not applied, retry it'));
    }
  }

  /** After their KV write: moves the applied indexes, answers watchers, in apply order. */
  private answerApplied(applied: readonly AppliedEntry[], touched: Set<Group>): void {
    for (const a of applied) {
      const g = a.g;
      g.kvApplied = a.index;
      touched.add(g);
      if (a.answer !== undefined) g.lastWriteWallMs = Math.max(g.lastWriteWallMs, this.clock.wallMs());
      for (const key of a.effects.unexpiring) g.expiry.untrack(key);
      for (const e of a.effects.expiring) g.expiry.track(e.key, e.modRevision, e.expiresAtMs);
      this.watches.publish(g.partition, a.effects.events);
    }
  }

  private async stepInbound(): Promise<void> {
    const inbox = this.inbox;
    this.inbox = [];
    for (const { from, content } of inbox) {
      for (const { group, message, sync } of content.messages) {
        const g = this.addressee(from, group, message);
        if (g === undefined) continue;
        this.freshness.onInbound(g, message, sync);
        this.stepMessage(g, message);
      }
      for (const chunk of content.chunks) {
        const done = this.assembler.add(from, chunk);
        if (done !== undefined) await this.installSnapshot(done);
      }
    }
  }

  /**
   * Steps the heartbeats, heartbeat responses and append responses of `content` that Raft takes
   * now (RawNode.stepNow: between rounds, or between a round's ready() and advance()), sends what
   * they produce at once, queues the reads they confirm, and returns the rest of the frame for the
   * next round, in order. A read confirmed on an idle leader thus costs no round on any node, only
   * its heartbeat round trip; a commit learned while a round waits for its log write is applied by
   * that round.
   */
  private stepOnArrival(from: NodeId, content: PeerFrameContent): PeerFrameContent {
    const rest: GroupMessage[] = [];
    const outbox = this.newOutbox();
    let answered = false;
    const stepped = new Set<Group>();
    const snapshotsBefore = this.snapshotsToSend.length;
    for (const gm of content.messages) {
      const { group, message, sync } = gm;
      const g = this.addressee(from, group, message);
      if (g === undefined) continue;
      // RawNode.stepNow decides what it can take now (type, term, role); the rest, and all of a
      // quarantined group's, waits for the round.
      const out = this.quarantine.has(g.partition) ? LATER : this.stepGuarded(g, message, () => g.raft.stepNow(message) ?? LATER);
      if (out === LATER) {
        rest.push(gm);
        continue;
      }
      if (out === undefined) continue; // refused: spent, as in a round
      answered ||= message.type === 'MsgHeartbeatResp';
      stepped.add(g);
      this.freshness.onInbound(g, message, sync);
      for (const m of out.messages) outbox.add(g, m);
      if (out.readStates.length > 0) {
        this.confirmReads(g, out.readStates);
        this.releaseReads(g);
      }
    }
    // What only a round does: between rounds nothing else looks at a commit index a heartbeat or
    // an append response brought (entries to apply); and a follower behind the compaction point
    // needs the partition's export, which only a round may take (the outbox set its MsgSnap aside).
    const roundNeeded = this.roundRunning === undefined && [...stepped].some((g) => g.raft.hasReady());
    if (roundNeeded || this.snapshotsToSend.length > snapshotsBefore) this.scheduleRound();
    // An answer to a heartbeat round: the reads that waited for it start now, in the same frames.
    if (answered) {
      this.readWaveOut = false;
      if (this.groupsWithQueuedReads.size > 0) this.flushQueuedReads(outbox);
    }
    if (!outbox.isEmpty) outbox.send(this.transport, this.config.frameSizeBytesSoftMax);
    return rest.length === content.messages.length ? content : { messages: rest, chunks: content.chunks };
  }

  /** Moves the reads a ReadIndex round confirmed to wait for their index to apply. */
  private confirmReads(g: Group, readStates: readonly ReadState[]): void {
    for (const rs of readStates) {
      const id = decodeReadContext(rs.context);
      const reads = id === undefined ? undefined : g.readsInFlight.get(id);
      if (reads === undefined) continue;
      g.readsInFlight.delete(id!);
      g.readsAwaitingApply.push({ index: rs.index, reads });
    }
  }

  /** The hosted group a peer's message is for, or undefined when it is not for this node's replica. */
  private addressee(from: NodeId, group: number, message: Message): Group | undefined {
    const g = this.groups.get(group);
    return g === undefined || message.from !== from || message.to !== this.nodeId ? undefined : g;
  }

  private stepMessage(g: Group, message: Message): void {
    this.stepGuarded(g, message, () => g.raft.step(message));
  }

  /** Runs `step` (stepping `message` into g's Raft node); undefined when the core refused it. */
  private stepGuarded<T>(g: Group, message: Message, step: () => T): T | undefined {
    try {
      return step();
    } catch (error) {
      // The core refuses what it cannot use (a message for a stale term, a local type from a peer).
      this.logger.warn({ partition: g.partition, type: message.type, from: message.from, err: error }, 'Raft refused a message');
      return undefined;
    }
  }

  private tickAndChores(): void {
    if (this.ticksDue === 0) return;
    // After a long pause, catch up at most one election timeout at once: firing dozens of ticks in
    // one go would only start elections nobody needs.
    const ticks = Math.min(this.ticksDue, this.config.electionTicks);
    this.ticksDue = 0;
    const nowMs = this.clock.nowMs();
    const wallMs = this.clock.wallMs();
    const balance = !this.handingOff && nowMs - this.lastBalanceMs >= this.config.leaderBalanceIntervalMs;
    if (balance) this.lastBalanceMs = nowMs;
    for (const g of this.groups.values()) {
      for (let i = 0; i < ticks; i++) g.raft.tick();
      this.expireDeadlines(g, nowMs);
      if (!g.isLeader) continue;
      const expired = g.expiry.takeExpired(wallMs, this.config.expireBatchKeysMax, wallMs + this.config.proposalTimeoutMs);
      if (expired.length > 0) {
        g.queuedProposals.push({ data: encodeCommand({ type: 'expire', wallMs, keys: expired.map((e) => ({ key: e.key, modRevision: e.modRevision })) }) });
      }
      // Sweep only while some session may still exist: an idle partition stays silent.
      const sessionsMayExist = g.lastWriteWallMs + this.config.sessionTtlMs + this.config.sessionSweepIntervalMs >= wallMs;
      if (g.lastSessionSweepMs === 0) g.lastSessionSweepMs = wallMs;
      else if (sessionsMayExist && wallMs - g.lastSessionSweepMs >= this.config.sessionSweepIntervalMs) {
        g.lastSessionSweepMs = wallMs;
        g.queuedProposals.push({ data: encodeCommand({ type: 'expireSessions', wallMs }) });
      }
      if (this.handingOff) this.transferAway(g, nowMs);
      else if (balance && g.preferredLeader !== this.nodeId) this.transferTo(g, g.preferredLeader, nowMs);
    }
  }

  /** Moves leadership to `target` if it is reachable and has the whole log. */
  private transferTo(g: Group, target: NodeId, nowMs: number): boolean {
    if (!g.replicas.includes(target) || !this.transport.isReachable(target)) return false;
    if (nowMs - g.transferStartedMs < this.config.tickMs * this.config.electionTicks) return false;
    const st = g.raft.status();
    const progress = st.progress.get(target);
    if (progress === undefined || progress.match !== st.lastIndex) return false;
    g.transferStartedMs = nowMs;
    g.raft.transferLeader(target);
    this.logger.info({ partition: g.partition, to: target }, 'moving leadership');
    return true;
  }

  private transferAway(g: Group, nowMs: number): void {
    const targets = [g.preferredLeader, ...g.replicas].filter((n) => n !== this.nodeId);
    for (const t of targets) if (this.transferTo(g, t, nowMs)) return;
  }

  private proposeQueued(): void {
    for (const g of this.groups.values()) {
      if (g.queuedProposals.length > 0) {
        const queued = g.queuedProposals;
        g.queuedProposals = [];
        for (const q of queued) {
          try {
            const { index, term } = g.raft.propose(q.data);
            if (q.waiter !== undefined) {
              q.waiter.term = term;
              g.proposals.set(index, q.waiter);
            }
          } catch (error) {
            if (!(error instanceof ProposalDroppedError)) throw error;
            q.waiter?.reject(this.droppedError(g, error));
          }
        }
      }
      for (const mode of ['safe', 'lease'] as const) {
        const reads = g.queuedReads[mode];
        if (reads.length === 0) continue;
        g.queuedReads[mode] = [];
        if (!g.isLeader) {
          for (const r of reads) r.reject(this.notLeaderError(g, 'leadership moved before the read was confirmed'));
          continue;
        }
        this.startRead(g, reads, mode, (id) => {
          g.raft.readIndex(encodeReadContext(id), mode);
          return true;
        });
      }
    }
  }

  /**
   * The reads queued since the last flush start now, between rounds or while a round waits for
   * its log write, instead of in the next round: one ReadIndex per group and mode for all of
   * them, its heartbeat round sent at once, one frame per destination for every group. Reads the
   * Raft node cannot start now (not its leader any more, messages waiting for the next Ready)
   * stay queued for the round.
   */
  private startReadsNow(): void {
    this.readFlushScheduled = false;
    if (this.stopped) return;
    const outbox = this.newOutbox();
    this.flushQueuedReads(outbox);
    if (!outbox.isEmpty) outbox.send(this.transport, this.config.frameSizeBytesSoftMax);
  }

  /** startReadsNow's work, its messages added to `outbox` (sent by the caller). */
  private flushQueuedReads(outbox: Outbox): void {
    // A round running or about to start takes them, and sends their heartbeats with its own messages.
    if (this.roundPending) {
      this.groupsWithQueuedReads.clear();
      this.scheduleRound();
      return;
    }
    let heartbeats = false;
    let leftForRound = false;
    for (const g of this.groupsWithQueuedReads) {
      if (this.groups.get(g.partition) !== g || this.quarantine.has(g.partition) || !g.isLeader) {
        leftForRound ||= g.queuedReads.safe.length + g.queuedReads.lease.length > 0;
        continue;
      }
      for (const mode of ['safe', 'lease'] as const) {
        const reads = g.queuedReads[mode];
        if (reads.length === 0) continue;
        g.queuedReads[mode] = [];
        const started = this.startRead(g, reads, mode, (id) => {
          const out = g.raft.readIndexNow(encodeReadContext(id), mode);
          if (out === undefined) return false;
          for (const m of out.messages) outbox.add(g, m);
          heartbeats ||= out.messages.length > 0;
          this.confirmReads(g, out.readStates);
          return true;
        });
        if (!started) {
          g.queuedReads[mode] = reads.concat(g.queuedReads[mode]);
          leftForRound = true;
        }
      }
      this.releaseReads(g);
    }
    this.groupsWithQueuedReads.clear();
    if (heartbeats) this.readWaveOut = true;
    if (leftForRound) this.scheduleRound();
  }

  /**
   * Registers `reads` under a fresh read context and starts their ReadIndex with `begin`; false
   * when `begin` could not start it now (nothing registered). A read Raft refuses (too many
   * waiting) is answered UNAVAILABLE.
   */
  private startRead(g: Group, reads: ReadWaiter[], mode: 'safe' | 'lease', begin: (id: number) => boolean): boolean {
    const id = this.nextReadId++;
    // Registered first: a read answered at once (a lease, a single voter) is confirmed inside begin.
    g.readsInFlight.set(id, reads);
    try {
      if (begin(id)) return true;
      g.readsInFlight.delete(id);
      return false;
    } catch (error) {
      g.readsInFlight.delete(id);
      const e = new StoreError('UNAVAILABLE', `partition ${g.partition} cannot confirm a ${mode === 'lease' ? 'lease' : 'linearizable'} read now (${String(error)}); retry shortly`, { partition: g.partition, retryAfterMs: 100 });
      for (const r of reads) r.reject(e);
      return true;
    }
  }

  private droppedError(g: Group, error: ProposalDroppedError): StoreError {
    const hint = (error as { leaderHint?: number }).leaderHint;
    if (g.isLeader) {
      return new StoreError('UNAVAILABLE', `partition ${g.partition} refused the write for now (${error.message}); retry shortly`, { partition: g.partition, retryAfterMs: 100 });
    }
    return this.notLeaderError(g, 'leadership moved before the write was proposed', hint);
  }

  private notLeaderError(g: Group, why: string, hint?: number): StoreError {
    const leader = hint !== undefined && hint !== NO_NODE ? hint : g.leader !== this.nodeId && g.leader !== NO_NODE ? g.leader : undefined;
    if (leader === undefined) {
      return new StoreError('UNAVAILABLE', `partition ${g.partition} has no leader right now (${why}); retry shortly`, { partition: g.partition, retryAfterMs: this.config.tickMs * 2 });
    }
    return new StoreError('NOT_LEADER', `node ${this.nodeId} does not lead partition ${g.partition}; node ${leader} does (${why})`, {
      partition: g.partition,
      leaderHint: leader,
      ...(this.apiAddressOf(leader) === undefined ? {} : { leaderAddress: this.apiAddressOf(leader) }),
    });
  }

  private onSoftState(g: Group, role: Group['role'], leader: NodeId): void {
    this.counters.onSoftState(g, role, leader);
    const wasLeader = g.isLeader;
    g.role = role;
    g.leader = leader;
    if (wasLeader && role !== 'leader') {
      this.logger.info({ partition: g.partition, leader }, 'lost leadership');
      this.failGroup(g, this.notLeaderError(g, 'leadership changed while the request waited'), false);
    }
  }

  /** Answers everything waiting on a group with `error` (leadership lost, or the store stops). */
  private failGroup(g: Group, error: StoreError, includeConfirmedReads: boolean): void {
    for (const w of g.proposals.values()) w.reject(error);
    g.proposals.clear();
    for (const q of g.queuedProposals) q.waiter?.reject(error);
    g.queuedProposals = [];
    for (const r of [...g.queuedReads.safe, ...g.queuedReads.lease]) r.reject(error);
    g.queuedReads = { safe: [], lease: [] };
    for (const reads of g.readsInFlight.values()) for (const r of reads) r.reject(error);
    g.readsInFlight.clear();
    if (includeConfirmedReads) {
      for (const { reads } of g.readsAwaitingApply) for (const r of reads) r.reject(error);
      g.readsAwaitingApply = [];
    }
  }

  private expireDeadlines(g: Group, nowMs: number): void {
    for (const [index, w] of g.proposals) {
      if (w.deadlineMs <= nowMs) {
        g.proposals.delete(index);
        w.reject(deadlineError('the write', g.partition));
      }
    }
    g.queuedReads = { safe: keepUnexpired(g.queuedReads.safe, nowMs, g.partition), lease: keepUnexpired(g.queuedReads.lease, nowMs, g.partition) };
    for (const [id, reads] of g.readsInFlight) {
      const left = keepUnexpired(reads, nowMs, g.partition);
      if (left.length === 0) g.readsInFlight.delete(id);
      else g.readsInFlight.set(id, left);
    }
    g.readsAwaitingApply = g.readsAwaitingApply.map((x) => ({ index: x.index, reads: keepUnexpired(x.reads, nowMs, g.partition) })).filter((x) => x.reads.length > 0);
  }

  private releaseReads(g: Group): void {
    if (g.readsAwaitingApply.length === 0) return;
    const still: typeof g.readsAwaitingApply = [];
    for (const x of g.readsAwaitingApply) {
      if (x.index <= g.kvApplied) for (const r of x.reads) r.resolve();
      else still.push(x);
    }
    g.readsAwaitingApply = still;
  }

  private newOutbox(): Outbox {
    return new Outbox(this.leaderSyncOf, (g, message) => this.snapshotsToSend.push({ g, message }));
  }

  // ---- snapshots and compaction -------------------------------------------------------------

  /**
   * Raft wants to send a snapshot: export the partition as it is now (between rounds' applies,
   * so it matches kvApplied exactly), and send it in chunks with a MsgSnap whose metadata is that
   * applied index. The export is read whole before the loop continues: no apply can slip between.
   */
  private async sendSnapshot(g: Group, message: Message): Promise<void> {
    const key = `${g.partition}/${message.to}`;
    if (this.sendingSnapshots.has(key)) return;
    this.sendingSnapshots.add(key);
    try {
      const index = g.kvApplied;
      const metadata = { index, term: g.log.term(index), confState: g.confState };
      const chunks: Uint8Array[] = [];
      for await (const chunk of this.kvEngine.exportPartition(g.id, this.config.snapshotChunkBytes)) chunks.push(chunk);
      const transferId = this.nextTransferId++;
      const snapMessage: Message = { ...message, snapshot: { metadata, data: new Uint8Array(0) } };
      chunks.forEach((data, seq) => {
        const chunk: SnapshotChunk = { group: g.partition, transferId, seq, total: chunks.length, data, ...(seq === chunks.length - 1 ? { message: snapMessage } : {}) };
        this.transport.send(message.to, encodePeerFrame({ messages: [], chunks: [chunk] }));
      });
      this.logger.info({ partition: g.partition, to: message.to, index, chunks: chunks.length }, 'sent a snapshot');
      this.counters.snapshotsSent++;
      g.raft.reportSnapshot(message.to, this.transport.isReachable(message.to));
    } catch (error) {
      if (!isCorruption(error)) throw error;
      this.quarantineGroup(g, error);
    } finally {
      this.sendingSnapshots.delete(key);
    }
  }

  /** A whole snapshot arrived: import it into the KV engine, then let Raft take its MsgSnap. */
  private async installSnapshot(s: AssembledSnapshot): Promise<void> {
    const g = this.groups.get(s.group);
    const meta = s.message.snapshot?.metadata;
    if (g === undefined || meta === undefined || s.message.to !== this.nodeId) return;
    if (meta.index > g.kvApplied) {
      try {
        await this.kvEngine.importPartition(g.id, s.chunks);
      } catch (error) {
        this.logger.warn({ partition: g.partition, from: s.from, err: error }, 'refused a snapshot');
        return;
      }
      g.kvApplied = await this.kvEngine.appliedIndex(g.id);
      assert(g.kvApplied === meta.index, () => `partition ${g.partition}: imported snapshot holds applied index ${g.kvApplied}, its MsgSnap says ${meta.index}`);
      this.watches.reset(g.partition, g.kvApplied);
      g.expiry.clear();
      await this.loadExpiry(g);
      this.logger.info({ partition: g.partition, from: s.from, index: meta.index }, 'installed a snapshot');
      this.counters.snapshotsReceived++;
    }
    this.stepMessage(g, s.message);
  }

  /**
   * Schedules compacting a group's log (held in memory, storage/group-log.ts) once it passes
   * compactionThresholdEntries, or its byte threshold: compactionThresholdBytes or the group's
   * share of logMemoryBytesMax, whichever is lower. It keeps the last compactionRetainEntries
   * applied entries, and no more than compactionRetainBytes of them (a quarter of the threshold
   * at most): with 1 MiB values, 1 000 entries kept were 1 GiB per partition.
   */
  private maybeScheduleCompaction(g: Group): void {
    const first = g.log.firstIndex();
    const held = g.kvApplied - first + 1;
    const thresholdBytes = Math.min(this.config.compactionThresholdBytes, Math.floor(this.config.logMemoryBytesMax / Math.max(1, this.groups.size)));
    if (held <= this.config.compactionThresholdEntries && g.log.sizeBytes <= thresholdBytes) return;
    let index = g.kvApplied - this.config.compactionRetainEntries;
    const lo = Math.max(first, index + 1);
    const applied = Math.min(g.kvApplied, g.log.lastIndex());
    if (lo <= applied) {
      // Of the applied entries the count would keep, only the newest that fit in retainBytes.
      const retainBytes = Math.min(this.config.compactionRetainBytes, Math.floor(thresholdBytes / 4));
      index = Math.max(index, g.log.firstWithin(lo, applied, retainBytes) - 1);
      index = this.heldForFollowers(g, index, applied, Math.floor(thresholdBytes / 2), Math.floor(this.config.compactionThresholdEntries / 2));
    }
    // Only a compaction that frees a quarter of what the log holds: one that frees a few entries
    // (a held follower inching forward, an unapplied tail keeping the bytes high) would cost a
    // synced write of both engines every round.
    if (index - first + 1 >= Math.max(1, Math.floor(held / 4))) this.pendingCompactions.push({ group: g, index });
  }

  /**
   * On a leader, a compaction index no higher than what a follower still being sent entries
   * (heard from lately, not waiting for a snapshot, its match still in the log) has matched, the
   * slowest such follower for which the applied entries kept fit in `holdBytes` and
   * `holdEntries`: a few entries more in memory are far cheaper than the whole partition's export
   * that a follower behind the compaction point needs. With the byte bound a 1 MiB-value log
   * keeps only 4 entries, fewer than a follower may lack after a few lost appends. Returns
   * `index` itself when nothing is to be held.
   */
  private heldForFollowers(g: Group, index: number, applied: number, holdBytes: number, holdEntries: number): number {
    if (!g.isLeader) return index;
    const first = g.log.firstIndex();
    const matches: number[] = [];
    for (const [id, pr] of g.raft.raft.trk.progress) {
      // A match below the compaction point needs the export whatever is kept (a new leader
      // knows no match until the follower answers an append).
      if (id !== this.nodeId && pr.recentActive && pr.state !== 'snapshot' && pr.match < index && pr.match >= first - 1) matches.push(pr.match);
    }
    matches.sort((a, b) => a - b);
    for (const match of matches) {
      if (applied - match <= holdEntries && g.log.firstWithin(match + 1, applied, holdBytes) === match + 1) return match;
    }
    return index;
  }

  private stageCompactions(batch: ReturnType<RaftLogEngine['newBatch']>, skip: ReadonlySet<Group>): Array<{ group: Group; index: number }> {
    const staged: Array<{ group: Group; index: number }> = [];
    for (const c of this.pendingCompactions) {
      const log = c.group.log;
      if (skip.has(c.group) || c.index < log.firstIndex() || c.index > log.lastIndex() || c.index > c.group.kvApplied) continue;
      batch.compact(log, c.index, { index: c.index, term: log.term(c.index), confState: c.group.confState });
      staged.push(c);
    }
    this.pendingCompactions = [];
    return staged;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private newRaft(g: { partition: number; log: Group['log']; kvApplied: number }): RawNode {
    assert(g.kvApplied >= g.log.firstIndex() - 1, () => `partition ${g.partition}: the KV engine is at ${g.kvApplied}, behind the log's compaction point ${g.log.firstIndex() - 1}`);
    const storage = new GroupLogStorage(g.log, g.kvApplied);
    const hardState = storage.initialState().hardState;
    return new RawNode({
      id: this.nodeId,
      storage,
      prng: this.prng.fork(`raft/${g.partition}`),
      electionTick: this.config.electionTicks,
      heartbeatTick: this.config.heartbeatTicks,
      applied: Math.min(g.kvApplied, hardState.commit),
      maxSizePerMsgBytes: this.config.msgSizeBytesMax,
      maxInflightMsgs: this.config.inflightMsgsMax,
      maxUncommittedEntriesSizeBytes: this.config.uncommittedSizeBytesMax,
      preVote: true,
      checkQuorum: true,
    });
  }

  /** The fields of a Group known before its RawNode exists. */
  private placeholder(partition: number, log: Group['log'], replicas: readonly NodeId[], kvApplied: number, confState: Group['confState']) {
    return { partition, id: groupId(partition), log, replicas, preferredLeader: this.ring.preferredLeaderOf(partition), kvApplied, confState };
  }

  /** Rebuilds the expiry index of a partition from its data (at start, after a snapshot). */
  private async loadExpiry(g: Group): Promise<void> {
    let after: Uint8Array | undefined;
    for (;;) {
      const page = await this.kvEngine.scan(g.id, { prefix: new Uint8Array(0), ...(after === undefined ? {} : { after }), limit: 1000 });
      for (const item of page) if (item.record.expiresAtMs !== undefined) g.expiry.track(item.key, item.record.modRevision, item.record.expiresAtMs);
      if (page.length < 1000) return;
      after = page[page.length - 1]!.key;
    }
  }

  /** Stored data of `g` failed its checksum: its replica here stops taking part (quarantine.ts). */
  private quarantineGroup(g: Group, error: unknown): void {
    if (!this.quarantine.add(g.partition, g, error, this.clock.wallMs())) return;
    this.logger.error({ partition: g.partition, nodeId: this.nodeId, err: error }, 'corrupt data: the partition is quarantined on this node; its other replicas serve it');
    this.failGroup(g, this.quarantine.error(g.partition, this.nodeId), true);
    // No round is scheduled for it: the next tick's round drops the group (one may not start
    // while start() is still opening groups), and hostedGroup refuses it from now on.
  }

  /** A KV read for `g`; corrupt data quarantines the partition and the caller gets UNAVAILABLE. */
  private async readGuarded<T>(g: Group, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!isCorruption(error)) throw error;
      this.quarantineGroup(g, error);
      throw this.quarantine.error(g.partition, this.nodeId);
    }
  }

  private hostedGroup(partition: number): Group {
    if (this.quarantine.has(partition)) throw this.quarantine.error(partition, this.nodeId);
    const g = this.groups.get(partition);
    if (g !== undefined) return g;
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitionCount) {
      throw new StoreError('BAD_REQUEST', `partition ${partition} does not exist (the ring has ${this.partitionCount})`);
    }
    const hint = this.ring.preferredLeaderOf(partition);
    throw new StoreError('NOT_LEADER', `node ${this.nodeId} holds no replica of partition ${partition}; node ${hint} does`, {
      partition,
      leaderHint: hint,
      ...(this.apiAddressOf(hint) === undefined ? {} : { leaderAddress: this.apiAddressOf(hint) }),
    });
  }

  private checkLeader(g: Group): void {
    if (this.stopped) throw new StoreError('UNAVAILABLE', `node ${this.nodeId} is stopping; retry on another node`, { partition: g.partition });
    if (!g.isLeader) throw this.notLeaderError(g, 'ask the leader');
  }

  private leaderGroup(partition: number): Group {
    const g = this.hostedGroup(partition);
    this.checkLeader(g);
    return g;
  }

  private replicasPreferredFirst(partition: number): number[] {
    const replicas = [...this.ring.replicasOf(partition)] as number[];
    const preferred = this.ring.preferredLeaderOf(partition);
    return [preferred, ...replicas.filter((r) => r !== preferred)];
  }

  private nodeInfo(n: ClusterNode): NodeInfo {
    return { id: n.id as NodeId, apiAddress: n.apiAddress, peerAddress: n.peerAddress, ...(n.zone === undefined ? {} : { zone: n.zone }) };
  }
}
