/** The three workloads of the comparison, defined once and run the same way on each store. */
import { KEY_BYTES, keyAt, makeValue, workerRandoms } from './data';
import type { KvDriver } from './driver';
import type { WorkloadOptions, WorkloadResult } from './workload';
import { monotonicUs } from './cpu-profile';
import { cpuSecondsOf } from './proc-cpu';
import { runWorkload } from './workload';
import { describeCounters, snapshotCounters } from './server-counters';
import { describeGc } from './gc-trace';

export const WORKLOADS = ['put', 'get (linearizable)', 'mix 50/50'] as const;

export interface BenchConfig extends WorkloadOptions {
  /** Keys are drawn uniformly from this many. */
  readonly keySpace: number;
  readonly seed: number;
  /** Bytes in every value written (ASCII). */
  readonly valueBytes: number;
  /** Run only the workloads whose names start with one of these (all when absent). */
  readonly only?: readonly string[];
  /** Print each workload's measured window in CPU-profile time (the nodes run with --cpu-prof). */
  readonly reportProfileWindow?: boolean;
}

/** Writes every key once so reads find data (not measured). */
export async function preload(driver: KvDriver, config: BenchConfig): Promise<void> {
  const random = workerRandoms(config.seed, 1)[0]!;
  let next = 0;
  await Promise.all(
    Array.from({ length: config.workers }, async () => {
      while (next < config.keySpace) {
        const index = next++;
        await driver.put(keyAt(index), makeValue(random, config.valueBytes));
      }
    }),
  );
}

export async function runAll(driver: KvDriver, config: BenchConfig, log: (line: string) => void): Promise<Map<string, WorkloadResult>> {
  const results = new Map<string, WorkloadResult>();
  const randoms = workerRandoms(config.seed, config.workers);
  const values = randoms.map((r) => makeValue(r, config.valueBytes));
  const pickKey = (w: number): string => keyAt(randoms[w]!.int(config.keySpace));
  const ops: Record<(typeof WORKLOADS)[number], (w: number) => Promise<void>> = {
    put: (w) => driver.put(pickKey(w), values[w]!),
    'get (linearizable)': (w) => driver.get(pickKey(w)),
    'mix 50/50': (w) => (randoms[w]!.next() < 0.5 ? driver.put(pickKey(w), values[w]!) : driver.get(pickKey(w))),
  };
  log(`${driver.name}: preloading ${config.keySpace} keys (${KEY_BYTES}-byte keys, ${config.valueBytes}-byte values)`);
  await preload(driver, config);
  for (const workload of WORKLOADS) {
    if (config.only !== undefined && !config.only.some((prefix) => workload.startsWith(prefix))) continue;
    // Scraped before the CPU baselines, so rendering /metrics is not charged to the workload.
    const endpoints = driver.metricsEndpoints;
    const countersBefore = endpoints === undefined ? undefined : await snapshotCounters(endpoints);
    const gcBefore = driver.gcTotals?.();
    const cpuBefore = process.cpuUsage();
    const serverCpuBefore = cpuSecondsOf(driver.serverPids ?? []);
    const windowStartUs = monotonicUs();
    const result = await runWorkload(config, (w) => ops[workload](w));
    // For `npm run profile` (src/profile.ts) when the nodes run with --cpu-prof: the measured
    // window after warm-up, in the profiles' clock.
    if (config.reportProfileWindow === true) log(`${driver.name}: ${workload}: profile window (monotonic µs) --from ${windowStartUs + config.warmupMs * 1000} --to ${monotonicUs()}`);
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = config.durationMs + config.warmupMs;
    const loadGeneratorCpu = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
    // Server CPU over the whole workload (warm-up included) per operation measured after warm-up:
    // an estimate, good for comparing stores and commits within one run.
    const serverCpuMs = (cpuSecondsOf(driver.serverPids ?? []) - serverCpuBefore) * 1000;
    const opsInWindow = result.opsPerSec * (wallMs / 1000);
    const serverCpu = driver.serverPids === undefined ? '' : `, servers CPU ${((serverCpuMs / wallMs) * 100).toFixed(0)}% (~${(opsInWindow > 0 ? (serverCpuMs * 1000) / opsInWindow : 0).toFixed(0)} µs/op)`;
    // ab-report.ts reads this line (and the nodes line after it) back, from any revision's bench.
    log(
      `${driver.name}: ${workload}: ${result.opsPerSec.toFixed(0)} ops/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, errors ${result.errors}, client process CPU ${loadGeneratorCpu.toFixed(0)}%${serverCpu}` +
        (result.firstError === undefined ? '' : ` (first: ${result.firstError})`),
    );
    if (endpoints !== undefined && countersBefore !== undefined) log(`${driver.name}: ${workload}: nodes: ${describeCounters(countersBefore, await snapshotCounters(endpoints), opsInWindow)}`);
    // Like the server CPU: over the whole workload (warm-up included), per operation of its rate.
    if (driver.gcTotals !== undefined && gcBefore !== undefined) {
      log(`${driver.name}: ${workload}: gc: ${describeGc(gcBefore, driver.gcTotals(), opsInWindow, driver.serverPids?.length ?? 1)}`);
    }
    results.set(workload, result);
  }
  return results;
}
