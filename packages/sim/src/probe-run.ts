/**
 * One seeded run of the durability probe on a simulated cluster: build the machines, install the
 * fault schedule, run the fault phase and the liveness phase, then check liveness. Everything
 * random comes from `new Prng(seed)` forked per component.
 */
import { nodeId, Prng, type NodeId } from '@ringkv/stdx';
import { DurabilityProbe, newProbeOracle } from './durability-probe';
import { DEFAULT_FAULTS, FaultSchedule, type FaultCounts, type FaultOptions } from './fault-schedule';
import { NodeHost } from './node-host';
import { Scheduler } from './scheduler';
import { SimNetwork } from './sim-network';
import { FAST_DISK, type DiskFaults } from './sim-disk';

export const LIVENESS_WINDOW_MS = 10_000;

export interface ProbeRunOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Total simulated time: a fault phase, then the last LIVENESS_WINDOW_MS with no faults. */
  readonly simulatedMs: number;
  readonly faults?: Partial<FaultOptions>;
  /** The disks' standing behaviour (the schedule adds slow stretches on top); tests use fsyncLies. */
  readonly disk?: DiskFaults;
  /** Cuts this node off for good once the liveness phase starts: only for proving the liveness
   *  checker fails when it should. */
  readonly isolate?: number;
}

export interface ProbeRunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly simulatedMs: number;
  readonly events: number;
  readonly appends: number;
  readonly boots: number;
  readonly faults: FaultCounts;
  readonly network: { sent: number; delivered: number; dropped: number; duplicated: number; cut: number };
  readonly traceDigest: string;
}

export async function runProbe(options: ProbeRunOptions): Promise<ProbeRunResult> {
  const root = new Prng(options.seed);
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, root.fork('net'));
  const oracle = newProbeOracle();
  const ids: NodeId[] = Array.from({ length: options.nodes }, (_, i) => nodeId(i + 1));
  const hosts = ids.map(
    (id) =>
      new NodeHost(id, scheduler, network, root.fork(`node${id}`), (ctx) => DurabilityProbe.boot(ctx, oracle, ids.filter((p) => p !== id), () => scheduler.nowMs), 1_750_000_000_000, options.disk ?? FAST_DISK),
  );
  const faultEndMs = Math.max(0, options.simulatedMs - LIVENESS_WINDOW_MS);
  const faults = new FaultSchedule(scheduler, root.fork('faults'), network, hosts, { ...DEFAULT_FAULTS, ...options.faults, faultEndMs });
  faults.install();
  const isolate = options.isolate;
  if (isolate !== undefined) {
    scheduler.at(faultEndMs + 1, 'isolate', () => network.partition([[nodeId(isolate)], ids.filter((id) => id !== isolate)]));
  }
  await scheduler.runUntil(options.simulatedMs);

  let failure = scheduler.errors.length > 0 ? describe(scheduler.errors[0]) : undefined;
  if (failure === undefined) failure = checkLiveness(hosts, oracle.lastPongMs, ids, faultEndMs);
  if (failure === undefined && faults.pendingFlips > 0) failure = `${faults.pendingFlips} flipped bit(s) never read back`;
  // Processes are not stopped: a write may be pending on a disk event that will never run, and
  // close() would wait for it. The whole cluster is garbage once the result is taken.
  return {
    seed: options.seed,
    ok: failure === undefined,
    ...(failure === undefined ? {} : { failure }),
    simulatedMs: scheduler.nowMs,
    events: scheduler.eventCount,
    appends: oracle.appends,
    boots: oracle.boots,
    faults: faults.counts,
    network: { ...network.stats },
    traceDigest: scheduler.traceDigest(),
  };
}

/** Within the liveness window every node is up and has heard a pong from every peer since faults stopped. */
function checkLiveness(hosts: ReadonlyArray<NodeHost<DurabilityProbe>>, lastPongMs: Map<string, number>, ids: readonly NodeId[], faultEndMs: number): string | undefined {
  for (const h of hosts) if (!h.isUp) return `liveness: node ${h.nodeId} is not up ${LIVENESS_WINDOW_MS} ms after faults stopped`;
  for (const a of ids) {
    for (const b of ids) {
      if (a === b) continue;
      const at = lastPongMs.get(`${a}<${b}`) ?? -1;
      if (at < faultEndMs) return `liveness: node ${a} heard no pong from node ${b} after faults stopped`;
    }
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
