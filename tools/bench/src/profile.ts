/**
 * Summarizes a CPU profile of a node taken under the bench, over one workload's window:
 *
 *   RINGKV_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -w @ringkv/bench -- --only ringkv --workloads put
 *   npm run profile -w @ringkv/bench -- /tmp/prof/<file>.cpuprofile --from <µs> --to <µs> [--top 30]
 *
 * (the bench prints each workload's window when its nodes run with --cpu-prof).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CpuProfile } from './cpu-profile';
import { summarize } from './cpu-profile';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string', default: '30' } },
});
if (positionals.length !== 1) {
  console.error('usage: profile <file.cpuprofile> [--from µs] [--to µs] [--top n]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
const s = summarize(profile, values.from === undefined ? -Infinity : Number(values.from), values.to === undefined ? Infinity : Number(values.to));
const top = Number(values.top);
const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(8)} ms`;
console.log(`window ${(s.windowUs / 1e6).toFixed(2)} s, busy ${((s.windowUs - s.idleUs) / 1e6).toFixed(2)} s, idle ${(s.idleUs / 1e6).toFixed(2)} s`);
console.log('\nself time by place');
for (const [k, us] of s.byPlace.slice(0, top)) console.log(`${ms(us)}  ${k}`);
console.log('\nself time by function');
for (const [k, us] of s.byFunction.slice(0, top)) console.log(`${ms(us)}  ${k}`);
