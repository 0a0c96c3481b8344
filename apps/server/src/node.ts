/**
 * One RingKV node assembled from its parts: engines in the data directory, the TCP peer
 * transport, the Store, and the API server. `startNode` brings them up in dependency order and
 * `stop` takes them down in reverse, handing leaderships away first so a planned restart costs
 * the cluster no election timeout.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createAppRouter } from '@ringkv/api';
import { Store } from '@ringkv/multiraft';
import type { ClusterConfig, StoreConfig } from '@ringkv/multiraft';
import { SystemClock, nodeId } from '@ringkv/stdx';
import { openKvEngine } from '@ringkv/storage';
import { openRaftLog } from './raft-log';
import type { HostPort } from './config/address';
import { formatHostPort } from './config/address';
import type { ServerConfig } from './config/server-config';
import { TrpcForwarder } from './http/forwarder';
import { NodeMetrics } from './http/metrics';
import { startApiServer } from './http/api-server';
import { randomSeed, seededPrng } from './runtime/seed';
import { TcpTransport } from './transport';

export interface RunningNode {
  readonly store: Store;
  readonly transport: TcpTransport;
  readonly apiAddress: HostPort;
  readonly peerAddress: HostPort;
  /** Graceful stop: stop accepting, hand leaderships away, stop the Store, close everything. */
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  /** Store tunables beyond the server's flags (tests shorten timeouts). */
  readonly storeConfig?: Partial<StoreConfig>;
  /** How long a forwarded request may take. */
  readonly forwardTimeoutMs?: number;
}

export function clusterConfigOf(config: ServerConfig): ClusterConfig {
  return {
    clusterId: config.clusterId,
    nodes: config.members.map((m) => ({ id: m.id, peerAddress: formatHostPort(m.peer), apiAddress: formatHostPort(m.api) })),
    partitions: config.partitions,
    replicationFactor: config.replicationFactor,
  };
}

async function openEngines(dataDir: string, cacheMb: number, logger: Logger) {
  await mkdir(dataDir, { recursive: true });
  try {
    // The KV engine first: its LevelDB lock keeps a second process off this data directory
    // before it touches the log (whose open may cut what it takes for a torn tail).
    const kvEngine = await openKvEngine({ path: join(dataDir, 'kv'), cacheSizeBytes: cacheMb * 1024 * 1024, queueWrites: true });
    try {
      const logEngine = await openRaftLog(dataDir, logger);
      return { logEngine, kvEngine };
    } catch (error) {
      await kvEngine.close();
      throw error;
    }
  } catch (error) {
    const text = String((error as { cause?: unknown }).cause ?? error);
    if (/lock/i.test(text)) throw new Error(`the data directory ${dataDir} is in use by another process (is this node already running?)`, { cause: error });
    throw error;
  }
}

export async function startNode(config: ServerConfig, logger: Logger, options: StartNodeOptions = {}): Promise<RunningNode> {
  const seed = randomSeed();
  logger.info({ dataDir: config.dataDir, members: config.members.length, partitions: config.partitions, replicationFactor: config.replicationFactor, clusterId: config.clusterId, seed }, 'starting node');
  const { logEngine, kvEngine } = await openEngines(config.dataDir, config.cacheMb, logger);
  const peers = new Map(config.members.filter((m) => m.id !== config.id).map((m) => [m.id, m.peer] as const));
  const transport = new TcpTransport({
    nodeId: config.id,
    clusterId: config.clusterId,
    listen: config.peerListen,
    peers,
    logger: logger.child({ component: 'transport' }),
  });
  const closeEngines = async () => {
    await logEngine.close();
    await kvEngine.close();
  };
  try {
    await transport.start();
  } catch (error) {
    await closeEngines();
    throw new Error(`cannot listen for peers on ${formatHostPort(config.peerListen)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const store = new Store({
    nodeId: nodeId(config.id),
    clock: new SystemClock(),
    prng: seededPrng(seed).fork(`node/${config.id}`),
    transport,
    logEngine,
    kvEngine,
    cluster: clusterConfigOf(config),
    config: { tickMs: config.tickMs, logMemoryBytesMax: config.logMemoryMb * 1024 * 1024, ...options.storeConfig },
    logger: logger.child({ component: 'store' }),
  });
  try {
    await store.start();
  } catch (error) {
    await transport.close();
    await closeEngines();
    throw error;
  }
  const forwarder = new TrpcForwarder((node) => store.apiAddressOf(node), options.forwardTimeoutMs ?? 5_000);
  const metrics = new NodeMetrics({
    transport: () => transport.stats,
    health: () => store.health(),
    cache: () => kvEngine.cacheStats(),
    kvQueue: () => kvEngine.queueStats(),
    log: () => logEngine.stats(),
    forwarded: () => forwarder.forwardedTotal,
    store: () => store.stats(),
  });
  let stopping = false;
  let api;
  try {
    api = await startApiServer({
      router: createAppRouter({ kv: store, forwarder }),
      listen: config.listen,
      metrics,
      notReadyReason: () => {
        if (stopping) return 'the node is stopping';
        const health = store.health();
        if (!health.ok) return `${health.partitionsHosted - health.partitionsWithLeader} of ${health.partitionsHosted} partitions have no known leader yet`;
        return undefined;
      },
    });
  } catch (error) {
    await store.stop();
    await transport.close();
    await closeEngines();
    throw new Error(`cannot serve the API on ${formatHostPort(config.listen)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const apiServer = api;
  logger.info({ api: formatHostPort(apiServer.address), peer: formatHostPort(transport.address()) }, 'node serving');

  let stopped: Promise<void> | undefined;
  return {
    store,
    transport,
    apiAddress: apiServer.address,
    peerAddress: transport.address(),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        apiServer.stopAccepting();
        logger.info({ handoffMs: config.shutdownHandoffMs }, 'stopping: handing leaderships away');
        await store.handOffLeadership(config.shutdownHandoffMs);
        await store.stop();
        // Watches resumed here after the restart still get the changes from before it.
        await store.saveWatchHistory().catch((error: unknown) => logger.warn({ err: error }, 'could not save the watch history; watches from before the restart will get COMPACTED'));
        await apiServer.close();
        forwarder.close();
        await transport.close();
        await closeEngines();
        logger.info({}, 'node stopped');
      })();
      return stopped;
    },
  };
}
