/**
 * A whole cluster in one process for tests: Stores over a MemoryNetwork, in-memory engines (the
 * segment log a node runs, over a MemorySegmentDirectory; or, for tests that hook LevelDB writes,
 * the log engine over memory-level), one ManualClock. `drive(promise)` moves time one millisecond at a time, letting every Store's
 * round (which awaits the engines) finish between steps, until the promise settles.
 */
import { ManualClock, Prng, nodeId, utf8Encode } from '@ringkv/stdx';
import type { NodeId } from '@ringkv/stdx';
import { DiskSegmentDirectory, MemorySegmentDirectory, openDiskDb, openKvEngine, openLogEngine, openMemoryDb, openSegmentLogEngine } from '@ringkv/storage';
import type { KvEngine, RaftLogEngine, SegmentDirectory, StorageDb } from '@ringkv/storage';
import { MemoryNetwork, Store, StoreError } from '../src';
import type { ClusterConfig, MemoryTransport, StoreConfig } from '../src';

export const TEST_CONFIG: Partial<StoreConfig> = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1, proposalTimeoutMs: 2_000, readTimeoutMs: 2_000, leaderBalanceIntervalMs: 200 };

interface NodeState {
  readonly id: NodeId;
  /** The log's database when the cluster runs the LevelDB log engine. */
  readonly logDb: StorageDb;
  /** The log's segment files when it runs the segment log (the default, as a node does). */
  readonly logDir: SegmentDirectory;
  readonly kvDb: StorageDb;
  boots: number;
  store?: Store;
  logEngine?: RaftLogEngine;
  kvEngine?: KvEngine;
  transport?: MemoryTransport;
}

export class TestCluster {
  readonly clock = new ManualClock();
  readonly net = new MemoryNetwork(this.clock, 1);
  readonly nodes = new Map<number, NodeState>();
  readonly ids: NodeId[];
  private seq = 0;

  private constructor(
    readonly cluster: ClusterConfig,
    readonly config: Partial<StoreConfig>,
    readonly seed: number,
    readonly logKind: 'segment' | 'level',
  ) {
    this.ids = cluster.nodes.map((n) => nodeId(n.id));
  }

  static async create(
    options: { nodes?: number; partitions?: number; replicationFactor?: number; config?: Partial<StoreConfig>; seed?: number; dataDir?: string; logEngine?: 'segment' | 'level' } = {},
  ): Promise<TestCluster> {
    const count = options.nodes ?? 3;
    const cluster: ClusterConfig = {
      clusterId: 'test',
      nodes: Array.from({ length: count }, (_, i) => ({ id: i + 1, peerAddress: `peer-${i + 1}`, apiAddress: `api-${i + 1}` })),
      partitions: options.partitions ?? 4,
      replicationFactor: options.replicationFactor ?? 3,
    };
    const c = new TestCluster(cluster, { ...TEST_CONFIG, ...options.config }, options.seed ?? 1, options.logEngine ?? 'segment');
    for (const id of c.ids) {
      const logDb = options.dataDir === undefined ? await openMemoryDb() : await openDiskDb(`${options.dataDir}/${id}-log`);
      const logDir = options.dataDir === undefined ? new MemorySegmentDirectory() : new DiskSegmentDirectory(`${options.dataDir}/${id}-wal`);
      const kvDb = options.dataDir === undefined ? await openMemoryDb() : await openDiskDb(`${options.dataDir}/${id}-kv`);
      c.nodes.set(id, { id, logDb, logDir, kvDb, boots: 0 });
    }
    for (const id of c.ids) await c.start(id);
    return c;
  }

  /** Starts (or restarts) a node's Store on its persisted engines. */
  async start(id: number): Promise<Store> {
    const n = this.nodes.get(id)!;
    n.logEngine = this.logKind === 'segment' ? await openSegmentLogEngine({ directory: n.logDir }) : await openLogEngine({ db: n.logDb });
    n.kvEngine = await openKvEngine({ db: n.kvDb, cacheSizeBytes: 1024 * 1024 });
    n.transport = this.net.transport(n.id);
    const boot = n.boots++;
    const store = new Store({
      nodeId: n.id,
      clock: this.clock,
      // A new stream each boot, as a real node seeds from the OS (the first keeps the old label).
      prng: new Prng(this.seed).fork(boot === 0 ? `node/${id}` : `node/${id}#${boot}`),
      transport: n.transport,
      logEngine: n.logEngine,
      kvEngine: n.kvEngine,
      cluster: this.cluster,
      config: this.config,
    });
    await store.start();
    n.store = store;
    return store;
  }

