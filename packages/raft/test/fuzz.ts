/**
 * Long randomized run outside CI: `npm run fuzz -w @ringkv/raft -- [firstSeed] [seconds]`.
 * Runs RandomCluster seeds from firstSeed (default 1000) until the time budget is spent, and
 * prints the seeds run; a failure prints the replay command and exits non-zero.
 */
import { RandomCluster } from './harness/cluster';

const first = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 600);
const deadline = Date.now() + seconds * 1000;
let seed = first;
let committed = 0;
while (Date.now() < deadline) {
  const c = new RandomCluster({ seed, size: seed % 2 === 0 ? 3 : 5, steps: 400, livenessSteps: 600, replay: `npm run fuzz -w @ringkv/raft -- ${seed} 1` });
  try {
    c.run();
  } catch (e) {
    console.error((e as Error).message);
    console.error(`failed at seed ${seed} after ${seed - first} seeds`);
    process.exit(1);
  }
  committed += c.committed.size;
  seed++;
  if ((seed - first) % 500 === 0) console.log(`${seed - first} seeds ok (${committed} entries committed)`);
}
console.log(`seeds ${first}..${seed - 1}: ${seed - first} seeds, all invariants held, ${committed} entries committed`);
