/**
 * node-flags.json is the one list of Node/V8 flags a node runs with: the launchers read it, and
 * the bin's shebang must carry the same flags (a shebang cannot read a file).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SERVER_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const FLAGS = JSON.parse(readFileSync(join(SERVER_DIR, 'node-flags.json'), 'utf8')) as string[];
const BIN = join(SERVER_DIR, 'bin/ringkv-server.mjs');

describe('node flags', () => {
  it('are what the bin runs with', () => {
    const shebang = readFileSync(BIN, 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${FLAGS.join(' ')}`);
  });

  it('are flags this Node accepts, and the bin starts with them', async () => {
    const check = await promisify(execFile)(process.execPath, [...FLAGS, '-e', 'process.stdout.write("ok")']);
    expect(check.stdout).toBe('ok');
    const help = await promisify(execFile)(BIN, ['--help']);
    expect(help.stdout).toContain('Usage: ringkv-server');
  }, 30_000);
});
