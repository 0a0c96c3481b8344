/**
 * Request-path benchmark: what one node spends per client request OUTSIDE the Store (tRPC's
 * WebSocket adapter, routing, zod, the error/response path, socket writes), which Raft would
 * otherwise drown. Forks request-path-server.ts (the real router and HTTP/WS wiring over a Store
 * facade that answers at once), drives it with `--workers` concurrent calls over one tRPC
 * WebSocket (as the SDK does: wsLink, one socket per node) for `--duration-ms` per workload, and
 * prints requests/s and the SERVER process's CPU per request (its process.cpuUsage, so load
 * from other processes on the machine barely moves it).
 *
 *   npm run bench -w @ringkv/server -- [--duration-ms 10000] [--workers 64] [--workloads get,put]
 *
 * REQUEST_PATH_SERVER_ARGS passes node flags to the server child (e.g. "--cpu-prof").
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import WebSocket from 'ws';

const { values: args } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '1000' },
    workers: { type: 'string', default: '64' },
    workloads: { type: 'string', default: 'get,put' },
  },
});
const durationMs = Number(args['duration-ms']);
const warmupMs = Number(args['warmup-ms']);
const workers = Number(args.workers);

type Client = ReturnType<typeof createTRPCUntypedClient<AnyTRPCRouter>>;
const KEYS = 10_000;
const VALUE = 'v'.repeat(128);
const keyOf = (i: number): string => `k${String(i % KEYS).padStart(15, '0')}`;

/** The bench's workloads, with the inputs the SDK sends for them. */
const WORKLOADS: Record<string, (client: Client, i: number, clientId: string) => Promise<unknown>> = {
  get: (client, i) => client.query('kv.get', { key: keyOf(i * 7919), consistency: 'linearizable' }),
  put: (client, i, clientId) => client.mutation('kv.put', { key: keyOf(i * 7919), value: { type: 'string', data: VALUE }, session: { clientId, seq: i + 1 } }),
};

function request<T>(child: ChildProcess, message: string, pick: (reply: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: unknown): void => {
      const value = pick(reply as Record<string, unknown>);
      if (value === undefined) return;
      child.off('message', onMessage);
      resolve(value);
    };
    child.on('message', onMessage);
    if (message !== '') child.send(message);
  });
}

async function run(client: Client, child: ChildProcess, name: string, call: (typeof WORKLOADS)[string]): Promise<void> {
  let next = 0;
  let done = 0;
  let counting = false;
  let stop = false;
  const worker = async (w: number): Promise<void> => {
    const clientId = `bench-${name}-${w}`;
    while (!stop) {
      await call(client, next++, clientId);
      if (counting) done++;
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, warmupMs));
  const cpuBefore = await request(child, 'cpu', (m) => m['cpuMicros'] as number | undefined);
  const started = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, durationMs));
  counting = false;
  const cpuAfter = await request(child, 'cpu', (m) => m['cpuMicros'] as number | undefined);
  const elapsedS = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(loops);
  const cpu = cpuAfter - cpuBefore;
  console.log(
    `${name.padEnd(4)} ${Math.round(done / elapsedS)} req/s, server CPU ${(cpu / done).toFixed(1)} µs/req (${Math.round((cpu / 1000 / elapsedS / 1000) * 100)}% of a core), ${workers} workers, ${elapsedS.toFixed(1)} s`,
  );
}

const serverPath = fileURLToPath(new URL('./request-path-server.ts', import.meta.url));
// The flags a real node runs with (node-flags.json), then any extra ones for this run.
const nodeFlags = JSON.parse(readFileSync(fileURLToPath(new URL('../node-flags.json', import.meta.url)), 'utf8')) as string[];
const extra = (process.env['REQUEST_PATH_SERVER_ARGS'] ?? '').split(' ').filter((a) => a.length > 0);
const child = fork(serverPath, [], { execArgv: [...nodeFlags, ...extra, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await request(child, '', (m) => m['port'] as number | undefined);
const wsClient = createWSClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
const client = createTRPCUntypedClient<AnyTRPCRouter>({ links: [wsLink({ client: wsClient })] });
try {
  for (const name of args.workloads.split(',')) {
    const call = WORKLOADS[name];
    if (call === undefined) throw new Error(`unknown workload ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);
    await run(client, child, name, call);
  }
} finally {
  wsClient.close();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}