  /** Stops a node as a crash would: the Store stops, its transport and engines close. */
  async stop(id: number): Promise<void> {
    const n = this.nodes.get(id)!;
    const store = n.store!;
    n.store = undefined;
    await store.stop();
    await this.net.transport(n.id).close();
    await n.logEngine!.close();
    await n.kvEngine!.close();
  }

  store(id: number): Store {
    const s = this.nodes.get(id)?.store;
    if (s === undefined) throw new Error(`node ${id} is not running`);
    return s;
  }

  running(): Store[] {
    return [...this.nodes.values()].flatMap((n) => (n.store === undefined ? [] : [n.store]));
  }

  kvEngine(id: number): KvEngine {
    return this.nodes.get(id)!.kvEngine!;
  }

  /** Lets every running Store finish its round (they await real engine promises). */
  private async settle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await new Promise((r) => setImmediate(r));
      const stores = this.running();
      await Promise.all(stores.map((s) => s.roundDone()));
      if (!stores.some((s) => s.busy)) return;
      // A scheduled round waits for a zero-delay timer: fire it.
      this.clock.advance(0);
    }
  }

  async runFor(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.clock.advance(1);
      await this.settle();
    }
  }

  async drive<T>(promise: Promise<T>, maxMs = 10_000): Promise<T> {
    let done = false;
    const settled = promise.then(
      (v) => {
        done = true;
        return v;
      },
      (e: unknown) => {
        done = true;
        throw e;
      },
    );
    settled.catch(() => undefined);
    await this.settle();
    for (let i = 0; i < maxMs && !done; i++) {
      this.clock.advance(1);
      await this.settle();
    }
    if (!done) throw new Error(`still pending after ${maxMs} ms of simulated time`);
    return settled;
  }

  /** Drives a call that must fail with a StoreError and returns that error. */
  async failure(promise: Promise<unknown>): Promise<StoreError> {
    try {
      await this.drive(promise);
    } catch (error) {
      if (error instanceof StoreError) return error;
      throw error;
    }
    throw new Error('expected a StoreError, the call succeeded');
  }

  async waitFor(condition: () => boolean, maxMs = 10_000, what = 'condition'): Promise<void> {
    for (let i = 0; i < maxMs; i++) {
      if (condition()) return;
      this.clock.advance(1);
      await this.settle();
    }
    throw new Error(`${what} not reached within ${maxMs} ms of simulated time`);
  }

  /** A node that holds `partition` but does not lead it (with RF = nodes: any but the leader). */
  followerIdOf(partition: number): number {
    const leader = this.leaderIdOf(partition);
    const follower = this.ids.find((id) => id !== leader && this.store(id).status().partitions.some((x) => x.partition === partition));
    if (leader === undefined || follower === undefined) throw new Error(`partition ${partition} has no leader and follower right now`);
    return follower;
  }

  leaderIdOf(partition: number): number | undefined {
    for (const s of this.running()) {
      const p = s.status().partitions.find((x) => x.partition === partition);
      if (p?.role === 'leader') return s.nodeId;
    }
    return undefined;
  }

  /** Waits until every partition has a leader that every running replica agrees on. */
  async waitForLeaders(maxMs = 10_000): Promise<void> {
    await this.waitFor(
      () => {
        for (let p = 0; p < this.cluster.partitions; p++) {
          const leader = this.leaderIdOf(p);
          if (leader === undefined) return false;
          for (const s of this.running()) {
            const view = s.status().partitions.find((x) => x.partition === p);
            if (view !== undefined && view.leader !== leader) return false;
          }
        }
        return true;
      },
      maxMs,
      'a leader for every partition',
    );
  }

  /** Waits until every partition is led by its preferred leader (the Store moves leaders there). */
  async waitForPreferredLeaders(maxMs = 10_000): Promise<void> {
    await this.waitForLeaders(maxMs);
    const placement = this.running()[0]!.placement();
    await this.waitFor(() => placement.groups.every((g) => this.leaderIdOf(g.partition) === g.replicas[0]), maxMs, 'preferred leaders');
    await this.waitForLeaders(maxMs);
  }

  leaderOf(partition: number): Store {
    const id = this.leaderIdOf(partition);
    if (id === undefined) throw new Error(`partition ${partition} has no leader`);
    return this.store(id);
  }

  /** A key (as bytes) that hashes to `partition`, distinct per call. */
  keyIn(partition: number, prefix = 'k'): Uint8Array {
    const s = this.running()[0]!;
    for (;;) {
      const key = utf8Encode(`${prefix}${this.seq++}`);
      if (s.partitionOf(key) === partition) return key;
    }
  }

  async close(): Promise<void> {
    for (const id of this.ids) if (this.nodes.get(id)!.store !== undefined) await this.stop(id);
  }
}
