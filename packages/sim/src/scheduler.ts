/**
 * The simulator's single source of time and order. Everything that "happens later" (timers,
 * message deliveries, disk completions, faults) is an event in one queue ordered by
 * (virtual time, insertion sequence). The run loop takes one event, runs it, then lets every
 * promise continuation and process.nextTick callback that event caused run to completion before
 * it takes the next: async code (engines awaiting abstract-level, the Store awaiting engines)
 * therefore interleaves exactly the same way on every run of a seed.
 *
 * Draining: Node runs the whole nextTick and microtask queues before any immediate, and the
 * simulated code never schedules real timers or I/O, so when a setImmediate fires the system is
 * quiescent. An immediate per event costs a turn of the event loop (an epoll_wait each), a tenth
 * of a cluster run's CPU, so the run loop drains through process.nextTick instead: Node runs
 * ticks only once V8's microtask queue is empty (every promise continuation, chained ones too),
 * so when the scheduler's tick runs, everything the event started has settled, provided nothing
 * else queued a tick meanwhile (a tick queued by anyone else may queue microtasks that would run
 * after the next event starts). The simulated code does not use nextTick; to keep that an
 * assumption that is checked rather than trusted, process.nextTick is counted while a run loop
 * is active, and an event during which anyone else queued a tick is drained by a setImmediate.
 * The scheduler test replays seeds and compares digests with the setImmediate-only drain.
 * No real time is ever read.
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

const TRACE_CHUNK_CHARS = 16_384;

/** Events between two full turns of the event loop. */
const YIELD_EVERY_EVENTS = 1024;

/** process.nextTick as Node defined it, and how many ticks others queued while a run loop was active. */
const nodeNextTick = process.nextTick;
let foreignTicks = 0;
let activeLoops = 0;

function countForeignTicks(...args: Parameters<typeof process.nextTick>): void {
  foreignTicks++;
  nodeNextTick(...args);
}

function beginLoop(): void {
  if (activeLoops++ === 0) process.nextTick = countForeignTicks;
}

function endLoop(): void {
  if (--activeLoops === 0 && process.nextTick === countForeignTicks) process.nextTick = nodeNextTick;
}

/**
 * Resolves once everything an event started has settled (see the header): through a nextTick
 * when nobody else queued a tick since `foreignTicksAtStart`, else through a setImmediate.
 */
function settle(foreignTicksAtStart: number, fullDrain: boolean): Promise<void> {
  if (fullDrain) return drainMicrotasks();
  return new Promise((resolve) => {
    nodeNextTick(() => {
      if (foreignTicks === foreignTicksAtStart) resolve();
      else setImmediate(resolve);
    });
  });
}

export interface SchedulerOptions {
  /** Drain every event with a setImmediate (the slower, assumption-free way); for tests. */
  readonly fullDrain?: boolean;
}

/** What a Scheduler built without options uses; tests flip it to replay whole runs both ways. */
export const schedulerDefaults: { fullDrain: boolean } = { fullDrain: false };

export class Scheduler {
  private readonly fullDrain: boolean;
  private readonly queue = new EventQueue();
  private readonly live = new Map<number, QueuedEvent>();
  private nowMsValue = 0;
  private nextSeq = 1;
  private eventsRun = 0;
  private readonly trace: Hash = createHash('sha256');
  /** Trace lines not yet hashed: hashing them in chunks costs one native call per ~16 KB rather
   *  than one per event (the digest of the concatenation is the same). */
  private traceTail = '';
  private readonly failures: unknown[] = [];
  private running = false;

  constructor(options: SchedulerOptions = {}) {
    this.fullDrain = options.fullDrain ?? schedulerDefaults.fullDrain;
  }

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
    this.appendTrace(`${this.nowMsValue}|${line}\n`);
  }

  private appendTrace(line: string): void {
    this.traceTail += line;
    if (this.traceTail.length >= TRACE_CHUNK_CHARS) {
      this.trace.update(this.traceTail);
      this.traceTail = '';
    }
  }

  /** The digest of everything run and recorded so far; equal digests mean identical runs. */
  traceDigest(): string {
    if (this.traceTail.length > 0) {
      this.trace.update(this.traceTail);
      this.traceTail = '';
    }
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
    beginLoop();
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
        this.appendTrace(`${next.timeMs}|${next.seq}|${next.label}\n`);
        events++;
        this.eventsRun++;
        const ticksAtStart = foreignTicks;
        try {
          next.run();
        } catch (err) {
          this.failures.push(err);
        }
        // Every so often a full turn of the event loop anyway, so the host's own timers and I/O
        // (a test runner's timeout, a parent process's messages) are not starved by a long run.
        await settle(ticksAtStart, this.fullDrain || events % YIELD_EVERY_EVENTS === 0);
      }
      if (this.failures.length === 0) this.nowMsValue = Math.max(this.nowMsValue, untilMs);
    } finally {
      this.running = false;
      endLoop();
    }
    return { events, simulatedMs: this.nowMsValue - startMs };
  }

  /** Reports an error found outside an event callback (e.g. a rejected promise the harness awaited). */
  fail(err: unknown): void {
    this.failures.push(err);
  }
}
