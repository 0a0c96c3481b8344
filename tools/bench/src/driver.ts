import type { GcTotals } from './gc-trace';

/** What the load loop needs from a store: one put and one linearizable get. */
export interface KvDriver {
  readonly name: string;
  put(key: string, value: string): Promise<void>;
  /** A linearizable read. */
  get(key: string): Promise<void>;
  close(): Promise<void>;
  /** The store's server processes, to report the CPU they spend per operation. */
  readonly serverPids?: readonly number[];
  /** The nodes' HTTP endpoints, to read their own counters around each workload (RingKV only). */
  readonly metricsEndpoints?: readonly string[];
  /** The nodes' scavenges so far, summed, when they run with --trace-gc-nvp (`--gc-trace`). */
  readonly gcTotals?: () => GcTotals;
}
