/**
 * The attempts' timeouts on one clock timer instead of one each. Every attempt of every operation
 * gets a timeout, nearly always the same length, and nearly every one is cancelled a few
 * milliseconds later when its answer comes: a clock timer each (a closure, a Node Timeout in its
 * timer list, then clearing it) was ~10 % of the SDK's CPU under puts at 64 workers (perf,
 * 2026-12-06).
 *
 * Deadlines added in non-decreasing order wait in a queue in that order, and one clock timer is
 * armed for the earliest: when it fires, the due ones fire in order and it is armed for the next.
 * A cancelled deadline is only marked; cancelled ones leave from the front at once (answers come
 * back roughly in order, so the queue holds about the operations in flight). A deadline earlier
 * than the last one queued (an attempt cut short by its operation's overall deadline) gets a
 * clock timer of its own. Time comes from the given clock, so the simulator's virtual clock
 * drives it as it drives everything else.
 */
import type { Clock, TimerHandle } from '@ringkv/stdx';

export interface Deadline {
  /** When it fires, by the clock's nowMs. */
  readonly atMs: number;
  cancelled: boolean;
  readonly fire: () => void;
  /** A clock timer of its own (out of order); undefined when queued. */
  own: TimerHandle | undefined;
}

/** Below this many settled entries at the front, the queue's array is not compacted. */
const COMPACT_MIN = 1024;

export class DeadlineQueue {
  private entries: Deadline[] = [];
  private head = 0;
  private timer: TimerHandle | undefined = undefined;

  constructor(private readonly clock: Clock) {}

  /** Calls `fire` once `delayMs` have passed, unless cancelled first. */
  add(delayMs: number, fire: () => void): Deadline {
    const atMs = this.clock.nowMs() + Math.max(0, delayMs);
    const deadline: Deadline = { atMs, cancelled: false, fire, own: undefined };
    const last = this.entries.length > this.head ? this.entries[this.entries.length - 1]! : undefined;
    if (last !== undefined && atMs < last.atMs) {
      deadline.own = this.clock.setTimer(delayMs, () => {
        if (!deadline.cancelled) {
          deadline.cancelled = true;
          fire();
        }
      });
      return deadline;
    }
    this.entries.push(deadline);
    if (this.timer === undefined) this.arm();
    return deadline;
  }

  cancel(deadline: Deadline): void {
    if (deadline.cancelled) return;
    deadline.cancelled = true;
    if (deadline.own !== undefined) {
      this.clock.clearTimer(deadline.own);
      return;
    }
    this.dropSettled();
    if (this.head === this.entries.length && this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  /** Deadlines queued and not yet fired or cancelled, at most (cancelled ones may linger behind a live one). */
  get size(): number {
    return this.entries.length - this.head;
  }

  private arm(): void {
    const first = this.entries[this.head]!;
    this.timer = this.clock.setTimer(first.atMs - this.clock.nowMs(), () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.clock.nowMs();
    while (this.head < this.entries.length) {
      const d = this.entries[this.head]!;
      if (!d.cancelled && d.atMs > now) break;
      this.head++;
      if (!d.cancelled) {
        d.cancelled = true;
        d.fire();
      }
    }
    this.dropSettled();
    if (this.head < this.entries.length && this.timer === undefined) this.arm();
  }

  /** Moves the front past settled entries, and lets go of them now and then. */
  private dropSettled(): void {
    while (this.head < this.entries.length && this.entries[this.head]!.cancelled) this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head >= COMPACT_MIN && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
