// `npm ci` / `npm install` (the root's postinstall): rebuilds classic-level's LevelDB from the
// source its package ships, with the CPU's CRC32C instruction.
//
// Why: classic-level's prebuilt binary is built without LevelDB's SSE4.2 port, so LevelDB
// checksums every record it writes (its WAL, every flush, every compaction) in software. Under
// 64 KiB puts that was 16 % of the machine's CPU (`perf`); built here with `-msse4.2
// -DLEVELDB_PLATFORM_POSIX_SSE` (LevelDB's own switch for it), 64 KiB puts gained 1.173x with
// 0.851x the server CPU per put (tools/bench/README.md, 2026-12-05). The checksum is the same
// function, so files written by either binary read in the other.
//
// node-gyp-build loads `build/Release` before the prebuilt binary, so the build takes effect just
// by existing. Anything that goes wrong leaves no build behind (the prebuilt binary is used, and
// this says why): another platform, a CPU without SSE4.2, no compiler, a build that fails or does
// not pass a put/get check. RINGKV_PREBUILT_LEVELDB=1 skips the build. A stamp in the build
// directory skips it when the same classic-level was already built with the same flags.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const FLAGS = '-msse4.2 -DLEVELDB_PLATFORM_POSIX_SSE';
const STAMP = 'ringkv-build.json';
const BUILD_TIMEOUT_MS = 10 * 60_000;

const say = (message) => console.log(`ringkv: ${message}`);

function main() {
  const dir = dirname(require.resolve('classic-level/package.json'));
  const buildDir = join(dir, 'build');
  if (process.env.RINGKV_PREBUILT_LEVELDB === '1') {
    rmSync(buildDir, { recursive: true, force: true });
    return say("RINGKV_PREBUILT_LEVELDB=1: using classic-level's prebuilt LevelDB");
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') return say(`keeping classic-level's prebuilt LevelDB on ${process.platform}-${process.arch}`);
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Unreadable: treat as no SSE4.2.
  }
  if (!/\bsse4_2\b/.test(cpuinfo)) return say("this CPU has no SSE4.2: keeping classic-level's prebuilt LevelDB (software CRC32C)");

  const stamp = JSON.stringify({ classicLevel: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version, flags: FLAGS });
  const stampPath = join(buildDir, STAMP);
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp && existsSync(join(buildDir, 'Release', 'classic_level.node'))) {
    return say('classic-level already built with the CPU\'s CRC32C');
  }

  const nodeGyp = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')].find(
    (p) => p !== undefined && p !== '' && existsSync(p),
  );
  if (nodeGyp === undefined) return say("node-gyp not found: keeping classic-level's prebuilt LevelDB");

  say('building classic-level\'s LevelDB with the CPU\'s CRC32C (about 15 s; RINGKV_PREBUILT_LEVELDB=1 skips this)');
  const cxxflags = [process.env.CXXFLAGS, FLAGS].filter((f) => f !== undefined && f !== '').join(' ');
  // Node's headers: npm passes its nodedir setting down; run by hand, this node's own install has
  // them (node-gyp would otherwise try to download them).
  const prefix = dirname(dirname(process.execPath));
  const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined);
  const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '-j', '2', ...(nodedir === undefined ? [] : [`--nodedir=${nodedir}`])], {
    cwd: dir,
    env: { ...process.env, CXXFLAGS: cxxflags },
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  if (build.status !== 0) return giveUp(buildDir, `the build failed (${build.error?.message ?? `exit ${build.status}`}): ${lastLines(build.stderr)}`);

  // The built module, loaded in a fresh process: a put and a get through it, and it is the one
  // node-gyp-build picks.
  const check = spawnSync(process.execPath, ['-e', CHECK], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (check.status !== 0 || !check.stdout.includes('ok')) return giveUp(buildDir, `the built module failed its check: ${lastLines(check.stderr || check.stdout)}`);
  writeFileSync(stampPath, stamp);
  say('classic-level built with the CPU\'s CRC32C');
}

const CHECK = `
const { mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const binding = require('node-gyp-build').resolve('.');
if (!binding.includes('/build/Release/')) throw new Error('node-gyp-build picks ' + binding);
const { ClassicLevel } = require('.');
const dir = mkdtempSync(join(tmpdir(), 'ringkv-leveldb-check-'));
(async () => {
  const db = new ClassicLevel(dir, { valueEncoding: 'utf8' });
  await db.put('k', 'v'.repeat(70000));
  await db.close();
  const again = new ClassicLevel(dir, { valueEncoding: 'utf8' });
  const value = await again.get('k');
  await again.close();
  rmSync(dir, { recursive: true, force: true });
  if (value !== 'v'.repeat(70000)) throw new Error('read back something else');
  console.log('ok');
})().catch((e) => { console.error(e); process.exit(1); });
`;

function lastLines(text) {
  return (text ?? '').trim().split('\n').slice(-5).join(' | ');
}

function giveUp(buildDir, why) {
  rmSync(buildDir, { recursive: true, force: true });
  say(`${why}; keeping classic-level's prebuilt LevelDB (software CRC32C)`);
}

main();
