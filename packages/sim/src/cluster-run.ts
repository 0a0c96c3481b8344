/**
 * One seeded run of the real Store: `nodes` machines hosting `partitions` Raft groups with
 * `replicationFactor` replicas each, under the fault schedule. Writers put to the leader of each
 * key's partition (as the placement says) and read them back; the run checks the Raft invariants every 200 ms
 * (RaftObserver, digests every second), that no acknowledged write is lost (the final state of
 * every key is its last acknowledged write or a later one), and liveness: within the last 10
 * simulated seconds (no faults) every partition has one leader, commits a write, and all its
 * replicas converge to one digest.
 *
 * Every client operation is recorded and the history checked for linearizability (lincheck).
 * The Store is loaded with a dynamic import so the rest of the simulator works while
 * packages/raft is still being written. Not yet covered: clients through the real SDK (needs a
 * simulated ClientTransport over the api router).
 */
import { groupId, nodeId, Prng, utf8Encode, type NodeId } from '@ringkv/stdx';
import type { ClusterConfig, Store } from '@ringkv/multiraft';
import { checkHistory, HistoryRecorder, ringKvHistoryFromRecords } from '@ringkv/lincheck';
import { openKvEngine, openLogEngine, type KvEngine } from '@ringkv/storage';
import { DEFAULT_FAULTS, FaultSchedule, type FaultCounts, type FaultOptions } from './fault-schedule';
import { NodeHost, type BootContext, type SimProcess } from './node-host';
import { LIVENESS_WINDOW_MS } from './probe-run';
import { RaftObserver, type ObservedReplica } from './raft-observer';
import { Scheduler } from './scheduler';
import { FAST_DISK } from './sim-disk';
import { SimNetwork } from './sim-network';

/** Client traffic stops this long before the end of a run, before convergence is checked. */
export const QUIESCE_MS = 2_000;

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
  readonly faults: FaultCounts;
  readonly traceDigest: string;
}

