/**
 * A prefix watch over a whole cluster, whatever each node hosts: one subscription per partition,
 * each to a replica of that partition (the leader when known, following the placement and
 * NOT_LEADER hints), merged into one async iterator. Order holds within a partition; partitions
 * interleave as their events arrive (their revisions are independent: each is its own Raft log).
 *
 * Each partition keeps its own position (revision, and events of that revision already handed
 * out), so a subscription that fails (a node gone, a socket dropped) is made again, to another
 * replica if need be, from exactly there: nothing lost, nothing repeated. A watch "from now"
 * first reads each partition's revision (a linearizable read), so it can resume from the start.
 * cursor() exposes the positions, to resume in a later watch.
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
import { WATCH_BUFFER_MAX } from './watch';
import type { WireWatchEvent, WireWatchInput } from './wire';

export interface PrefixWatchOptions {
  readonly transport: ClientTransport;
  readonly router: Router;
  readonly env: ClientEnvironment;
  readonly backoff: BackoffOptions;
  readonly prefix: WireKey;
  readonly fromRevision?: number;
  readonly cursor?: WatchCursor;
  /** The partition's revision now (a linearizable read), for partitions watched "from now". */
  readonly currentRevision: (partition: number, signal: AbortSignal) => Promise<number>;
  readonly signal?: AbortSignal;
  readonly onEnd: (stream: PrefixWatchStream) => void;
}

interface Feed {
  readonly partition: number;
  position: WatchPosition;
  subscription: TransportSubscription | undefined;
  attempt: number;
  retries: number;
  retryTimer: ReturnType<ClientEnvironment['clock']['setTimer']> | undefined;
  /** Endpoints that answered NOT_LEADER (they host no replica): not tried again first. */
  readonly refused: Set<string>;
  /** Endpoints whose history did not reach back to this partition's position (COMPACTED). */
  readonly compactedOn: Set<string>;
}

export class PrefixWatchStream implements WatchIterator {
  /** Per partition, the position after the last event handed to the consumer (what cursor() tells). */
  private readonly handedOut = new Map<number, WatchPosition>();
  private readonly queue = new EventQueue<{ event: WatchEvent; position: WatchPosition }>(WATCH_BUFFER_MAX, ({ event, position }) => {
    this.handedOut.set(event.partition, position);
    return event;
  });
  private readonly feeds = new Map<number, Feed>();
  private readonly lifetime = new AbortController();
  private readonly onAbort = (): void => this.end(abortReason(this.options.signal!));

  constructor(private readonly options: PrefixWatchOptions) {}

  start(): void {
    if (this.options.signal?.aborted) {
      this.end(abortReason(this.options.signal));
      return;
    }
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.open().catch((error: unknown) => this.end(toRingKVError(error)));
  }

  [Symbol.asyncIterator](): WatchIterator {
    return this;
  }

