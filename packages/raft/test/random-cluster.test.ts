/**
 * Randomized cluster test over many seeds (3 and 5 replicas). A failure prints the command that
 * replays its seed: `SEED=123 npx vitest run test/random-cluster.test.ts`.
 * Longer runs outside CI: `npm run fuzz -w @ringkv/raft`.
 */
import { describe, expect, it } from 'vitest';
import { RandomCluster } from './harness/cluster';

const one = process.env['SEED'];
const SEEDS = one !== undefined ? [Number(one)] : Array.from({ length: 500 }, (_, i) => i + 1);

describe('random cluster', () => {
  it(`keeps every safety invariant and recovers after faults (${SEEDS.length} seeds)`, () => {
    let applied = 0;
    for (const seed of SEEDS) {
      const c = new RandomCluster({ seed, size: seed % 2 === 0 ? 3 : 5, steps: 250, livenessSteps: 400, replay: `SEED=${seed} npx vitest run test/random-cluster.test.ts` });
      c.run();
      applied += c.committed.size;
    }
    // The test must actually commit things, not only stay safe by doing nothing.
    expect(applied).toBeGreaterThan(SEEDS.length * 10);
  }, 120_000);
});
