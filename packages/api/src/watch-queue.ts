/**
 * A bounded queue between the Store's watch callbacks (push) and a tRPC subscription (an async
 * generator that pulls). A consumer that falls more than `capacity` events, or more than
 * `capacityBytes` of keys and values, behind is ended with UNAVAILABLE and the revision to resume
 * from, instead of letting memory grow without bound (10 000 events of 1 MiB values would be
 * 10 GiB held for one slow consumer).
 */
import { StoreError } from '@ringkv/multiraft';
import type { WatchEvent } from '@ringkv/multiraft';

export const WATCH_QUEUE_EVENTS_MAX = 10_000;
export const WATCH_QUEUE_BYTES_MAX = 64 * 1024 * 1024;

/** What an event holds in memory, roughly: its key and its value (a string counts 2 bytes a character). */
export function watchEventSizeBytes(event: WatchEvent): number {
  const v = event.value;
  const valueSize =
    v === undefined ? 0 : typeof v === 'string' ? 2 * v.length : v instanceof Uint8Array ? v.byteLength : 2 * (JSON.stringify(v) ?? '').length;
  return 64 + event.key.byteLength + valueSize;
}

export class WatchQueue {
  private readonly events: WatchEvent[] = [];
  private readonly sizes: number[] = [];
  private queuedBytes = 0;
  private failure: StoreError | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly capacity = WATCH_QUEUE_EVENTS_MAX,
    private readonly capacityBytes = WATCH_QUEUE_BYTES_MAX,
  ) {}

  push(event: WatchEvent): void {
    if (this.failure !== undefined) return;
    const size = watchEventSizeBytes(event);
    const tooMany = this.events.length >= this.capacity;
    // One event bigger than the whole bound still gets through an empty queue.
    const tooBig = this.events.length > 0 && this.queuedBytes + size > this.capacityBytes;
    if (tooMany || tooBig) {
      // The consumer still receives every queued event, then this error: the first change it
      // misses is this one.
      const what = tooMany ? `${this.capacity} events` : `${this.capacityBytes} bytes`;
      this.fail(
        new StoreError('UNAVAILABLE', `the watcher fell more than ${what} behind; resume from revision ${event.modRevision} of partition ${event.partition}`, {
          partition: event.partition,
        }),
      );
      return;
    }
    this.events.push(event);
    this.sizes.push(size);
    this.queuedBytes += size;
    this.notify();
  }

  fail(error: StoreError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.notify();
  }

  /** Yields events until the signal aborts (returns) or the queue fails (throws). */
  async *drain(signal: AbortSignal | undefined): AsyncGenerator<WatchEvent> {
    const onAbort = () => this.notify();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal?.aborted) return;
        const event = this.events.shift();
        if (event !== undefined) {
          this.queuedBytes -= this.sizes.shift()!;
          yield event;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