  cursor(): WatchCursor | undefined {
    if (this.handedOut.size === 0) return undefined;
    const out: Record<number, WatchPosition> = {};
    for (const [p, position] of this.handedOut) out[p] = { ...position };
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

  /** Stops every partition's subscription; a given error reaches the consumer after the buffered events. */
  end(error: RingKVError | undefined): void {
    if (this.done) return;
    this.queue.end(error);
    this.lifetime.abort();
    for (const feed of this.feeds.values()) {
      feed.subscription?.unsubscribe();
      feed.subscription = undefined;
      if (feed.retryTimer !== undefined) this.options.env.clock.clearTimer(feed.retryTimer);
    }
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.options.onEnd(this);
  }

  private get done(): boolean {
    return this.queue.ended;
  }

  /** Loads the placement, fixes every partition's starting position, then subscribes to each. */
  private async open(): Promise<void> {
    const { router, cursor, fromRevision } = this.options;
    await router.refreshIfWanted();
    const placement = router.currentPlacement();
    if (placement === undefined) {
      throw new RingKVError('UNAVAILABLE', 'no node answered with the cluster placement, which a prefix watch needs to reach every partition; check the endpoints');
    }
    const partitions = placement.partitions;
    for (const key of Object.keys(cursor ?? {})) {
      const p = Number(key);
      const position = cursor![p]!;
      if (!Number.isInteger(p) || p < 0 || p >= partitions || !Number.isSafeInteger(position.fromRevision) || position.fromRevision < 1 || !Number.isSafeInteger(position.skip) || position.skip < 0) {
        throw new RingKVError('BAD_REQUEST', `the watch cursor's entry for partition ${key} is malformed or names a partition the cluster (${partitions} partitions) does not have`);
      }
    }
    const starts = await Promise.all(
      Array.from({ length: partitions }, async (_, p): Promise<WatchPosition> => {
        const given = cursor?.[p];
        if (given !== undefined) return { fromRevision: given.fromRevision, skip: given.skip };
        if (fromRevision !== undefined) return { fromRevision, skip: 0 };
        return { fromRevision: (await this.options.currentRevision(p, this.lifetime.signal)) + 1, skip: 0 };
      }),
    );
    if (this.done) return;
    starts.forEach((position, partition) => {
      const feed: Feed = { partition, position, subscription: undefined, attempt: 0, retries: 0, retryTimer: undefined, refused: new Set(), compactedOn: new Set() };
      this.feeds.set(partition, feed);
      this.handedOut.set(partition, position);
      this.subscribe(feed);
    });
  }

  private subscribe(feed: Feed): void {
    const { router, transport } = this.options;
    const endpoint = router.pick(feed.partition, feed.attempt++, false, feed.refused);
    const input: WireWatchInput = { prefix: this.options.prefix, partition: feed.partition, fromRevision: feed.position.fromRevision };
    let active = true;
    // Events of one revision this subscription has passed on or skipped, to skip the replayed ones.
    let atRevision = 0;
    let seenAtRevision = 0;
    feed.subscription = transport.subscribe(endpoint, 'kv.watch', input, {
      onData: (data) => {
        if (!active || this.done) return;
        feed.retries = 0;
        const wire = data as WireWatchEvent;
        const revision = wire.modRevision;
        if (revision < feed.position.fromRevision) return;
        if (revision !== atRevision) {
          atRevision = revision;
          seenAtRevision = 0;
        }
        seenAtRevision++;
        if (revision === feed.position.fromRevision && seenAtRevision <= feed.position.skip) return;
        feed.compactedOn.clear();
        feed.position = { fromRevision: revision, skip: seenAtRevision };
        this.push(wire, feed.position);
      },
      onError: (raw) => {
        if (!active || this.done) return;
        active = false;
        feed.subscription = undefined;
        const error = toRingKVError(raw);
        if (error.code === 'COMPACTED' && this.anotherReplicaMayHaveIt(feed, endpoint)) {
          // Replicas keep histories of different lengths (one that restarted keeps only what it
          // applied since): another may still reach back to this position.
          this.retry(feed, 0);
          return;
        }
        if (!error.retryable) {
          this.end(error);
          return;
        }
        if (error.code === 'NOT_LEADER') feed.refused.add(endpoint);
        const hinted = router.onFailure(feed.partition, endpoint, error, feed.refused);
        this.retry(feed, hinted ? 0 : backoffDelayMs(feed.retries++, this.options.backoff, this.options.env.random));
      },
      onComplete: () => {
        // The node ended the subscription (it is stopping): carry on elsewhere.
        if (!active || this.done) return;
        active = false;
        feed.subscription = undefined;
        this.retry(feed, backoffDelayMs(feed.retries++, this.options.backoff, this.options.env.random));
      },
    });
  }

  private anotherReplicaMayHaveIt(feed: Feed, endpoint: string): boolean {
    feed.compactedOn.add(endpoint);
    feed.refused.add(endpoint);
    const placement = this.options.router.currentPlacement();
    const replicas = placement?.replicasOf(feed.partition).map((r) => placement.addressOf(r)) ?? [];
    return replicas.some((address) => address !== undefined && !feed.compactedOn.has(address));
  }

  private retry(feed: Feed, waitMs: number): void {
    // Every replica refused: the placement is stale; try them all again once it reloads.
    if (feed.refused.size >= Math.max(1, this.options.router.currentPlacement()?.replicasOf(feed.partition).length ?? 1)) feed.refused.clear();
    feed.retryTimer = this.options.env.clock.setTimer(waitMs, () => {
      feed.retryTimer = undefined;
      if (this.done) return;
      Promise.resolve(this.options.router.refreshIfWanted()).then(
        () => {
          if (!this.done) this.subscribe(feed);
        },
        () => {
          if (!this.done) this.subscribe(feed);
        },
      );
    });
  }

  private push(wire: WireWatchEvent, position: WatchPosition): void {
    if (!this.queue.push({ event: decodeWatchEvent(wire), position })) {
      this.end(new RingKVError('TOO_LARGE', `the watch consumer fell ${WATCH_BUFFER_MAX} events behind; watch again from its cursor()`));
    }
  }
}
