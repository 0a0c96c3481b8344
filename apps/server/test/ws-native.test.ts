/**
 * ws masks what a client sends and unmasks it on the server byte by byte in JavaScript unless it
 * finds bufferutil, whose native code does it ~10x faster. With 64 KiB values that was 1.2x the
 * puts per second (tools/bench/README.md). bufferutil falls back to JavaScript on its own when its
 * prebuilt binary does not load, so check that ws resolves it and that it is the native build.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const requireFromWs = createRequire(createRequire(import.meta.url).resolve('ws'));

describe('WebSocket masking', () => {
  it('runs in bufferutil native code where ws looks for it', () => {
    const bufferutil = requireFromWs('bufferutil') as { mask: (...args: unknown[]) => void; unmask: (...args: unknown[]) => void };
    expect(Function.prototype.toString.call(bufferutil.mask)).toContain('[native code]');
    expect(Function.prototype.toString.call(bufferutil.unmask)).toContain('[native code]');
    // And it masks correctly: unmasking what was masked gives the bytes back.
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const key = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.alloc(100);
    bufferutil.mask(data, key, masked, 0, 100);
    expect(masked.equals(data)).toBe(false);
    bufferutil.unmask(masked, key);
    expect(masked.equals(data)).toBe(true);
  });
});
