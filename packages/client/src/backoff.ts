/**
 * Jittered exponential backoff ("full jitter"): the n-th retry waits a uniform time in
 * [0, min(capMs, baseMs * 2^n)]. Clients that failed together do not retry together.
 */
import { assert } from '@ringkv/stdx';
import type { RandomSource } from './environment';

export interface BackoffOptions {
  /** The ceiling of the first retry's wait. */
  readonly baseMs: number;
  /** No wait is longer than this. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 10, capMs: 1_000 };

export function backoffDelayMs(retry: number, options: BackoffOptions, random: RandomSource): number {
  assert(Number.isInteger(retry) && retry >= 0, `retry must be a non-negative integer, got ${retry}`);
  assert(options.baseMs > 0 && options.capMs >= options.baseMs, 'backoff needs 0 < baseMs <= capMs');
  const ceilingMs = Math.min(options.capMs, options.baseMs * 2 ** Math.min(retry, 30));
  return random.next() * ceilingMs;
}
