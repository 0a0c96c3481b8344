/**
 * The server side of the client CPU benchmark (client-cpu.ts starts it as a child process, so the
 * client's CPU figure is the client's alone): `nodes` tRPC WebSocket servers on loopback with the
 * api's paths and wire shapes for kv.put, kv.get and cluster.placement, answering at once from a
 * map. Not the real api (no validation, no store): what is measured is the SDK, not a node.
 * Prints one JSON line `{ "endpoints": [...] }` when listening; exits when its stdin closes.
 */
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';

const NODES = 3;
const PARTITIONS = 16;

interface Entry {
  readonly key: unknown;
  readonly value: unknown;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

const data = new Map<string, Entry>();
let revision = 0;
const t = initTRPC.create();
const keyString = (key: unknown): string => (typeof key === 'string' ? key : JSON.stringify(key));

function router(addresses: readonly string[]) {
  return t.router({
    kv: t.router({
      put: t.procedure
        .input((v) => v as { key: unknown; value: unknown })
        .mutation(({ input }) => {
          const previous = data.get(keyString(input.key));
          revision++;
          const entry: Entry = { key: input.key, value: input.value, version: (previous?.version ?? 0) + 1, createRevision: previous?.createRevision ?? revision, modRevision: revision };
          data.set(keyString(input.key), entry);
          return { version: entry.version, createRevision: entry.createRevision, modRevision: entry.modRevision };
        }),
      get: t.procedure
        .input((v) => v as { key: unknown })
        .query(({ input }) => ({ entry: data.get(keyString(input.key)) ?? null, revision })),
    }),
    cluster: t.router({
      placement: t.procedure.query(() => ({
        partitions: PARTITIONS,
        replicationFactor: 3,
        nodes: addresses.map((address, i) => ({ id: i + 1, address })),
        groups: Array.from({ length: PARTITIONS }, (_, p) => ({
          partition: p,
          replicas: [0, 1, 2].map((r) => ((p + r) % NODES) + 1),
          leader: (p % NODES) + 1,
        })),
      })),
    }),
  });
}

const servers = await Promise.all(
  Array.from({ length: NODES }, async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    return wss;
  }),
);
const addresses = servers.map((wss) => `127.0.0.1:${(wss.address() as AddressInfo).port}`);
const appRouter = router(addresses);
for (const wss of servers) applyWSSHandler({ wss, router: appRouter });
process.stdout.write(`${JSON.stringify({ endpoints: addresses })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
