/**
 * A bounded queue between the Store's watch callbacks (push) and a tRPC subscription (an async
 * generator that pulls). A consumer that falls more than `capacity` events behind is ended with
 * UNAVAILABLE and the revision to resume from, instead of letting memory grow without bound.
 */
import { StoreError } from '@ringkv/multiraft';
import type { WatchEvent } from '@ringkv/multiraft';

export const WATCH_QUEUE_EVENTS_MAX = 10_000;

export class WatchQueue {
  private readonly events: WatchEvent[] = [];
  private failure: StoreError | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly capacity = WATCH_QUEUE_EVENTS_MAX) {}

  push(event: WatchEvent): void {
    if (this.failure !== undefined) return;
    if (this.events.length >= this.capacity) {
      const first = this.events[0]!;
      this.fail(
        new StoreError('UNAVAILABLE', `the watcher fell more than ${this.capacity} events behind; resume from revision ${first.modRevision} of partition ${first.partition}`, {
          partition: first.partition,
        }),
      );
      return;
    }
    this.events.push(event);
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