interface StoreProcess extends SimProcess {
  readonly store: Store;
  readonly kvEngine: KvEngine;
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
    nodes: ids.map((id) => ({ id, peerAddress: `sim://n${id}/peer`, apiAddress: `sim://n${id}/api` })),
    partitions: options.partitions,
    replicationFactor: options.replicationFactor,
  };
  const boot = async (ctx: BootContext): Promise<StoreProcess> => {
    const logEngine = await openLogEngine({ db: ctx.logDb });
    const kvEngine = await openKvEngine({ db: ctx.kvDb });
    const store = new StoreClass({ nodeId: ctx.nodeId, clock: ctx.clock, prng: ctx.prng, transport: ctx.transport, logEngine, kvEngine, cluster });
    await store.start();
    return { store, kvEngine, incarnation: ctx.incarnation, stop: () => store.stop() };
  };
  const hosts = ids.map((id) => new NodeHost<StoreProcess>(id, scheduler, network, root.fork(`node${id}`), boot, 1_750_000_000_000, FAST_DISK));
  const faultEndMs = Math.max(0, options.simulatedMs - LIVENESS_WINDOW_MS);
  // Bit flips hit the log only: the Store reads (and checksums) every log entry at boot, but reads
  // KV records and sessions lazily, where a detected flip surfaces as a CorruptionError at run
  // time, a path the Store does not handle yet (see the README).
  const faults = new FaultSchedule(scheduler, root.fork('faults'), network, hosts, { ...DEFAULT_FAULTS, ...options.faults, faultEndMs }, { log: () => true, kv: () => false });
  faults.install();

  const observer = new RaftObserver();
  const live = (): ObservedReplica[] =>
    hosts.flatMap((h) => {
      const p = h.process;
      if (p === undefined) return [];
      return [{ nodeId: h.nodeId, incarnation: p.incarnation, partitions: () => p.store.status().partitions, digest: (g: number) => p.kvEngine.digest(groupId(g)) }];
    });
  let observations = 0;
  const observe = (): void => {
    const compare = observations++ % 5 === 0;
    observer.observe(live(), compare).catch((err: unknown) => scheduler.fail(err));
    scheduler.after(200, 'observe', observe);
  };
  scheduler.after(200, 'observe', observe);

  // Clients: each does one operation at a time (a put of a fresh value or a linearizable get of
  // a random key) at the leader the placement names, and records it for lincheck. A failed
  // operation's outcome is unknown (a write may still commit), never assumed absent.
  const keyCount = options.keys ?? 256;
  const keys = Array.from({ length: keyCount }, (_, i) => `key-${i}`);
  const acked = new Map<string, { value: string; modRevision: number; atMs: number }>();
  const recorder = new HistoryRecorder(() => scheduler.nowMs);
  let writesAcked = 0;
  let writesFailed = 0;
  let valueSeq = 0;
  const clientCount = options.clients ?? 8;
  for (let c = 0; c < clientCount; c++) {
    const cprng = root.fork(`client${c}`);
    const clientId = `sim-client-${c}`;
    let seq = 0;
    // Clients stop QUIESCE_MS before the end so replicas can converge on one applied index.
    const next = (): void => {
      if (scheduler.nowMs < options.simulatedMs - QUIESCE_MS) scheduler.after(cprng.range(5, 40), `client${c}`, () => void step().finally(next));
    };
    const step = async (): Promise<void> => {
      const up = hosts.filter((h) => h.process !== undefined);
      if (up.length === 0) return;
      const via = cprng.pick(up).process!.store;
      const key = cprng.pick(keys);
      const keyBytes = utf8Encode(key);
      const leader = via.placement().groups[via.partitionOf(keyBytes)]?.leader ?? null;
      // Like the SDK: no leader known, or it is down, means wait and look again, not a doomed call.
      const target = leader === null ? undefined : hosts[leader - 1]?.process?.store;
      if (target === undefined) return;
      if (cprng.chance(0.5)) {
        const handle = recorder.callGet(clientId, key);
        try {
          const r = await target.get(keyBytes, { consistency: 'linearizable' });
          recorder.ok(handle, r.record === null ? { found: false } : { found: true, value: String(r.record.value), version: r.record.version });
        } catch {
          recorder.discard(handle);
        }
        return;
      }
      const value = `v${++valueSeq}`;
      const handle = recorder.callPut(clientId, key, { value });
      try {
        const r = await target.put({ key: keyBytes, value, session: { clientId, seq: ++seq } });
        recorder.ok(handle, { ok: true, version: r.version });
        writesAcked++;
        const before = acked.get(key);
        if (before === undefined || r.modRevision > before.modRevision) acked.set(key, { value, modRevision: r.modRevision, atMs: scheduler.nowMs });
      } catch {
        recorder.unknown(handle);
        writesFailed++;
      }
    };
    scheduler.after(500, `client${c}`, next);
  }

  await scheduler.runUntil(options.simulatedMs);
  let failure = scheduler.errors.length > 0 ? describe(scheduler.errors[0]) : undefined;
  if (failure === undefined) failure = await observer.unconverged(live(), options.partitions);
  if (failure === undefined) failure = await lostWrite(hosts, acked);
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
      if (keysHere.length > 0 && !keysHere.some((k) => (acked.get(k)?.atMs ?? -1) >= faultEndMs)) {
        failure = `liveness: partition ${p} committed no write in the ${LIVENESS_WINDOW_MS} ms after faults stopped`;
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
    writesAcked,
    writesFailed,
    operations: history.length,
    faults: faults.counts,
    traceDigest: scheduler.traceDigest(),
  };
}

/** Every acknowledged write is in the final state, or superseded by a later one (higher revision). */
async function lostWrite(hosts: ReadonlyArray<NodeHost<StoreProcess>>, acked: Map<string, { value: string; modRevision: number }>): Promise<string | undefined> {
  for (const [key, last] of acked) {
    for (const h of hosts) {
      const p = h.process;
      if (p === undefined) continue;
      const keyBytes = utf8Encode(key);
      const partition = p.store.partitionOf(keyBytes);
      if (!(p.store.placement().groups[partition]?.replicas.includes(h.nodeId) ?? false)) continue;
      const record = await p.kvEngine.get(groupId(partition), keyBytes);
      if (record === undefined) return `acknowledged write lost: ${key} = ${last.value} at revision ${last.modRevision} is absent on replica ${h.nodeId}`;
      if (record.modRevision < last.modRevision || (record.modRevision === last.modRevision && record.value !== last.value)) {
        return `acknowledged write lost: ${key} = ${last.value} at revision ${last.modRevision}, node ${h.nodeId} holds ${JSON.stringify(record.value)} at ${record.modRevision}`;
      }
    }
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
