/**
 * Real node processes for the SDK's integration test: three `apps/server` nodes on loopback with
 * temporary data directories (spawned by path: packages never import apps).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER_MAIN = join(ROOT, 'apps/server/src/main.ts');

export interface LocalCluster {
  readonly endpoints: readonly string[];
  /** SIGKILL one node (by index). */
  kill(index: number): void;
  stop(): Promise<void>;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function startLocalCluster(partitions: number, readyTimeoutMs = 60_000): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-client-it-'));
  const ports = await freePorts(6);
  const api = (i: number): string => `127.0.0.1:${ports[i]}`;
  const peer = (i: number): string => `127.0.0.1:${ports[3 + i]}`;
  const members = [0, 1, 2].map((i) => `${i + 1}=${peer(i)}/${api(i)}`).join(',');
  const logs = ['', '', ''];
  const children: ChildProcess[] = [0, 1, 2].map((i) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', SERVER_MAIN, '--id', String(i + 1), '--data-dir', join(dir, `n${i + 1}`), '--initial-cluster', members,
        '--partitions', String(partitions), '--log-level', 'warn', '--cluster-id', 'client-it'],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (logs[i] = (logs[i]! + d.toString()).slice(-3000)));
    return child;
  });
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    const exited = children.findIndex((c) => c.exitCode !== null);
    if (exited >= 0) {
      await stop();
      throw new Error(`node ${exited + 1} exited during start: ${logs[exited]}`);
    }
    const ready = await Promise.all([0, 1, 2].map((i) => fetch(`http://${api(i)}/readyz`).then((r) => r.ok, () => false)));
    if (ready.every(Boolean)) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`cluster not ready within ${readyTimeoutMs} ms: ${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { endpoints: [0, 1, 2].map(api), kill: (i) => children[i]!.kill('SIGKILL'), stop };
}
