/**
 * The simulator's single source of time and order. Everything that "happens later" (timers,
 * message deliveries, disk completions, faults) is an event in one queue ordered by
 * (virtual time, insertion sequence). The run loop takes one event, runs it, then lets every
 * promise continuation and process.nextTick callback that event caused run to completion before
 * it takes the next: async code (engines awaiting abstract-level, the Store awaiting engines)
 * therefore interleaves exactly the same way on every run of a seed.
 *
 * Draining uses one setImmediate per event: Node runs the whole nextTick and microtask queues
 * before any immediate, and the simulated code never schedules real timers or I/O, so when the
 * immediate fires the system is quiescent. No real time is ever read.
 */
import { createHash, type Hash } from 'node:crypto';
import { assert } from '@ringkv/stdx';
import { EventQueue, type QueuedEvent } from './event-queue';

export interface EventHandle {
  readonly seq: number;
}

export interface RunStats {
  readonly events: number;
  readonly simulatedMs: number;
}

/** Waits until every pending microtask and nextTick callback has run. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Scheduler {
  private readonly queue = new EventQueue();
  private readonly live = new Map<number, QueuedEvent>();
  private nowMsValue = 0;
  private nextSeq = 1;
  private eventsRun = 0;
  private readonly trace: Hash = createHash('sha256');
  private readonly failures: unknown[] = [];
  private running = false;

  /** Virtual milliseconds since the start of the run. */
  get nowMs(): number {
    return this.nowMsValue;
  }

  get eventCount(): number {
    return this.eventsRun;
  }

  get pendingCount(): number {
    return this.live.size;
  }

  /** Errors thrown by event callbacks (a broken invariant in simulated code); the run stops at the first. */
  get errors(): readonly unknown[] {
    return this.failures;
  }

  /** Runs `fn` at virtual time `nowMs + delayMs` (never earlier than now). */
  after(delayMs: number, label: string, fn: () => void): EventHandle {
    assert(Number.isFinite(delayMs), () => `event delay must be finite, got ${delayMs} (${label})`);
    return this.at(this.nowMsValue + Math.max(0, delayMs), label, fn);
  }

  at(timeMs: number, label: string, fn: () => void): EventHandle {
    const event: QueuedEvent = { timeMs: Math.max(timeMs, this.nowMsValue), seq: this.nextSeq++, label, run: fn, cancelled: false };
    this.queue.push(event);
    this.live.set(event.seq, event);
    return { seq: event.seq };
  }

  cancel(handle: EventHandle): void {
    const event = this.live.get(handle.seq);
    if (event === undefined) return;
    event.cancelled = true;
    this.live.delete(handle.seq);
  }

  /** Adds a record to the trace digest (what happened, in order), e.g. a delivered frame's hash. */
  record(line: string): void {
    this.trace.update(`${this.nowMsValue}|${line}\n`);
  }

  /** The digest of everything run and recorded so far; equal digests mean identical runs. */
  traceDigest(): string {
    return this.trace.copy().digest('hex');
  }

  /**
   * Runs events in order until virtual time would pass `untilMs` (time is then set to untilMs),
   * the queue is empty, or an event throws. Returns how many events ran.
   */
  async runUntil(untilMs: number): Promise<RunStats> {
    assert(!this.running, 'Scheduler.runUntil is not reentrant');
    this.running = true;
    const startMs = this.nowMsValue;
    let events = 0;
    try {
      await drainMicrotasks();
      for (;;) {
        if (this.failures.length > 0) break;
        const next = this.queue.peek();
        if (next === undefined || next.timeMs > untilMs) break;
        this.queue.pop();
        if (next.cancelled) continue;
        this.live.delete(next.seq);
        this.nowMsValue = next.timeMs;
        this.trace.update(`${next.timeMs}|${next.seq}|${next.label}\n`);
        events++;
        this.eventsRun++;
        try {
          next.run();
        } catch (err) {
          this.failures.push(err);
        }
        await drainMicrotasks();
      }
      if (this.failures.length === 0) this.nowMsValue = Math.max(this.nowMsValue, untilMs);
    } finally {
      this.running = false;
    }
    return { events, simulatedMs: this.nowMsValue - startMs };
  }

  /** Reports an error found outside an event callback (e.g. a rejected promise the harness awaited). */
  fail(err: unknown): void {
    this.failures.push(err);
  }
}
