/**
 * The server half of the request-path benchmark (request-path.ts forks it): the real api router
 * behind the real HTTP + WebSocket wiring (startApiServer), over a Store facade that answers at
 * once from memory, so the CPU this process spends per request is the request path alone.
 * Talks to its parent over IPC: sends { port } once listening, answers 'cpu' with its
 * process.cpuUsage() in µs, exits on 'stop'.
 */
import { createAppRouter } from '@ringkv/api';
import { startApiServer } from '../src/http/api-server';
import { NodeMetrics } from '../src/http/metrics';
import { InstantStore } from '../test/instant-store';

// As main.ts does before loading the api: no stack traces in error responses.
process.env['NODE_ENV'] = 'production';
const kv = new InstantStore();
const zero = () => 0;
const metrics = new NodeMetrics({
  transport: () => ({ framesSent: 0, framesReceived: 0, framesDropped: 0, bytesSent: 0, bytesReceived: 0, connectionsRefused: 0, protocolErrors: 0 }),
  health: () => kv.health(),
  cache: () => ({ hits: 0, misses: 0, sizeBytes: 0, entries: 0 }),
  kvQueue: () => ({ flushes: 0, queuedOps: 0 }),
  log: () => ({ commits: 0, bytesPreallocated: 0, preallocationError: undefined }),
  forwarded: zero,
  store: () => {
    throw new Error('no Store stats in the request-path benchmark');
  },
});
const server = await startApiServer({ router: createAppRouter({ kv }), listen: { host: '127.0.0.1', port: 0 }, metrics, notReadyReason: () => undefined });
process.send?.({ port: server.address.port });
process.on('message', (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send?.({ cpuMicros: usage.user + usage.system });
  } else if (message === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
