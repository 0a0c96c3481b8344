/** Process and port helpers for starting clusters on loopback. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** Ports the OS says are free right now (bound and released; good enough on loopback). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Thrown by a readiness check when waiting longer cannot help (a process exited). */
export class StartFailed extends Error {
  override readonly name = 'StartFailed';
}

/**
 * Retries `check` until it returns true; throws the last failure when `timeoutMs` passes, or at
 * once when the check throws StartFailed.
 */
export async function waitUntil(timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof StartFailed) throw error;
      last = error;
    }
    await delay(100);
  }
  throw new Error(`not ready within ${timeoutMs} ms${last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`}`);
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
