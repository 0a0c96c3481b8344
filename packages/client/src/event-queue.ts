/**
 * The consumer side of a watch, shared by the key watch (watch.ts) and the fanned-out prefix
 * watch (prefix-watch.ts): events wait in a bounded buffer until next() takes them, a waiting
 * next() gets the next one directly, and the end (or a failure) reaches the consumer after the
 * buffered events. `take` turns a queued item into the event handed out and records how far the
 * consumer got (for cursors), at the moment it is handed out.
 */
import type { RingKVError } from './errors';
import type { WatchEvent } from './types';
import { decodeKey, decodeValue } from './values';
import type { WireWatchEvent } from './wire';

export class EventQueue<T> {
  private readonly buffer: T[] = [];
  private pending: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: unknown) => void } | undefined;
  private failure: RingKVError | undefined;
  private endedFlag = false;

  constructor(
    private readonly capacity: number,
    private readonly take: (item: T) => WatchEvent,
  ) {}

  get ended(): boolean {
    return this.endedFlag;
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    const item = this.buffer.shift();
    if (item !== undefined) return Promise.resolve({ value: this.take(item), done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.endedFlag) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  /** Queues an item (or hands it to a waiting next()); false when the buffer is full. */
  push(item: T): boolean {
    const pending = this.pending;
    if (pending !== undefined) {
      this.pending = undefined;
      pending.resolve({ value: this.take(item), done: false });
      return true;
    }
    if (this.buffer.length >= this.capacity) return false;
    this.buffer.push(item);
    return true;
  }

  /** No more items; a given error reaches the consumer after the buffered ones. Once only. */
  end(error: RingKVError | undefined): void {
    if (this.endedFlag) return;
    this.endedFlag = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) {
      this.failure = error;
      return;
    }
    if (error !== undefined) pending.reject(error);
    else pending.resolve({ value: undefined, done: true });
  }

  /** The consumer left (return()): what is buffered, and a pending failure, are dropped. */
  clear(): void {
    this.buffer.length = 0;
    this.failure = undefined;
  }
}

/** A watch event as the server sent it, decoded for the consumer. */
export function decodeWatchEvent(wire: WireWatchEvent): WatchEvent {
  return {
    type: wire.type,
    partition: wire.partition,
    key: decodeKey(wire.key),
    ...(wire.value === undefined ? {} : { value: decodeValue(wire.value) }),
    version: wire.version,
    modRevision: wire.modRevision,
  };
}
