/**
 * createClient's options and the wiring both entries share: the tRPC WebSocket transport, the
 * real clock and a crypto-seeded PRNG unless the caller injects its own (tests, the simulator).
 */
import type { BackoffOptions } from './backoff';
import { RingKVClient } from './client';
import type { ClientEnvironment } from './environment';
import { realEnvironment } from './environment';
import type { PartitionerFactory, RouterOptions } from './router';
import type { ClientTransport } from './transport';
import type { WebSocketClass } from './trpc-transport';
import { TrpcTransport } from './trpc-transport';

export interface ClientOptions {
  /** Seed nodes as "host:port" (or ws:// URLs); one is enough, the placement names the rest. */
  readonly endpoints: readonly string[];
  /** Overall time for one operation, retries included. Default 10 000 ms. */
  readonly deadlineMs?: number;
  /** Time one attempt may take before the next is tried. Default 3 000 ms. */
  readonly attemptTimeoutMs?: number;
  /** How many writes may be in flight at once (one session each). Default 64. */
  readonly concurrency?: number;
  /** Retry waits: the n-th waits uniformly up to min(capMs, baseMs * 2^n). Default 10 / 1 000 ms. */
  readonly backoff?: BackoffOptions;
  readonly router?: Partial<RouterOptions>;
  /** Replaces the WebSocket transport (the simulator passes its simulated network). */
  readonly transport?: ClientTransport;
  /** Replaces the real clock and randomness (the simulator passes virtual ones). */
  readonly environment?: ClientEnvironment;
}

export function createClientWith(
  options: ClientOptions,
  platform: { readonly WebSocket: WebSocketClass | undefined; readonly partitioner: PartitionerFactory | undefined },
): RingKVClient {
  let transport = options.transport;
  if (transport === undefined) {
    if (platform.WebSocket === undefined) {
      throw new TypeError('no WebSocket implementation: pass `transport`, or run where globalThis.WebSocket exists');
    }
    transport = new TrpcTransport({ WebSocket: platform.WebSocket });
  }
  return new RingKVClient({
    endpoints: options.endpoints,
    transport,
    environment: options.environment ?? realEnvironment(),
    ...(platform.partitioner === undefined ? {} : { partitioner: platform.partitioner }),
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.router === undefined ? {} : { router: options.router }),
  });
}
