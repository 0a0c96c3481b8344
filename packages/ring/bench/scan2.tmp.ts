import type { NodeId } from '@ringkv/stdx';
import { Prng } from '@ringkv/stdx';
import { Ring, placementLoad } from '../src/index';
const v = Number(process.argv[2]);
const prng = new Prng(42);
const ms: number[] = [];
for (let k = 0; k < 150; k++) {
  const n = 2 + (prng.nextU32() % 63); const rf = 1 + (prng.nextU32() % 5); const P = 2 ** (8 + (prng.nextU32() % 5));
  const mean = P * Math.min(rf, n) / n; if (mean < 100) continue;
  const ids = [...new Set(Array.from({ length: n }, () => 1 + (prng.nextU32() % 100000)))] as NodeId[];
  const ring = Ring.create({ nodes: ids.map((id) => ({ id })), partitions: P, replicationFactor: rf, vnodes: v });
  const r = [...placementLoad(ring.placement(), ids).replicas.values()];
  ms.push(Math.max(...r) * ids.length / (P * Math.min(rf, ids.length)));
}
ms.sort((a, b) => b - a);
console.log(v, ms.length, ms.slice(0, 5).map((x) => x.toFixed(3)).join(' '));
