/**
 * One node's view of time, implementing stdx's Clock over the scheduler. Each node's clock runs
 * at its own rate (drift, in parts per million drawn from the seed), its wall clock starts at its
 * own offset and can jump (an NTP step, forwards or backwards), and a whole node can be paused
 * (a stop-the-world GC, a SIGSTOP): its timers due during the pause fire when it resumes.
 * A crashed node's clock is killed: its timers never fire and new ones are ignored, so the old
 * incarnation of a Store goes silent the instant it crashes.
 */
import { assert, type Clock, type TimerHandle } from '@ringkv/stdx';
import type { EventHandle, Scheduler } from './scheduler';

export interface SimClockOptions {
  /** Label used in the trace for this clock's timers, e.g. "n3#2" (node 3, second incarnation). */
  readonly label: string;
  /** Rate error in parts per million: +100 means this clock runs 0.01 % fast. */
  readonly driftPpm: number;
  /** Initial wall time (ms since the epoch). */
  readonly wallStartMs: number;
}

export class SimClock implements Clock {
  private readonly startSimMs: number;
  private readonly rate: number;
  private wallOffsetMs: number;
  private nextId = 1;
  private readonly timers = new Map<number, EventHandle>();
  private pausedUntilSimMs = -1;
  private alive = true;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly options: SimClockOptions,
  ) {
    assert(Math.abs(options.driftPpm) < 100_000, () => `clock drift ${options.driftPpm} ppm is not plausible`);
    this.startSimMs = scheduler.nowMs;
    this.rate = 1 + options.driftPpm / 1_000_000;
    this.wallOffsetMs = options.wallStartMs;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Local monotonic time: virtual time since this clock started, scaled by its drift. */
  nowMs(): number {
    return (this.scheduler.nowMs - this.startSimMs) * this.rate;
  }

  wallMs(): number {
    return Math.floor(this.wallOffsetMs + this.nowMs());
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    assert(Number.isFinite(delayMs), () => `timer delay must be finite, got ${delayMs}`);
    const id = this.nextId++;
    if (!this.alive) return { id };
    const simDelayMs = Math.max(0, delayMs) / this.rate;
    this.timers.set(id, this.scheduler.after(simDelayMs, `${this.options.label}.t`, () => this.fire(id, fn)));
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const event = this.timers.get(handle.id);
    if (event === undefined) return;
    this.scheduler.cancel(event);
    this.timers.delete(handle.id);
  }

  /** Steps the wall clock by `deltaMs` (may be negative); the monotonic clock is unaffected. */
  jumpWall(deltaMs: number): void {
    this.wallOffsetMs += deltaMs;
  }

  /** Freezes the node until virtual time `untilSimMs`: nothing of it runs before then. */
  pauseUntil(untilSimMs: number): void {
    this.pausedUntilSimMs = Math.max(this.pausedUntilSimMs, untilSimMs);
  }

  /** Virtual time at which a paused node runs again, or now if it is not paused. */
  resumeAtSimMs(): number {
    return Math.max(this.pausedUntilSimMs, this.scheduler.nowMs);
  }

  get isPaused(): boolean {
    return this.pausedUntilSimMs > this.scheduler.nowMs;
  }

  /** The node crashed: drop every timer, ignore new ones. */
  kill(): void {
    this.alive = false;
    for (const event of this.timers.values()) this.scheduler.cancel(event);
    this.timers.clear();
  }

  private fire(id: number, fn: () => void): void {
    if (!this.alive || !this.timers.has(id)) return;
    if (this.isPaused) {
      // Still pending: it fires when the node resumes, after timers that were due earlier.
      this.timers.set(id, this.scheduler.at(this.pausedUntilSimMs, `${this.options.label}.t`, () => this.fire(id, fn)));
      return;
    }
    this.timers.delete(id);
    fn();
  }
}
