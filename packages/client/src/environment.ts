/**
 * What the SDK needs from the world: time and randomness. The Node and browser entries pass real
 * ones; the simulator passes a virtual clock and a seeded generator, so the routing and retry
 * logic replays exactly from one seed.
 */
import type { Clock } from '@ringkv/stdx';
import { Prng, SystemClock } from '@ringkv/stdx';
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

/** A Prng seeded from the platform's cryptographic source, so two processes never share ids. */
export function realRandom(): RandomSource {
  const seed = new Uint32Array(2);
  globalThis.crypto.getRandomValues(seed);
  return new Prng(seed[0]! * 0x200000 + (seed[1]! & 0x1fffff));
}

export function realEnvironment(): ClientEnvironment {
  return { clock: new SystemClock(), random: realRandom() };
}
