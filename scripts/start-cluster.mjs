// `npm start`: a local 3-node RingKV cluster, one process per node, data under ./data/node-N.
//
// No build step: the nodes run their TypeScript through tsx (`node --import tsx`), which starts in
// about a second; type errors are `npm run typecheck`'s job, not a start gate. Ctrl-C forwards
// SIGINT to every node, waits for each to stop cleanly, then exits. Starting again reuses the data.
//
// Environment: RINGKV_START_BASE_PORT (default 7000: peers on 7001-7003, API on 8001-8003 i.e.
// base+1000+N), RINGKV_START_PARTITIONS (default 16), RINGKV_START_DATA_DIR (default ./data).
// Node logs (pino JSON) go to <data dir>/node-N.log.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Node/V8 flags every node process runs with (why: apps/server/README.md, "Node flags").
const SERVER_NODE_FLAGS = JSON.parse(readFileSync(join(root, 'apps/server/node-flags.json'), 'utf8'));
const dataRoot = resolve(root, process.env.RINGKV_START_DATA_DIR ?? 'data');
// How the data directory reads in messages: relative to the repository when it is inside it.
const shownDataRoot = relative(root, dataRoot).startsWith('..') ? dataRoot : `./${relative(root, dataRoot)}`;
const basePort = Number(process.env.RINGKV_START_BASE_PORT ?? 7000);
const partitions = Number(process.env.RINGKV_START_PARTITIONS ?? 16);
const NODES = [1, 2, 3];
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

if (!Number.isInteger(basePort) || basePort < 1 || basePort + 1000 + NODES.length > 65535) {
  console.error(`RINGKV_START_BASE_PORT=${process.env.RINGKV_START_BASE_PORT} is not a usable port base`);
  process.exit(2);
}

const peerAddress = (id) => `127.0.0.1:${basePort + id}`;
const apiAddress = (id) => `127.0.0.1:${basePort + 1000 + id}`;
const initialCluster = NODES.map((id) => `${id}=${peerAddress(id)}/${apiAddress(id)}`).join(',');

mkdirSync(dataRoot, { recursive: true });
console.log(`RingKV: starting a local 3-node cluster (${partitions} partitions, 3 replicas each), data in ${dataRoot}`);

const children = new Map();
let stopping = false;

for (const id of NODES) {
  const logPath = join(dataRoot, `node-${id}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [
      ...SERVER_NODE_FLAGS,
      '--import', 'tsx', join(root, 'apps/server/src/main.ts'),
      '--id', String(id),
      '--data-dir', join(dataRoot, `node-${id}`),
      '--initial-cluster', initialCluster,
      '--partitions', String(partitions),
      '--cluster-id', 'ringkv-local',
    ],
    // Own process group: a terminal's Ctrl-C reaches only this script, which forwards exactly one
    // SIGINT per node (a node treats a second signal as "exit now, without a clean stop").
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout.pipe(log);
  child.stderr.on('data', (chunk) => {
    log.write(chunk);
    process.stderr.write(`[node ${id}] ${chunk}`);
  });
  const exited = new Promise((resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })));
  children.set(id, { child, exited, logPath });
  exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`\nnode ${id} exited unexpectedly (code ${code}, signal ${signal}); its log: ${logPath}`);
    stopAll(1);
  });
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the cluster (each node hands its leaderships away, flushes and closes)...');
  const timer = setTimeout(() => {
    for (const { child } of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  const results = await Promise.all(
    [...children.entries()].map(async ([id, { child, exited }]) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const { code, signal } = await exited;
      return { id, code, signal };
    }),
  );
  clearTimeout(timer);
  for (const { id, code, signal } of results) console.log(`node ${id}: ${code === 0 ? 'stopped cleanly' : `exited with code ${code}${signal ? ` (${signal})` : ''}`}`);
  const clean = results.every((r) => r.code === 0);
  console.log(clean ? `all nodes stopped; data kept in ${dataRoot} (run npm start again to resume)` : `some nodes did not stop cleanly; see their logs in ${shownDataRoot}`);
  process.exit(exitCode ?? (clean ? 0 : 1));
}

process.on('SIGINT', () => stopAll());
process.on('SIGHUP', () => stopAll());
process.on('SIGTERM', () => stopAll());

async function waitReady(id) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://${apiAddress(id)}/readyz`);
      if (res.ok) return;
      last = (await res.json()).reason ?? `status ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!stopping) throw new Error(`node ${id} not ready after ${READY_TIMEOUT_MS / 1000}s (${last}); see ${children.get(id).logPath}`);
}

try {
  await Promise.all(NODES.map(waitReady));
} catch (error) {
  console.error(error.message);
  await stopAll(1);
}
if (!stopping) {
  const endpoints = NODES.map((id) => apiAddress(id));
  console.log(`
RingKV is ready.

  API (tRPC over HTTP and WebSocket):  ${endpoints.map((e) => `http://${e}`).join('  ')}
  Health / readiness / metrics:        http://${endpoints[0]}/healthz  /readyz  /metrics
  Node logs:                           ${shownDataRoot}/node-1.log, node-2.log, node-3.log

Try it (in another terminal, from this directory):

  curl -s 'http://${endpoints[0]}/trpc/cluster.health'

  node --import tsx -e "
    import { createClient } from '@ringkv/client';
    const kv = createClient({ endpoints: ['${endpoints[0]}'] });
    await kv.put('greeting', 'hello, ring');
    console.log(await kv.get('greeting'));
    await kv.close();
  "

Press Ctrl-C to stop all three nodes (data is kept for the next npm start).`);
}
