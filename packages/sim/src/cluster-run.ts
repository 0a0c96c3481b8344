/**
 * One seeded run of the real Store: `nodes` machines hosting `partitions` Raft groups with
 * `replicationFactor` replicas each, under the fault schedule. Each node serves the real tRPC api
 * router (with a forwarder to leaders over the simulated network); clients are the real SDK over
 * a simulated transport (cluster-clients.ts). The run checks the Raft invariants every 200 ms
 * (RaftObserver, digests every second), that the client history is linearizable (lincheck), that
 * no acknowledged write is lost (the final state of every key is its last acknowledged write or a
 * later one), and liveness: within the last 10 simulated seconds (no faults) every partition has
 * one leader, commits a write, and all its replicas converge to one digest.
 *
 * The Store is loaded with a dynamic import so the rest of the simulator works while
 * packages/raft is still being written.
 */
import { groupId, nodeId, Prng, utf8Encode, type NodeId } from '@ringkv/stdx';
import type { ClusterConfig, Store } from '@ringkv/multiraft';
import { createAppRouter, type AppRouter } from '@ringkv/api';
import { checkHistory, HistoryRecorder, ringKvHistoryFromRecords } from '@ringkv/lincheck';
import { CorruptionError, openKvEngine, openSegmentLogEngine, type GroupLog, type KvEngine, type StorageDb } from '@ringkv/storage';
import { ClientWorkload, type ClientWorkloadStats } from './cluster-clients';
import { DEFAULT_FAULTS, FaultSchedule, type FaultCounts, type FaultOptions } from './fault-schedule';
import { NodeHost, type BootContext, type SimProcess } from './node-host';
import { LiveKvFlips, type LiveFlipCounts } from './live-kv-flips';
import { LIVENESS_WINDOW_MS } from './probe-run';
import { RaftObserver, type ObservedReplica, type ObserverStats } from './raft-observer';
import { Scheduler } from './scheduler';
import { SimApi, type ApiStats } from './sim-api';
import { simApiAddress } from './sim-client-transport';
import type { SimClock } from './sim-clock';
import { FAST_DISK } from './sim-disk';
import { SimForwarder } from './sim-forwarder';
import { SimNetwork } from './sim-network';

/** Client traffic stops this long before the end of a run, before convergence is checked. */
export const QUIESCE_MS = 2_000;
/** The SDK's overall deadline and per-attempt timeout in the simulated clients. */
export const CLIENT_DEADLINE_MS = 4_000;
export const CLIENT_ATTEMPT_TIMEOUT_MS = 1_000;
/** How long past its end a run may take to converge (see the liveness check). */
export const CONVERGE_GRACE_MS = 3_000;
/** Small segments, so the seeds' crashes also land in segment rotations and deletions. */
const SIM_SEGMENT_BYTES = 32 * 1024;
/** Zeros kept ahead of the log's records: a quarter segment, so segments are both created with zeros and refilled. */
const SIM_PREALLOCATE_BYTES = 8 * 1024;

/** Mean gap between bit flips under the running "bad disk" node during the fault phase. */
export const LIVE_FLIP_MEAN_GAP_MS = 3_000;

export interface ClusterRunOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly simulatedMs: number;
  readonly keys?: number;
  readonly faults?: Partial<FaultOptions>;
  readonly clients?: number;
  /** Wall-clock budget of the linearizability check; past it the run fails as Unknown. */
  readonly lincheckTimeoutMs?: number;
}

export interface ClusterRunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly simulatedMs: number;
  readonly events: number;
  readonly writesAcked: number;
  readonly writesFailed: number;
  readonly operations: number;
  readonly clients: ClientWorkloadStats;
  readonly api: ApiStats;
  readonly observer: ObserverStats;
  readonly faults: FaultCounts;
  /** Bits flipped under a running node's KV engine, and what became of them (live-kv-flips.ts). */
  readonly kvFlips: LiveFlipCounts;
  readonly traceDigest: string;
}

