/**
 * A watch as an async iterator. Events are buffered (bounded) between the subscription and the
 * consumer. The stream remembers the last revision it delivered per partition; after a retryable
 * failure (a dropped socket, a node gone) it subscribes again, to another replica if need be,
 * from where it can resume, and skips what it already delivered: the consumer sees each change
 * once and in order per partition.
 *
 * Where it resumes from: a key watch lives in one partition, so from its last revision + 1. A
 * key watch started "from now" first reads the key's partition revision, so even the changes made
 * before the first event are not lost on a reconnect. A prefix watch spans partitions whose
 * revisions are independent and the api takes one fromRevision for all of them, so it resumes
 * from its own fromRevision (replaying and skipping what it saw), or from the lowest
 * next revision once every partition has delivered something; a prefix watch started "from now"
 * has no safe point to resume from and ends with the error instead.
 */
import type { BackoffOptions } from './backoff';
import { backoffDelayMs } from './backoff';
import type { ClientEnvironment } from './environment';
import { abortReason } from './environment';
import { RingKVError } from './errors';
import { toRingKVError } from './retry';
import type { Router } from './router';
import type { ClientTransport, TransportSubscription } from './transport';
import type { WatchCursor, WatchEvent, WatchIterator, WatchPosition } from './types';
import { EventQueue, decodeWatchEvent } from './event-queue';
import type { WireKey } from './values';
import type { WireWatchEvent, WireWatchInput } from './wire';

/** Events held for a slow consumer before the watch ends with an error instead of growing. */
export const WATCH_BUFFER_MAX = 10_000;

export interface WatchStreamOptions {
  readonly transport: ClientTransport;
  readonly router: Router;
  readonly env: ClientEnvironment;
  readonly backoff: BackoffOptions;
  readonly target: { readonly key: WireKey } | { readonly prefix: WireKey };
  /** The key's partition (key watches with smart routing), else undefined. */
  readonly route: () => number | undefined;
  /** For a key watch started "from now": the partition revision now (a linearizable read). */
  readonly currentRevision?: (signal: AbortSignal) => Promise<number>;
  /** How many partitions exist, when known (to resume a prefix watch from the lowest point). */
  readonly partitionCount: () => number | undefined;
  readonly fromRevision?: number;
  readonly signal?: AbortSignal;
  readonly onEnd: (stream: WatchStream) => void;
}

export class WatchStream implements WatchIterator {
  /** Per partition, the revision after the last event handed to the consumer. */
  private readonly handedOut = new Map<number, number>();
  private readonly queue = new EventQueue<WatchEvent>(WATCH_BUFFER_MAX, (event) => {
    this.handedOut.set(event.partition, event.modRevision + 1);
    return event;
  });
  private subscription: TransportSubscription | undefined;
  /** Last revision delivered, per partition. */
  private readonly delivered = new Map<number, number>();
  /** Where this watch started (inclusive); undefined: "from now" with no known revision. */
  private startRevision: number | undefined;
  private retries = 0;
  private attempt = 0;
  private retryTimer: ReturnType<ClientEnvironment['clock']['setTimer']> | undefined;
  private readonly lifetime = new AbortController();
  private readonly onAbort = (): void => this.end(abortReason(this.options.signal!));

  constructor(private readonly options: WatchStreamOptions) {
    this.startRevision = options.fromRevision;
  }

  start(): void {
    if (this.options.signal?.aborted) {
      this.end(abortReason(this.options.signal));
      return;
    }
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (this.startRevision === undefined && this.options.currentRevision !== undefined) {
      this.options.currentRevision(this.lifetime.signal).then(
        (revision) => {
          if (this.done) return;
          this.startRevision = revision + 1;
          this.subscribe();
        },
        (error: unknown) => this.end(toRingKVError(error)),
      );
      return;
    }
    this.subscribe();
  }

  [Symbol.asyncIterator](): WatchIterator {
    return this;
  }

  /** Per partition that delivered something: resume after its last event (one key changes once per revision). */
  cursor(): WatchCursor | undefined {
    if (this.handedOut.size === 0) return undefined;
    const out: Record<number, WatchPosition> = {};
    for (const [p, next] of this.handedOut) out[p] = { fromRevision: next, skip: 0 };
    return out;
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    return this.queue.next();
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.end(undefined);
    this.queue.clear();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops the watch; a given error is delivered to the consumer after the buffered events. */
  end(error: RingKVError | undefined): void {
    if (this.done) return;
    this.queue.end(error);
    this.lifetime.abort();
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.retryTimer !== undefined) this.options.env.clock.clearTimer(this.retryTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.options.onEnd(this);
  }

  private get done(): boolean {
    return this.queue.ended;
  }

  /** The revision to subscribe from now; undefined: from now (first subscription only). */
  private resumeRevision(): number | undefined {
    if ('key' in this.options.target) {
      const last = this.delivered.values().next();
      return last.done === true ? this.startRevision : last.value + 1;
    }
    const count = this.options.partitionCount();
    if (count !== undefined && this.delivered.size >= count) return Math.min(...[...this.delivered.values()].map((r) => r + 1));
    return this.startRevision;
  }

  private canResume(): boolean {
    return this.startRevision !== undefined || ('key' in this.options.target && this.delivered.size > 0);
  }

  private subscribe(): void {
    const { router, transport } = this.options;
    const partition = this.options.route();
    const endpoint = router.pick(partition, this.attempt++);
    const fromRevision = this.resumeRevision();
    const input: WireWatchInput = { ...this.options.target, ...(fromRevision === undefined ? {} : { fromRevision }) };
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
        if (!error.retryable || !this.canResume()) {
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
    // After a resume the server replays from the resume point; skip what was delivered already.
    const last = this.delivered.get(wire.partition);
    if (last !== undefined && wire.modRevision <= last) return;
    this.delivered.set(wire.partition, wire.modRevision);
    if (!this.queue.push(decodeWatchEvent(wire))) {
      this.end(new RingKVError('TOO_LARGE', `the watch consumer fell ${WATCH_BUFFER_MAX} events behind; watch again from the revisions it saw`));
    }
  }
}
