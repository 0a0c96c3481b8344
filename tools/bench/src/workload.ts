/**
 * The load loop both stores run: N workers, each with one request in flight at a time, for a
 * fixed duration after a warm-up; every request's latency goes into an HDR histogram (in
 * microseconds, 3 significant digits). Throughput counts completed operations only; failed ones
 * are counted apart and do not enter the histogram.
 */
import * as hdr from 'hdr-histogram-js';

export type Operation = (worker: number, iteration: number) => Promise<void>;

export interface WorkloadOptions {
  readonly workers: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

export interface WorkloadResult {
  readonly ops: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly firstError?: string;
}

export async function runWorkload(options: WorkloadOptions, operation: Operation): Promise<WorkloadResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;

  const worker = async (w: number): Promise<void> => {
    for (let i = 0; ; i++) {
      const t0 = performance.now();
      if (t0 >= stopAt) return;
      try {
        await operation(w, i);
        const t1 = performance.now();
        if (t0 >= measureFrom && t1 <= stopAt) {
          ops++;
          histogram.recordValue(Math.max(1, Math.round((t1 - t0) * 1000)));
        }
      } catch (error) {
        if (t0 >= measureFrom) errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
  const elapsedMs = options.durationMs;
  const result: WorkloadResult = {
    ops,
    errors,
    elapsedMs,
    opsPerSec: (ops / elapsedMs) * 1000,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    maxMs: histogram.maxValue / 1000,
    ...(firstError === undefined ? {} : { firstError }),
  };
  histogram.destroy();
  return result;
}