interface StoreProcess extends SimProcess {
  readonly store: Store;
  readonly kvEngine: KvEngine;
  /** The database under the KV engine (the live bit flips write beneath the engine). */
  readonly kvDb: StorageDb;
  readonly logs: ReadonlyMap<number, GroupLog>;
  readonly router: AppRouter;
  readonly clock: SimClock;
  readonly incarnation: number;
}

export async function runCluster(options: ClusterRunOptions): Promise<ClusterRunResult> {
  const { Store: StoreClass } = await import('@ringkv/multiraft').catch((err: unknown) => {
    throw new Error(`the cluster workload cannot load the Store (packages/raft or packages/ring missing?): ${err instanceof Error ? err.message : String(err)}`);
  });
  const root = new Prng(options.seed);
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, root.fork('net'));
  const ids: NodeId[] = Array.from({ length: options.nodes }, (_, i) => nodeId(i + 1));
  const cluster: ClusterConfig = {
    clusterId: `sim-${options.seed}`,
    nodes: ids.map((id) => ({ id, peerAddress: `sim://n${id}/peer`, apiAddress: simApiAddress(id) })),
    partitions: options.partitions,
    replicationFactor: options.replicationFactor,
  };
  // Half the seeds run the KV engine without its value cache, so every read and apply reads (and
  // checksums) the stored record: a flipped bit is met at run time, not only at the next boot.
  const kvCacheOff = root.fork('kv-cache').chance(0.5);
  // Half the seeds write the KV engine's queue to LevelDB every few to few dozen operations
  // (between rounds and mid-round), half keep the node's default bound, so the queue there goes
  // mostly when a read, a sync (before a compaction) or a snapshot needs it, and a crash loses it.
  const kvQueue = root.fork('kv-queue');
  const kvQueueOpsMax = kvQueue.chance(0.5) ? 1 + kvQueue.int(64) : undefined;
  const boot = async (ctx: BootContext): Promise<StoreProcess> => {
    const logEngine = await openSegmentLogEngine({ directory: ctx.logDir, segmentBytes: SIM_SEGMENT_BYTES, preallocateBytes: SIM_PREALLOCATE_BYTES });
    const kvEngine = await openKvEngine({ db: ctx.kvDb, queueWrites: true, ...(kvQueueOpsMax === undefined ? {} : { queueOpsMax: kvQueueOpsMax }), ...(kvCacheOff ? { cacheSizeBytes: 0 } : {}) });
    const store = new StoreClass({ nodeId: ctx.nodeId, clock: ctx.clock, prng: ctx.prng, transport: ctx.transport, logEngine, kvEngine, cluster });
    await store.start();
    // The same in-memory logs the Store's groups use (the engine caches one per group): the
    // observer's log-matching and committed-entry checks read their (index, term) pairs.
    const logs = new Map<number, GroupLog>();
    for (const { partition } of store.status().partitions) logs.set(partition, await logEngine.openGroup(groupId(partition)));
    const router = createAppRouter({ kv: store, forwarder: new SimForwarder(api, ctx.nodeId, ctx.clock) });
    return { store, kvEngine, kvDb: ctx.kvDb, logs, router, clock: ctx.clock, incarnation: ctx.incarnation, stop: () => store.stop() };
  };
  const hosts = ids.map((id) => new NodeHost<StoreProcess>(id, scheduler, network, root.fork(`node${id}`), boot, 1_750_000_000_000, FAST_DISK));
  const api = new SimApi(scheduler, network, root.fork('api'), (id) => {
    const p = hosts[id - 1]?.process;
    return p === undefined ? undefined : { router: p.router, incarnation: p.incarnation, isPaused: () => p.clock.isPaused, resumeAtSimMs: () => p.clock.resumeAtSimMs() };
  });
  const faultEndMs = Math.max(0, options.simulatedMs - LIVENESS_WINDOW_MS);
  // The fault schedule flips log bits of a node while it is down (the boot refuses them); KV bits
  // are flipped under one running node by LiveKvFlips (the Store quarantines the partition).
  const faultOptions = { ...DEFAULT_FAULTS, ...options.faults, faultEndMs };
  const faults = new FaultSchedule(scheduler, root.fork('faults'), network, hosts, faultOptions, () => false);
  faults.install();
  const badNode = ids[root.fork('bad-disk').int(ids.length)]!;
  const flips = new LiveKvFlips(scheduler, root.fork('kv-flips'), badNode, () => {
    const p = hosts[badNode - 1]?.process;
    if (p === undefined) return undefined;
    return { kvDb: p.kvDb, kvEngine: p.kvEngine, quarantined: (g: number) => p.store.status().partitions.some((s) => s.partition === g && s.quarantined === true) };
  }, { meanGapMs: LIVE_FLIP_MEAN_GAP_MS, faultEndMs, partitions: options.partitions });
  if (faultOptions.bitFlips) flips.install();

  const observer = new RaftObserver();
  const live = (): ObservedReplica[] =>
    hosts.flatMap((h) => {
      const p = h.process;
      if (p === undefined) return [];
      return [
        {
          nodeId: h.nodeId,
          incarnation: p.incarnation,
          // A quarantined replica is a dead one for its group: out of every check.
          partitions: () => p.store.status().partitions.filter((s) => s.quarantined !== true),
          digest: async (g: number) => {
            try {
              return await p.kvEngine.appliedDigest(groupId(g));
            } catch (error) {
              // A flip the Store has not read yet: this replica's state is not comparable.
              if (error instanceof CorruptionError && flips.mayBeCorrupt(h.nodeId, g)) return undefined;
              throw error;
            }
          },
          log: (g: number) => p.logs.get(g),
        },
      ];
    });
  let observations = 0;
  const observe = (): void => {
    const compare = observations++ % 5 === 0;
    flips.poll();
    observer.observe(live(), compare).catch((err: unknown) => scheduler.fail(err));
    scheduler.after(200, 'observe', observe);
  };
  scheduler.after(200, 'observe', observe);

  // Clients: the real SDK over the simulated network, stopping QUIESCE_MS before the end so
  // replicas can converge on one applied index.
  const keyCount = options.keys ?? 256;
  const keys = Array.from({ length: keyCount }, (_, i) => `key-${i}`);
  const recorder = new HistoryRecorder(() => scheduler.nowMs);
  const workload = new ClientWorkload(scheduler, root.fork('clients'), api, recorder, {
    clients: options.clients ?? 8,
    keys,
    nodes: options.nodes,
    stopAtMs: options.simulatedMs - QUIESCE_MS,
    deadlineMs: CLIENT_DEADLINE_MS,
    attemptTimeoutMs: CLIENT_ATTEMPT_TIMEOUT_MS,
  });
  faults.clientIds = workload.networkIds;
  workload.install(500);

  await scheduler.runUntil(options.simulatedMs);
  let failure = scheduler.errors.length > 0 ? describe(scheduler.errors[0]) : undefined;
  // Convergence is eventual: the leader itself proposes entries at any time (session sweeps, TTL
  // expiry), and one committed just before the end reaches followers with the next heartbeat.
  // So the run goes on, quietly, until every partition has converged or CONVERGE_GRACE_MS passed.
  if (failure === undefined) {
    const graceEndMs = options.simulatedMs + CONVERGE_GRACE_MS;
    for (;;) {
      failure = await observer.unconverged(live(), options.partitions);
      if (failure === undefined || scheduler.nowMs >= graceEndMs) break;
      await scheduler.runUntil(Math.min(graceEndMs, scheduler.nowMs + 100));
      if (scheduler.errors.length > 0) {
        failure = describe(scheduler.errors[0]);
        break;
      }
    }
  }
  if (failure === undefined) failure = await flips.verify();
  if (failure === undefined && workload.unexpected.length > 0) failure = `client: unexpected failure ${workload.unexpected[0]} (${workload.unexpected.length} in all)`;
  if (failure === undefined) failure = await lostWrite(hosts, workload, flips);
  const history = recorder.records();
  if (failure === undefined) {
    const verdict = checkHistory(ringKvHistoryFromRecords(history), { timeoutMs: options.lincheckTimeoutMs ?? 20_000 });
    if (verdict.verdict === 'illegal') failure = `linearizability: the client history is not linearizable (keys ${verdict.keys.filter((k) => k.verdict === 'illegal').map((k) => k.key).join(', ')})`;
    else if (verdict.verdict === 'unknown') failure = 'linearizability: the check ran out of time (verdict unknown)';
  }
  if (failure === undefined) {
    const any = hosts.find((h) => h.process !== undefined)!.process!.store;
    for (let p = 0; p < options.partitions; p++) {
      const keysHere = keys.filter((k) => any.partitionOf(utf8Encode(k)) === p);
      if (keysHere.length > 0 && !keysHere.some((k) => (workload.acked.get(k)?.atMs ?? -1) >= faultEndMs)) {
        const replicas = hosts.flatMap((h) => {
          const st = h.process?.store.status().partitions.find((x) => x.partition === p);
          if (h.process === undefined) return [`node ${h.nodeId} down`];
          return st === undefined ? [] : [`node ${h.nodeId} ${st.quarantined === true ? 'QUARANTINED ' : ''}${st.role} term ${st.term} commit ${st.commit} applied ${st.applied}`];
        });
        failure = `liveness: partition ${p} committed no write in the ${LIVENESS_WINDOW_MS} ms after faults stopped (${replicas.join('; ')})`;
        break;
      }
    }
  }
  return {
    seed: options.seed,
    ok: failure === undefined,
    ...(failure === undefined ? {} : { failure }),
    simulatedMs: scheduler.nowMs,
    events: scheduler.eventCount,
    writesAcked: workload.stats.writesAcked,
    writesFailed: workload.stats.writesUnknown,
    clients: { ...workload.stats },
    api: { ...api.stats },
    observer: { ...observer.stats },
    kvFlips: { ...flips.counts },
    operations: history.length,
    faults: faults.counts,
    traceDigest: scheduler.traceDigest(),
  };
}

