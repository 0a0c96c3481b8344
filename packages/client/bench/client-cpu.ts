/**
 * The SDK's CPU per operation, without a cluster's CPU in the figure: echo-server.ts (a child
 * process) answers at once, and this process drives `--ops` operations with `--workers`
 * concurrent workers through createClient, then prints ops/s and this process's CPU µs per op
 * (process.cpuUsage: user + system). On a shared machine compare CPU per op, not ops/s.
 *
 *   npm run bench -w @ringkv/client -- [--workload put|get|mix] [--ops 30000] [--workers 64] [--rounds 1]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '../src/index';
import type { RingKVClient } from '../src/client';

const { values: args } = parseArgs({
  options: {
    workload: { type: 'string', default: 'put' },
    ops: { type: 'string', default: '30000' },
    workers: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '5000' },
  },
});
const workload = args.workload;
if (workload !== 'put' && workload !== 'get' && workload !== 'mix') throw new Error(`--workload must be put, get or mix, got ${workload}`);
const ops = Number(args.ops);
const workers = Number(args.workers);
const KEY_SPACE = 10_000;
const VALUE = 'v'.repeat(128);

const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./echo-server.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
const firstLine = await new Promise<string>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  createInterface({ input: server.stdout! }).once('line', resolve);
});
const { endpoints } = JSON.parse(firstLine) as { endpoints: string[] };
const client = createClient({ endpoints });

let seed = 1;
function nextKey(): string {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return `k${String(seed % KEY_SPACE).padStart(15, '0')}`;
}

async function drive(kv: RingKVClient, count: number): Promise<void> {
  let issued = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (issued < count) {
        issued++;
        const put = workload === 'put' || (workload === 'mix' && (issued & 1) === 0);
        if (put) await kv.put(nextKey(), VALUE);
        else await kv.get(nextKey());
      }
    }),
  );
}

// Preload (gets find data) and warm the JIT; neither is measured.
await drive(client, Number(args.warmup));
for (let round = 0; round < Number(args.rounds); round++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(client, ops);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuUsPerOp = (cpu.user + cpu.system) / ops;
  console.log(JSON.stringify({ workload, ops, workers, opsPerSec: Math.round((ops / elapsedMs) * 1000), clientCpuUsPerOp: Number(cpuUsPerOp.toFixed(1)) }));
}
await client.close();
server.stdin!.end();
