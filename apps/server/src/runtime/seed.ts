/**
 * The node's randomness: one Prng seeded from the OS, logged at start, so a run's random choices
 * (election timeouts, client ids) can be told apart and, in a simulator, replayed.
 */
import { randomBytes } from 'node:crypto';
import { Prng } from '@ringkv/stdx';

export function randomSeed(): number {
  const bytes = randomBytes(8);
  // 53 bits: Prng takes a safe integer.
  return (bytes.readUInt32BE(0) & 0x1fffff) * 0x100000000 + bytes.readUInt32BE(4);
}

export function seededPrng(seed: number): Prng {
  return new Prng(seed);
}
