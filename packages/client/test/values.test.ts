/**
 * The SDK's base64 codecs: every one the runtime may offer gives the same text and the same bytes
 * back, as a plain Uint8Array, and refuses what the server never sends. In Node the SDK must pick
 * Buffer's (atob there is a JavaScript loop: ~30 ms of CPU per MiB read).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingKVError } from '../src/errors';
import type { Base64Codec } from '../src/values';
import { fromBase64, pickBase64Codec, toBase64 } from '../src/values';

const bufferCodec = pickBase64Codec({ Buffer });
const atobCodec = pickBase64Codec({});
// A stand-in for Uint8Array.fromBase64/toBase64 (newer browsers; not in Node 20), to check its wiring.
const nativeCodec = pickBase64Codec({
  Buffer,
  Uint8Array: {
    fromBase64: (text: string) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new SyntaxError('bad base64');
      return new Uint8Array(Buffer.from(text, 'base64'));
    },
    prototype: {
      toBase64(this: Uint8Array) {
        return Buffer.from(this).toString('base64');
      },
    },
  },
});
const codecs: Base64Codec[] = [nativeCodec, bufferCodec, atobCodec];

describe('base64 codecs', () => {
  it('are picked by what the runtime has', () => {
    expect(codecs.map((c) => c.name)).toEqual(['native', 'buffer', 'atob']);
  });

  it('agree with each other and round-trip any bytes, including offset views', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, offset) => {
        const view = new Uint8Array(offset + bytes.length);
        view.set(bytes, offset);
        const sub = view.subarray(offset);
        const texts = codecs.map((c) => c.encode(sub));
        expect(new Set(texts).size).toBe(1);
        expect(texts[0]).toBe(Buffer.from(bytes).toString('base64'));
        for (const c of codecs) {
          const back = c.decode(texts[0]!);
          expect(back.constructor).toBe(Uint8Array);
          expect(Array.from(back)).toEqual(Array.from(bytes));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decode small values into memory of their own (not a view of a shared pool)', () => {
    for (const c of codecs) {
      const back = c.decode(Buffer.from([1, 2, 3]).toString('base64'));
      expect(back.buffer.byteLength, c.name).toBe(3);
      expect(back.byteOffset, c.name).toBe(0);
    }
  });

  it('round-trip a 1 MiB value', () => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7919) & 0xff);
    for (const c of codecs) expect(Buffer.from(c.decode(c.encode(big))).equals(Buffer.from(big))).toBe(true);
  });

  it('refuse text that is not base64 with INTERNAL', () => {
    for (const c of codecs) {
      for (const bad of ['ab!d', 'a=bc', 'Y*==']) {
        const error = (() => {
          try {
            c.decode(bad);
            return undefined;
          } catch (e) {
            return e;
          }
        })();
        expect(error, `${c.name} on ${bad}`).toBeInstanceOf(RingKVError);
        expect((error as RingKVError).code).toBe('INTERNAL');
      }
    }
  });

  it('in Node, the SDK uses Buffer: unpadded text (which atob takes) is refused', () => {
    expect(atobCodec.decode('YQ')).toEqual(new Uint8Array([97]));
    expect(() => fromBase64('YQ')).toThrow(/not valid base64/);
    expect(fromBase64(toBase64(new Uint8Array([1, 2, 3])))).toEqual(new Uint8Array([1, 2, 3]));
  });
});
