/**
 * What the SDK needs from the world: time and randomness. The Node and browser entries pass real
 * ones; the simulator passes a virtual clock and a seeded generator, so the routing and retry
 * logic replays exactly from one seed.
 */
import type { Clock, TimerHandle } from '@ringkv/stdx';
import { Prng } from '@ringkv/stdx';
import { RingKVError } from './errors';

/** The randomness the SDK draws: jitter, session ids, endpoint choice. stdx's Prng fits. */
export interface RandomSource {
  /** A float in [0, 1). */
  next(): number;
  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number;
}

export interface ClientEnvironment {
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** Waits `delayMs` on the given clock; rejects with ABORTED as soon as `signal` fires. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(abortReason(signal!));
    };
    const handle = clock.setTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): RingKVError {
  const reason: unknown = signal.reason;
  if (reason instanceof RingKVError) return reason;
  return new RingKVError('ABORTED', 'the operation was aborted by the caller');
}

/** The wall clock and timers of the host (Node or browser). Not for deterministic code. */
export class RealClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  nowMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        fn();
      }, delayMs),
    );
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(handle.id);
    }
  }
}

/** A Prng seeded from the platform's cryptographic source, so two processes never share ids. */
export function realRandom(): RandomSource {
  const seed = new Uint32Array(2);
  globalThis.crypto.getRandomValues(seed);
  return new Prng(seed[0]! * 0x200000 + (seed[1]! & 0x1fffff));
}

export function realEnvironment(): ClientEnvironment {
  return { clock: new RealClock(), random: realRandom() };
}
