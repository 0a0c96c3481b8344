/**
 * HTTP and WebSocket on one port: tRPC's HTTP handler under /trpc/, tRPC over WebSocket on any
 * upgrade (the SDK's path), and the operational endpoints /healthz, /readyz and /metrics.
 */
import http from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { AppContext, AppRouter } from '@ringkv/api';
import { FORWARDED_HEADER, REQUEST_BODY_BYTES_MAX } from '@ringkv/api';
import type { HostPort } from '../config/address';
import { coalesceSends } from './coalesce-sends';
import type { NodeMetrics } from './metrics';

export interface ApiServerOptions {
  readonly router: AppRouter;
  readonly listen: HostPort;
  readonly metrics: NodeMetrics;
  /** /readyz: undefined when ready, else why not. */
  readonly notReadyReason: () => string | undefined;
  /** Open client connections (HTTP and WebSocket) at once; more are closed as they arrive. */
  readonly connectionsMax?: number;
}

/** Each connection holds sockets, buffers and tRPC state; past this many, new ones are closed at once. */
export const API_CONNECTIONS_MAX = 10_000;

export interface ApiServer {
  readonly address: HostPort;
  /** Stops accepting connections (in-flight requests may finish). */
  stopAccepting(): void;
  /** Closes every connection, WebSockets included. */
  close(): Promise<void>;
}

const TRPC_BASE = '/trpc/';

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const trpc = createHTTPHandler({
    router: options.router,
    basePath: TRPC_BASE,
    maxBodySize: REQUEST_BODY_BYTES_MAX,
    // Queries may also be POSTed (input in the body): a getMany of 1000 keys does not fit in a
    // URL under Node's 16 KiB header limit. The forwarder sends every call this way.
    allowMethodOverride: true,
    createContext: ({ req }): AppContext => ({ forwarded: req.headers[FORWARDED_HEADER] === '1' }),
  });
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const route = path.startsWith(TRPC_BASE) ? path.slice(TRPC_BASE.length) || 'trpc' : path;
    const knownRoute = path.startsWith(TRPC_BASE) || path === '/healthz' || path === '/readyz' || path === '/metrics';
    res.on('finish', () => {
      // Unknown paths share one label so a scanner cannot blow up the metric's cardinality.
      const label = knownRoute ? (route.length <= 64 ? route : 'trpc:long') : 'other';
      options.metrics.httpDuration.observe({ route: label, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    if (path.startsWith(TRPC_BASE)) {
      trpc(req, res);
      return;
    }
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') {
      const reason = options.notReadyReason();
      return reason === undefined ? sendJson(res, 200, { ready: true }) : sendJson(res, 503, { ready: false, reason });
    }
    if (path === '/metrics') {
      options.metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
          res.end(text);
        })
        .catch((error: unknown) => sendJson(res, 500, { error: String(error) }));
      return;
    }
    sendJson(res, 404, { error: `no such endpoint ${path}; the API is under ${TRPC_BASE} (or WebSocket), see also /healthz, /readyz, /metrics` });
  });
  // Slow or idle clients cannot hold sockets forever, nor open them without bound.
  server.maxConnections = options.connectionsMax ?? API_CONNECTIONS_MAX;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  const wss = new WebSocketServer({ server, maxPayload: REQUEST_BODY_BYTES_MAX });
  // The upgraded request's socket is the one the WebSocket writes to.
  wss.on('connection', (ws, req) => coalesceSends(ws, req.socket));
  const wsHandler = applyWSSHandler({
    wss,
    router: options.router,
    createContext: (): AppContext => ({}),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('the API server is not listening on TCP');

  let closed = false;
  return {
    address: { host: bound.address, port: bound.port },
    stopAccepting() {
      server.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      wsHandler.broadcastReconnectNotification();
      // The notifications sit in corked sockets until the next tick (coalesce-sends.ts): let them
      // leave before the sockets are terminated.
      await new Promise<void>((resolve) => process.nextTick(resolve));
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.close();
      server.closeAllConnections();
    },
  };
}
