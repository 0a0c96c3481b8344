/**
 * Time comes from outside. Production passes a real clock; the simulator passes a virtual one.
 * Code that must be deterministic takes a Clock (or only ticks) and never reads the wall clock.
 */
export interface Clock {
  /** Milliseconds on a monotonic timeline (not wall time); never decreases. */
  nowMs(): number;
  /** Milliseconds since the Unix epoch, for expiry times that must survive restarts; may jump. */
  wallMs(): number;
  /** Run `fn` after `delayMs`; returns a handle for `clearTimer`. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

/** A hand-driven clock for tests: time moves only when `advance` is called. */
export class ManualClock implements Clock {
  private now = 0;
  private wallOffsetMs: number;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startWallMs = 1_700_000_000_000) {
    this.wallOffsetMs = startWallMs;
  }

  nowMs(): number {
    return this.now;
  }

  wallMs(): number {
    return this.wallOffsetMs + this.now;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + Math.max(0, delayMs), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Moves time forward, firing due timers in time order (ties in creation order). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= target && (t.at < dueAt || (t.at === dueAt && id < dueId))) {
          dueAt = t.at;
          dueId = id;
        }
      }
      if (dueId < 0) break;
      const timer = this.timers.get(dueId)!;
      this.timers.delete(dueId);
      this.now = Math.max(this.now, timer.at);
      timer.fn();
    }
    this.now = target;
  }
}

/**
 * The host's real clock (Node or browser): monotonic time from performance.now, wall time from
 * Date.now, real timers. For processes and the SDK only; deterministic code takes a Clock instead.
 */
export class SystemClock implements Clock {
  private nextId = 1;
  /** Each pending timer's handle: an Immediate (zero delay, where there is setImmediate) or a Timeout. */
  private readonly timers = new Map<number, { readonly immediate: boolean; readonly handle: unknown }>();

  nowMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  /**
   * A zero delay runs the callback on the next turn of the event loop (setImmediate where it
   * exists), not after setTimeout's 1 ms floor: the Store schedules every round this way, and a
   * millisecond of idle per round was a seventh of a round under load.
   */
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    // The callback is an argument, not a closure bound to a name: under tsx (esbuild's keepNames)
    // every named closure costs an Object.defineProperty each time it is made, and the Store
    // sets a timer per round.
    if (delayMs <= 0 && typeof setImmediate === 'function') {
      this.timers.set(id, { immediate: true, handle: setImmediate(() => this.fire(id, fn)) });
    } else {
      this.timers.set(id, { immediate: false, handle: setTimeout(() => this.fire(id, fn), Math.max(0, delayMs)) });
    }
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer === undefined) return;
    if (timer.immediate) clearImmediate(timer.handle as ReturnType<typeof setImmediate>);
    else clearTimeout(timer.handle as ReturnType<typeof setTimeout>);
    this.timers.delete(handle.id);
  }

  private fire(id: number, fn: () => void): void {
    this.timers.delete(id);
    fn();
  }
}
