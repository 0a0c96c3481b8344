/**
 * A watch as an async iterator. Events are buffered (bounded) between the subscription and the
 * consumer. A key watch that fails with a retryable error resubscribes after a jittered backoff
 * from the revision after the last one it delivered, so the consumer sees each change once and
 * in order; other failures end the iterator with the error.
 */
import type { BackoffOptions } from './backoff';
import { backoffDelayMs } from './backoff';
import type { ClientEnvironment } from './environment';
import { abortReason } from './environment';
import { RingKVError } from './errors';
import { toRingKVError } from './retry';
import type { Router } from './router';
import type { ClientTransport, TransportSubscription } from './transport';
import type { WatchEvent } from './types';
import { decodeKey, decodeValue } from './values';
import type { WireKey } from './values';
import type { WireWatchEvent } from './wire';

/** Events held for a slow consumer before the watch ends with an error instead of growing. */
export const WATCH_BUFFER_MAX = 10_000;

export interface WatchStreamOptions {
  readonly transport: ClientTransport;
  readonly router: Router;
  readonly env: ClientEnvironment;
  readonly backoff: BackoffOptions;
  readonly target: { readonly key: WireKey } | { readonly prefix: WireKey };
  readonly route: () => number | undefined;
  readonly resumable: boolean;
  readonly fromRevision?: number;
  readonly signal?: AbortSignal;
  readonly onEnd: (stream: WatchStream) => void;
}

export class WatchStream implements AsyncIterableIterator<WatchEvent> {
  private readonly buffer: WatchEvent[] = [];
  private pending: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: unknown) => void } | undefined;
  private subscription: TransportSubscription | undefined;
  private failure: RingKVError | undefined;
  private done = false;
  private lastRevision: number | undefined;
  private retries = 0;
  private attempt = 0;
  private retryTimer: ReturnType<ClientEnvironment['clock']['setTimer']> | undefined;
  private readonly onAbort = (): void => this.end(abortReason(this.options.signal!));

  constructor(private readonly options: WatchStreamOptions) {}

  start(): void {
    if (this.options.signal?.aborted) {
      this.end(abortReason(this.options.signal));
      return;
    }
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.subscribe();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.end(undefined);
    this.buffer.length = 0;
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops the watch; a given error is delivered to the consumer after the buffered events. */
  end(error: RingKVError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.retryTimer !== undefined) this.options.env.clock.clearTimer(this.retryTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.options.onEnd(this);
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) {
      this.failure = error;
      return;
    }
    if (error !== undefined) pending.reject(error);
    else pending.resolve({ value: undefined, done: true });
  }

  private subscribe(): void {
    const { router, transport } = this.options;
    const partition = this.options.route();
    const endpoint = router.pick(partition, this.attempt++);
    const fromRevision = this.lastRevision !== undefined ? this.lastRevision + 1 : this.options.fromRevision;
    const input = { ...this.options.target, ...(fromRevision === undefined ? {} : { fromRevision }) };
    let active = true;
    this.subscription = transport.subscribe(endpoint, 'kv.watch', input, {
      onData: (data) => {
        if (!active || this.done) return;
        this.retries = 0;
        this.deliver(data as WireWatchEvent);
      },
      onError: (raw) => {
        if (!active || this.done) return;
        active = false;
        const error = toRingKVError(raw);
        if (!this.options.resumable || !error.retryable) {
          this.end(error);
          return;
        }
        router.onFailure(partition, endpoint, error);
        const waitMs = backoffDelayMs(this.retries++, this.options.backoff, this.options.env.random);
        this.retryTimer = this.options.env.clock.setTimer(waitMs, () => {
          this.retryTimer = undefined;
          if (!this.done) this.subscribe();
        });
      },
      onComplete: () => {
        if (!active) return;
        active = false;
        this.end(undefined);
      },
    });
  }

  private deliver(wire: WireWatchEvent): void {
    // After a resume the server may repeat what was delivered already; skip it.
    if (this.options.resumable && this.lastRevision !== undefined && wire.modRevision <= this.lastRevision) return;
    if (this.options.resumable) this.lastRevision = wire.modRevision;
    const event: WatchEvent = {
      type: wire.type,
      partition: wire.partition,
      key: decodeKey(wire.key),
      ...(wire.value === undefined ? {} : { value: decodeValue(wire.value) }),
      version: wire.version,
      modRevision: wire.modRevision,
    };
    const pending = this.pending;
    if (pending !== undefined) {
      this.pending = undefined;
      pending.resolve({ value: event, done: false });
      return;
    }
    if (this.buffer.length >= WATCH_BUFFER_MAX) {
      this.end(new RingKVError('TOO_LARGE', `the watch consumer fell ${WATCH_BUFFER_MAX} events behind; resume from revision ${this.lastRevision ?? 'unknown'}`));
      return;
    }
    this.buffer.push(event);
  }
}