/**
 * Every acknowledged write is in the final state of every replica, or superseded by a later one
 * (a higher revision). A key whose last acknowledged write is a put may be absent only if a
 * delete of unknown outcome was sent for it.
 */
async function lostWrite(hosts: ReadonlyArray<NodeHost<StoreProcess>>, workload: ClientWorkload, flips: LiveKvFlips): Promise<string | undefined> {
  for (const [key, last] of workload.acked) {
    for (const h of hosts) {
      const p = h.process;
      if (p === undefined) continue;
      const keyBytes = utf8Encode(key);
      const partition = p.store.partitionOf(keyBytes);
      if (!(p.store.placement().groups[partition]?.replicas.includes(h.nodeId) ?? false)) continue;
      // A quarantined (or knowingly corrupt) replica is a dead one: its state is not the cluster's.
      if (p.store.status().partitions.some((s) => s.partition === partition && s.quarantined === true) || flips.mayBeCorrupt(h.nodeId, partition)) continue;
      const record = await p.kvEngine.get(groupId(partition), keyBytes);
      const what = last.kind === 'put' ? `${key} = ${last.value} at revision ${last.revision}` : `the delete of ${key} at revision ${last.revision}`;
      if (record === undefined) {
        if (last.kind === 'put' && !workload.maybeDeleted.has(key)) return `acknowledged write lost: ${what} is absent on replica ${h.nodeId}`;
        continue;
      }
      if (record.modRevision < last.revision || (last.kind === 'put' && record.modRevision === last.revision && record.value !== last.value)) {
        return `acknowledged write lost: ${what}, node ${h.nodeId} holds ${JSON.stringify(record.value)} at ${record.modRevision}`;
      }
    }
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
