/**
 * The root's postinstall (scripts/build-classic-level.mjs) rebuilds classic-level's LevelDB with the
 * CPU's CRC32C instruction where there is one; node-gyp-build then loads that build instead of the
 * prebuilt binary, whose LevelDB checksums in software. This fails if the install stopped doing so
 * on a machine that can (the build falls back quietly, so nothing else would say).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const dir = dirname(require.resolve('classic-level/package.json'));
const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const canBuild = process.platform === 'linux' && process.arch === 'x64' && /\bsse4_2\b/.test(cpuinfo) && process.env['RINGKV_PREBUILT_LEVELDB'] !== '1';

/** SSE4.2 `crc32` instructions in machine code: F2, an optional REX prefix, 0F 38 F0/F1. */
function crc32Instructions(code: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + 4 < code.length; i++) {
    if (code[i] !== 0xf2) continue;
    let j = i + 1;
    if (code[j]! >= 0x40 && code[j]! <= 0x4f) j++;
    if (code[j] === 0x0f && code[j + 1] === 0x38 && (code[j + 2] === 0xf0 || code[j + 2] === 0xf1)) n++;
  }
  return n;
}

describe.runIf(canBuild)('LevelDB as installed', () => {
  it("is classic-level built here with the CPU's CRC32C, which node-gyp-build loads before the prebuilt binary", () => {
    const built = join(dir, 'build', 'Release', 'classic_level.node');
    expect(existsSync(built)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'build', 'ringkv-build.json'), 'utf8')).flags).toContain('-DLEVELDB_PLATFORM_POSIX_SSE');
    expect(crc32Instructions(readFileSync(built))).toBeGreaterThan(0);
    // What the build is for: the prebuilt binary has none.
    expect(crc32Instructions(readFileSync(join(dir, 'prebuilds', 'linux-x64', 'classic-level.node')))).toBe(0);
  });
});
