/**
 * The README's `npm start`, as a newcomer runs it: the real `npm start` in its own process group
 * (a terminal's), with the base port and data directory moved by its environment variables so the
 * test touches neither ./data nor ports 7000-8003. It must print the endpoints and a copy-paste
 * example that works as printed; Ctrl-C (SIGINT to the group, as a terminal sends it) must stop
 * all three nodes cleanly; a second `npm start` must resume with the data.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '@ringkv/client';
import { REPO_ROOT } from '../src/process-cluster';
import { portIsFree } from '../src/ports';

const READY_TIMEOUT_MS = 100_000;
const STOP_TIMEOUT_MS = 30_000;

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when every process holding npm's stdout (npm, its shell, the script) has exited. */
  readonly outputClosed: Promise<void>;
  output: string;
}

const dataDir = join(mkdtempSync(join(tmpdir(), 'ringkv-npm-start-')), 'data');
let running: Started | undefined;

afterAll(async () => {
  if (running !== undefined) await stop(running).catch(() => undefined);
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
});

/** A base port whose six ports (peers base+1..3, API base+1001..1003) are all free now. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = [1, 2, 3].flatMap((n) => [base + n, base + 1000 + n]);
    let free = true;
    for (const port of ports) free &&= await portIsFree(port);
    if (free) return base;
  }
  throw new Error('no free block of ports for npm start');
}

function npmStart(basePort: number): Started {
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, RINGKV_START_BASE_PORT: String(basePort), RINGKV_START_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a terminal's foreground job: Ctrl-C reaches npm and the script.
    detached: true,
  });
  const started: Started = {
    child,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    outputClosed: new Promise((resolve) => child.stdout!.on('close', () => resolve())),
    output: '',
  };
  child.stdout!.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  running = started;
  return started;
}

async function waitFor(started: Started, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output.includes(text)) {
    if (started.child.exitCode !== null) throw new Error(`npm start exited (${started.child.exitCode}) before printing "${text}":\n${started.output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not print "${text}" within ${timeoutMs} ms:\n${started.output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Ctrl-C: SIGINT to the whole process group, as a terminal sends it. Resolves with npm's own end
 * once the script has exited too (npm ends by the signal, as after any Ctrl-C in a terminal; the
 * script's verdict is in its output).
 */
async function stop(started: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(-started.child.pid!, 'SIGINT');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`npm start still running ${STOP_TIMEOUT_MS} ms after Ctrl-C:\n${started.output}`)), STOP_TIMEOUT_MS).unref());
  const [result] = await Promise.race([Promise.all([started.exited, started.outputClosed]), timeout]);
  running = undefined;
  return result;
}

/** npm's end after Ctrl-C: 0, or killed by the SIGINT it forwarded (never another code or signal). */
function endedByCtrlC(end: { code: number | null; signal: NodeJS.Signals | null }): boolean {
  return end.code === 0 || (end.code === null && end.signal === 'SIGINT');
}

/** Runs a printed `node --import tsx -e "..."` snippet as a user pastes it, from the repository. */
async function runSnippet(code: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code: exitCode, output };
}

describe('npm start', () => {
  it('starts three nodes, prints a working example, stops cleanly on Ctrl-C and resumes with the data', { timeout: 2 * READY_TIMEOUT_MS + 3 * STOP_TIMEOUT_MS }, async () => {
    const basePort = await freeBasePort();
    const api = [1, 2, 3].map((n) => `127.0.0.1:${basePort + 1000 + n}`);

    const first = npmStart(basePort);
    await waitFor(first, 'RingKV is ready.', READY_TIMEOUT_MS);
    for (const endpoint of api) expect(first.output).toContain(`http://${endpoint}`);
    expect(first.output).toContain(`${dataDir}/node-1.log`);

    // The printed curl line's URL answers.
    const curlUrl = /curl -s '([^']+)'/.exec(first.output)?.[1];
    expect(curlUrl).toBe(`http://${api[0]}/trpc/cluster.health`);
    expect((await fetch(curlUrl!, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);

    // The printed SDK example, exactly as printed, writes and reads back its key.
    const snippet = /node --import tsx -e "\n([\s\S]*?)\n\s*"\n/.exec(first.output)?.[1];
    expect(snippet).toContain(`endpoints: ['${api[0]}']`);
    const example = await runSnippet(snippet!);
    expect(example.output).toContain("value: 'hello, ring'");
    expect(example.code).toBe(0);

    // Ctrl-C: every node hands off, flushes and exits 0; so does npm start.
    const stopped = await stop(first);
    for (const n of [1, 2, 3]) expect(first.output).toContain(`node ${n}: stopped cleanly`);
    expect(first.output).toContain('all nodes stopped');
    expect(first.output).not.toContain('did not stop cleanly');
    expect(endedByCtrlC(stopped), JSON.stringify(stopped)).toBe(true);
    for (const n of [1, 2, 3]) expect(existsSync(join(dataDir, `node-${n}`))).toBe(true);

    // Starting again resumes with the data, served through every node.
    const second = npmStart(basePort);
    await waitFor(second, 'RingKV is ready.', READY_TIMEOUT_MS);
    const client = createClient({ endpoints: api });
    try {
      expect((await client.get('greeting'))?.value).toBe('hello, ring');
    } finally {
      await client.close();
    }
    expect(endedByCtrlC(await stop(second))).toBe(true);
    for (const n of [1, 2, 3]) expect(second.output).toContain(`node ${n}: stopped cleanly`);
    expect(second.output).toContain('all nodes stopped');
  });
});
