/** The wire codec's base64 check: strict padded RFC 4648 base64, and fast on large values. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64DecodedLength, base64ToBytes, isBase64 } from '../src/wire';

/** The definition the check must agree with (the regular expression it replaced). */
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('isBase64', () => {
  it('accepts what Buffer encodes, and decodes it back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(isBase64(text)).toBe(true);
        expect(base64DecodedLength(text)).toBe(bytes.length);
        expect([...base64ToBytes(text)]).toEqual([...bytes]);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the padded-base64 grammar on arbitrary strings over a mixed alphabet', () => {
    const chars = fc.constantFrom(...'ABCxyz09+/=-_ \n\u00e9\u{1f600}'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 16 }), (list) => {
        const text = list.join('');
        expect(isBase64(text)).toBe(PADDED_BASE64.test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses the URL-safe alphabet, misplaced padding, a wrong length and non-ASCII', () => {
    for (const bad of ['ab-_', 'a=bc', '====', 'A===', 'abc', 'abcde', 'ab\u00e9=', 'ab c', 'abc==']) expect(isBase64(bad), bad).toBe(false);
    for (const good of ['', 'abcd', 'ab==', 'abc=', 'ab+/AB==']) expect(isBase64(good), good).toBe(true);
  });

  it('checks a whole 1 MiB value, down to one bad character at its end', () => {
    const text = Buffer.alloc(1024 * 1024, 7).toString('base64');
    expect(isBase64(text)).toBe(true);
    expect(isBase64(`${text.slice(0, -4)}AB-=`)).toBe(false);
  });
});
