/**
 * Balance report: for each partition count and cluster size, the busiest and idlest node's
 * replica count relative to the mean, and the spread of preferred leaders.
 *   npm run balance -w @ringkv/ring            (defaults: RF 3, the default vnodes)
 *   npx tsx bench/balance.ts --vnodes 64 --rf 3 --partitions 64,256 --nodes 3,5,10
 */
import type { NodeId } from '@ringkv/stdx';
import { Ring, VNODES_DEFAULT, placementLoad } from '../src/index';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const list = (s: string): number[] => s.split(',').map(Number);

const vnodes = Number(option('vnodes', String(VNODES_DEFAULT)));
const rf = Number(option('rf', '3'));
const partitionCounts = list(option('partitions', '64,256,1024'));
const nodeCounts = list(option('nodes', '3,5,7,10'));

console.log(`RF ${rf}, ${vnodes} vnodes per node`);
console.log('P     N   mean/node  max/mean  min/mean  leaders min..max (bound ceil(P/N)+1)');
for (const partitions of partitionCounts) {
  for (const n of nodeCounts) {
    const ids = Array.from({ length: n }, (_, i) => (i + 1) as NodeId);
    const ring = Ring.create({ nodes: ids.map((id) => ({ id })), partitions, replicationFactor: rf, vnodes });
    const load = placementLoad(ring.placement(), ids);
    const replicas = [...load.replicas.values()];
    const leaders = [...load.leaders.values()];
    const mean = (partitions * Math.min(rf, n)) / n;
    console.log(
      [
        String(partitions).padEnd(5),
        String(n).padEnd(3),
        mean.toFixed(1).padStart(9),
        (Math.max(...replicas) / mean).toFixed(2).padStart(9),
        (Math.min(...replicas) / mean).toFixed(2).padStart(9),
        `  ${Math.min(...leaders)}..${Math.max(...leaders)} (${Math.ceil(partitions / n) + 1})`,
      ].join(' '),
    );
  }
}
