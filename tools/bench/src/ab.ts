/**
 * A/B: RingKV's cluster bench run in alternating pairs on two trees (a change against its base),
 * or on this tree under two environments (an env-gated experiment), so the two are judged in the
 * same minutes of this shared, noisy machine. Prints each side's ops/s, p99, server CPU per
 * operation and rounds per operation for every pair, then per workload the median of B over A
 * and in how many pairs B came out ahead.
 *
 *   npm run ab -w @ringkv/bench -- --base <git revision> [options]   (USAGE below, printed by --help)
 *   npm run ab -w @ringkv/bench -- --a-env RINGKV_EXP=0 --b-env RINGKV_EXP=1 [options]
 *
 * A is `--base` (checked out with `git archive` into a temporary directory, with a copy of this
 * tree's node_modules) or, without it, this tree; B is always this working tree. Pairs run A then
 * B and B then A in turn, so a machine that speeds up or slows down during the pairs favours
 * neither side. One pair says little here: judge by the medians and the counts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { WorkloadFigures } from './ab-report';
import { parseCommandLine } from './cli-args';
import { formatPairs, parseRun } from './ab-report';

const run = promisify(execFile);

const USAGE = `A/B of RingKV's cluster bench in alternating pairs, judged in the same minutes: a change
against its base revision, or this tree under two environments.

  npm run ab -w @ringkv/bench -- --base <git revision> [options]
  npm run ab -w @ringkv/bench -- --a-env NAME=value --b-env NAME=value [options]

  --base REV          A is this revision (git archive, with this tree's node_modules); B is this tree
  --a-env, --b-env    an environment setting for A's or B's runs (repeatable)
  --pairs N           pairs to run, A then B and B then A in turn (default 6)
  --workloads LIST    some of put,get,mix (default put,mix)
  --duration-ms N     each workload's measured time (default 6000)
  --workers N         concurrent workers (default 64)
  --value-bytes N     value size (default the bench's)
  --key-space N       distinct keys (default the bench's)`;

const args = parseCommandLine(
  {
    base: { type: 'string' },
    pairs: { type: 'string', default: '6' },
    workloads: { type: 'string', default: 'put,mix' },
    'duration-ms': { type: 'string', default: '6000' },
    workers: { type: 'string', default: '64' },
    // Passed on only when given, so a --base older than these options still runs.
    'value-bytes': { type: 'string' },
    'key-space': { type: 'string' },
    'a-env': { type: 'string', multiple: true, default: [] },
    'b-env': { type: 'string', multiple: true, default: [] },
  },
  USAGE,
);

const pairs = Number(args.pairs);
if (!Number.isSafeInteger(pairs) || pairs < 1 || pairs > 50) throw new Error(`--pairs must be an integer in [1, 50], got ${args.pairs}`);
if (args.base === undefined && args['a-env'].length === 0 && args['b-env'].length === 0) {
  throw new Error('nothing to compare: give --base <revision>, or --a-env/--b-env for two environments of this tree');
}

function parseEnv(list: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`an environment setting must be NAME=value, got "${item}"`);
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

const thisTree = fileURLToPath(new URL('../../..', import.meta.url));

/** The tree at `revision`, runnable: its files from git and a copy of this tree's node_modules
 *  (workspace links in it are relative, so they point into the copy's own packages). */
async function materialize(revision: string): Promise<{ root: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-ab-'));
  try {
    await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', thisTree, revision, dir]);
    await run('cp', ['-a', join(thisTree, 'node_modules'), join(dir, 'node_modules')]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not check out ${revision}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { root: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function benchOnce(root: string, env: Record<string, string>): Promise<Map<string, WorkloadFigures>> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import', 'tsx', 'src/main.ts', '--only', 'ringkv', '--workloads', args.workloads, '--duration-ms', args['duration-ms'], '--workers', args.workers,
      ...(args['value-bytes'] === undefined ? [] : ['--value-bytes', args['value-bytes']]),
      ...(args['key-space'] === undefined ? [] : ['--key-space', args['key-space']]),
    ],
    { cwd: join(root, 'tools', 'bench'), env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  const figures = parseRun(stdout);
  if (figures.size === 0) throw new Error(`the bench in ${root} printed no RingKV results:\n${stdout}`);
  return figures;
}

async function main(): Promise<void> {
  const base = args.base === undefined ? undefined : await materialize(args.base);
  try {
    const sides = {
      A: { root: base?.root ?? thisTree, env: parseEnv(args['a-env']) },
      B: { root: thisTree, env: parseEnv(args['b-env']) },
    };
    console.log(`A: ${args.base ?? 'this tree'} ${JSON.stringify(sides.A.env)}; B: this tree ${JSON.stringify(sides.B.env)}; ${pairs} pairs of ${args.workloads}, ${args['duration-ms']} ms each`);
    const results: Record<'A' | 'B', Array<Map<string, WorkloadFigures>>> = { A: [], B: [] };
    for (let i = 0; i < pairs; i++) {
      for (const side of i % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const figures = await benchOnce(sides[side].root, sides[side].env);
        results[side].push(figures);
        console.log(`pair ${i + 1} ${side}: ${[...figures].map(([w, f]) => `${w} ${f.opsPerSec} ops/s ${f.cpuUsPerOp} µs/op`).join(', ')}`);
      }
    }
    console.log(`\n${formatPairs(results.A, results.B)}`);
  } finally {
    await base?.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
