/**
 * The benchmark's keys and values: 16-byte ASCII keys over a fixed key space and ASCII values of
 * 128 bytes (or `--value-bytes`), drawn from a seeded generator so both stores see the same sequence.
 */

export const KEY_BYTES = 16;
export const VALUE_BYTES = 128;

export function keyAt(index: number): string {
  const key = `k${String(index).padStart(KEY_BYTES - 1, '0')}`;
  if (key.length !== KEY_BYTES) throw new RangeError(`key index ${index} does not fit in ${KEY_BYTES} bytes`);
  return key;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** mulberry32: small, fast and seeded; statistical quality is irrelevant for picking keys. */
export class BenchRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export function makeValue(random: BenchRandom, bytes: number = VALUE_BYTES): string {
  const chars: string[] = [];
  for (let i = 0; i < bytes; i++) chars.push(ALPHABET[random.int(ALPHABET.length)]!);
  return chars.join('');
}

/** Per-worker generators, so workers do not contend on one and runs are repeatable. */
export function workerRandoms(seed: number, workers: number): BenchRandom[] {
  return Array.from({ length: workers }, (_, w) => new BenchRandom(Math.imul(seed ^ 0x9e3779b9, w + 1) + w));
}
