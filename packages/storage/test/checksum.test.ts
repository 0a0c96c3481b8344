/** The JavaScript CRC32C used for short inputs is the native one, byte for byte. */
import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_SIZE_BYTES, checksum, crc32cJs, recordIntact, sealRecord } from '../src/checksum';

const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 600 }));

describe('checksum', () => {
  it('computes CRC32C as @node-rs/crc32 does, from any start and continuing any CRC', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat({ max: 0xffffffff }), (data, startSeed, crc) => {
        const start = data.length === 0 ? 0 : startSeed % data.length;
        expect(crc32cJs(data, start, data.length, crc)).toBe(crc32c(data.subarray(start), crc));
      }),
      { numRuns: 500 },
    );
    // The standard check value of CRC32C.
    expect(crc32cJs(new TextEncoder().encode('123456789'), 0, 9, 0)).toBe(0xe3069283);
  });

  it('seals and checks records as the native CRC of the key then the body, at every length', () => {
    fc.assert(
      fc.property(bytes, fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined }), (body, seed) => {
        const record = new Uint8Array(CHECKSUM_SIZE_BYTES + body.length);
        record.set(body, CHECKSUM_SIZE_BYTES);
        sealRecord(record, seed);
        const expected = seed === undefined ? crc32c(body) : crc32c(body, crc32c(seed));
        expect(new DataView(record.buffer).getUint32(0, true)).toBe(expected);
        expect(checksum(body, seed)).toBe(expected);
        expect(recordIntact(record, seed)).toBe(true);
        if (body.length > 0) {
          record[CHECKSUM_SIZE_BYTES + (body.length >> 1)]! ^= 0x01;
          expect(recordIntact(record, seed)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
