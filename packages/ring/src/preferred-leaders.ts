/**
 * One preferred leader per partition, chosen among its replicas so that leadership (and so write
 * load) spreads evenly: no node leads more than ceil(P/N) partitions when some assignment allows
 * it, else ceil(P/N)+1 when that is possible.
 *
 * Partitions are taken in order; each goes to its least-loaded replica (ties: earlier in the
 * preference list). When every replica is at the cap, an augmenting path (as in bipartite
 * matching) shifts leaderships along a chain of replicas to free one slot. Only P, the replica
 * lists and this fixed order are inputs, so every node computes the same answer.
 */
import type { NodeId } from '@ringkv/stdx';

export function preferredLeaders(replicas: readonly (readonly NodeId[])[], nodeCount: number): NodeId[] {
  const partitions = replicas.length;
  const leaders: NodeId[] = new Array<NodeId>(partitions);
  const count = new Map<NodeId, number>();
  const led = new Map<NodeId, Set<number>>();
  const load = (n: NodeId): number => count.get(n) ?? 0;
  const give = (partition: number, node: NodeId): void => {
    const previous = leaders[partition];
    if (previous !== undefined) {
      count.set(previous, load(previous) - 1);
      led.get(previous)!.delete(partition);
    }
    leaders[partition] = node;
    count.set(node, load(node) + 1);
    let set = led.get(node);
    if (set === undefined) {
      set = new Set();
      led.set(node, set);
    }
    set.add(partition);
  };

  const leastLoaded = (partition: number): NodeId => {
    let best = replicas[partition]![0]!;
    for (const r of replicas[partition]!) if (load(r) < load(best)) best = r;
    return best;
  };

  /** Breadth-first search for a chain ending at a replica below `cap`; applies it if found. */
  const augment = (partition: number, cap: number): boolean => {
    const via = new Map<NodeId, { from: NodeId | undefined; partition: number }>();
    const queue: NodeId[] = [];
    for (const r of replicas[partition]!) {
      if (via.has(r)) continue;
      via.set(r, { from: undefined, partition });
      queue.push(r);
    }
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      for (const q of led.get(u) ?? []) {
        for (const w of replicas[q]!) {
          if (w === u || via.has(w)) continue;
          via.set(w, { from: u, partition: q });
          if (load(w) < cap) {
            // Walk back: w takes q from u, u takes its own incoming partition, ... the first
            // node in the chain takes `partition`. Only w's count grows.
            let node: NodeId | undefined = w;
            while (node !== undefined) {
              const step: { from: NodeId | undefined; partition: number } = via.get(node)!;
              give(step.partition, node);
              node = step.from;
            }
            return true;
          }
          queue.push(w);
        }
      }
    }
    return false;
  };

  const cap = Math.ceil(partitions / nodeCount);
  const deferred: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const best = leastLoaded(p);
    if (load(best) < cap) give(p, best);
    else if (!augment(p, cap)) deferred.push(p);
  }
  for (const p of deferred) {
    const best = leastLoaded(p);
    // Past cap + 1 only when the placement itself is too skewed (e.g. RF=1 on an uneven ring).
    if (load(best) < cap + 1 || !augment(p, cap + 1)) give(p, best);
  }
  return leaders;
}
