/**
 * Ring lookups per second: key → partition → replicas for 16-byte keys (Uint8Array), and for
 * 16-character string keys. Goal (issue 3): at least 5M lookups/s for byte keys.
 *   npm run bench -w @ringkv/ring        (or: npx tsx bench/lookup.ts [lookups])
 * The wall clock here is the benchmark's own; the ring itself never reads it.
 */
import type { NodeId } from '@ringkv/stdx';
import { xxh32 } from '@node-rs/xxhash';
import { Ring } from '../src/index';

const lookups = Number(process.argv[2] ?? 5_000_000);
const KEYS = 4096;

const ring = Ring.create({ nodes: Array.from({ length: 10 }, (_, i) => ({ id: (i + 1) as NodeId })) });

const byteKeys: Uint8Array[] = [];
const stringKeys: string[] = [];
let state = 0x9e3779b9;
for (let i = 0; i < KEYS; i++) {
  const key = new Uint8Array(16);
  for (let j = 0; j < 16; j++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    key[j] = state >>> 24;
  }
  byteKeys.push(key);
  stringKeys.push(`k${i.toString(36).padStart(15, '0')}`);
}

function run(label: string, keys: readonly (Uint8Array | string)[], hashOnly = false): void {
  let sink = 0;
  const lookup = hashOnly
    ? (i: number) => {
        sink += xxh32(keys[i & (KEYS - 1)]!, 0) & 63;
      }
    : (i: number) => {
        const replicas = ring.replicasOf(ring.partitionOf(keys[i & (KEYS - 1)]!));
        sink += replicas[0]!;
      };
  for (let i = 0; i < 200_000; i++) lookup(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) lookup(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(28)} ${(lookups / seconds / 1e6).toFixed(2)}M lookups/s  (${((seconds / lookups) * 1e9).toFixed(0)} ns each, checksum ${sink % 997})`);
}

console.log(`${lookups} lookups, P=${ring.partitions}, RF=${ring.replicationFactor}, ${ring.nodes.length} nodes`);
for (let round = 1; round <= 3; round++) {
  run(`round ${round}: 16-byte Uint8Array`, byteKeys);
  run(`round ${round}: 16-char string`, stringKeys);
  // The floor: one call into the native hash, nothing of the ring.
  run(`round ${round}: bare xxh32 (floor)`, byteKeys, true);
}
