/**
 * A RingKV cluster of real node processes (`node --import tsx apps/server/src/main.ts`) on
 * loopback with ephemeral ports and temporary data directories. It only ever signals the PIDs it
 * spawned, and `destroy()` SIGKILLs whatever of those is still running.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distinctFreePorts } from './ports';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Node/V8 flags every node process runs with (why: apps/server/README.md, "Node flags"). */
const SERVER_NODE_FLAGS = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/server/node-flags.json'), 'utf8')) as string[];

export interface NodeSpec {
  readonly id: number;
  readonly peerPort: number;
  readonly apiPort: number;
  readonly dataDir: string;
}

interface NodeProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

export interface ProcessClusterOptions {
  readonly nodes?: number;
  readonly partitions?: number;
  readonly tickMs?: number;
  readonly clusterId?: string;
}

export class ProcessCluster {
  readonly specs: NodeSpec[];
  private readonly procs = new Map<number, NodeProcess>();
  private readonly root: string;

  private constructor(
    specs: NodeSpec[],
    root: string,
    private readonly options: Required<ProcessClusterOptions>,
  ) {
    this.specs = specs;
    this.root = root;
  }

  static async create(options: ProcessClusterOptions = {}): Promise<ProcessCluster> {
    // Tick 50 ms (elections in 0.5-1 s) keeps failover well inside the 3 s goal on a loaded
    // machine; RINGKV_E2E_TICK_MS=100 measures the server's default instead.
    const tickMs = Number(process.env['RINGKV_E2E_TICK_MS'] ?? 50);
    const resolved = { nodes: 3, partitions: 8, tickMs, clusterId: 'e2e', ...options };
    const root = mkdtempSync(join(tmpdir(), 'ringkv-e2e-'));
    const ports = await distinctFreePorts(2 * resolved.nodes);
    const specs: NodeSpec[] = [];
    for (let id = 1; id <= resolved.nodes; id++) {
      specs.push({ id, peerPort: ports[2 * id - 2]!, apiPort: ports[2 * id - 1]!, dataDir: join(root, `node-${id}`) });
    }
    return new ProcessCluster(specs, root, resolved);
  }

  get initialCluster(): string {
    return this.specs.map((s) => `${s.id}=127.0.0.1:${s.peerPort}/127.0.0.1:${s.apiPort}`).join(',');
  }

  endpoint(id: number): string {
    return `127.0.0.1:${this.spec(id).apiPort}`;
  }

  get endpoints(): string[] {
    return this.specs.map((s) => this.endpoint(s.id));
  }

  spec(id: number): NodeSpec {
    const spec = this.specs.find((s) => s.id === id);
    if (spec === undefined) throw new Error(`no node ${id}`);
    return spec;
  }

  pid(id: number): number | undefined {
    return this.procs.get(id)?.child.pid;
  }

  /** Spawns node `id` (again, with the same data directory after a stop or kill). */
  start(id: number): void {
    const existing = this.procs.get(id);
    if (existing !== undefined && existing.child.exitCode === null && existing.child.signalCode === null) throw new Error(`node ${id} is running`);
    const spec = this.spec(id);
    const child = spawn(
      process.execPath,
      [
        ...SERVER_NODE_FLAGS,
        '--import', 'tsx', join(REPO_ROOT, 'apps/server/src/main.ts'),
        '--id', String(id),
        '--data-dir', spec.dataDir,
        '--initial-cluster', this.initialCluster,
        '--partitions', String(this.options.partitions),
        '--tick-ms', String(this.options.tickMs),
        '--cluster-id', this.options.clusterId,
        '--shutdown-handoff-ms', '2000',
        '--log-level', 'info',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (output.length > 2000) output.splice(0, 1000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    this.procs.set(id, { child, exited, output });
  }

  startAll(): void {
    for (const s of this.specs) this.start(s.id);
  }

  /** The node's log lines so far (pino JSON), for assertions and failure reports. */
  logs(id: number): string {
    return this.procs.get(id)?.output.join('') ?? '';
  }

  async waitReady(id: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let last: string;
      const proc = this.procs.get(id);
      if (proc !== undefined && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
        throw new Error(`node ${id} exited (code ${proc.child.exitCode}) before it was ready:\n${this.logs(id).slice(-3000)}`);
      }
      try {
        const res = await fetch(`http://${this.endpoint(id)}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        last = JSON.stringify(await res.json());
      } catch (error) {
        last = String((error as { cause?: unknown }).cause ?? error);
      }
      if (Date.now() > deadline) throw new Error(`node ${id} not ready after ${timeoutMs} ms (${last}):\n${this.logs(id).slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async waitAllReady(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.specs.filter((s) => this.isRunning(s.id)).map((s) => this.waitReady(s.id, timeoutMs)));
  }

  isRunning(id: number): boolean {
    const proc = this.procs.get(id);
    return proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
  }

  /** SIGKILL: the node loses whatever it had not synced, as in a crash. */
  async kill9(id: number): Promise<void> {
    const proc = this.procs.get(id);
    if (proc === undefined || !this.isRunning(id)) return;
    proc.child.kill('SIGKILL');
    await proc.exited;
  }

  /** SIGTERM and wait; resolves with the exit code (0 is a clean stop). */
  async stop(id: number, timeoutMs = 30_000): Promise<number | null> {
    const proc = this.procs.get(id);
    if (proc === undefined || !this.isRunning(id)) return proc?.child.exitCode ?? null;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
    const { code } = await proc.exited;
    clearTimeout(timer);
    return code;
  }

  async stopAll(): Promise<Array<number | null>> {
    return Promise.all(this.specs.map((s) => this.stop(s.id)));
  }

  /** Kills every process this cluster spawned that is still running, and removes the data. */
  async destroy(): Promise<void> {
    await Promise.all(this.specs.map((s) => this.kill9(s.id)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
