/**
 * How keys and values travel over tRPC's JSON. The SDK may only `import type` from this package,
 * so it re-implements this tiny codec (packages/client/src/values.ts); both sides follow the
 * shapes below, documented in ../README.md:
 * - a key is a string (its UTF-8 bytes are the key) or `{ bytes: base64 }`;
 * - a value is `{ type: 'string', data }`, `{ type: 'json', data }` or `{ type: 'bytes', data: base64 }`.
 * A key read back is a string when its bytes are valid UTF-8, else `{ bytes }`.
 */
import { utf8Decode, utf8EncodeCarved } from '@ringkv/stdx';
import type { Value } from '@ringkv/multiraft';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type WireKey = string | { readonly bytes: string };
export type WireValue =
  | { readonly type: 'string'; readonly data: string }
  | { readonly type: 'json'; readonly data: JsonValue }
  | { readonly type: 'bytes'; readonly data: string };

/** A string key is carved (stdx carveBytes): it goes on to the ring's hash and LevelDB, native calls. */
export function keyFromWire(key: WireKey): Uint8Array {
  return typeof key === 'string' ? utf8EncodeCarved(key) : base64ToBytes(key.bytes);
}

export function keyToWire(key: Uint8Array): WireKey {
  try {
    return utf8Decode(key);
  } catch {
    return { bytes: bytesToBase64(key) };
  }
}

export function valueFromWire(value: WireValue): Value {
  switch (value.type) {
    case 'string':
      return value.data;
    case 'json':
      return value.data;
    case 'bytes':
      return base64ToBytes(value.data);
  }
}

export function valueToWire(value: Value): WireValue {
  if (typeof value === 'string') return { type: 'string', data: value };
  if (value instanceof Uint8Array) return { type: 'bytes', data: bytesToBase64(value) };
  return { type: 'json', data: value };
}

/** 1 for each character of base64's alphabet (RFC 4648 §4, not the URL-safe one), by char code. */
const BASE64_ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Whether `text` is padded base64. A loop over char codes, not a regular expression: the pattern
 * `^(?:[A-Za-z0-9+/]{4})*(...)?$` cost 13-27 ms per 1 MiB value on a node (V8 runs a regular
 * expression's first calls, and again after its code is flushed, in its bytecode interpreter),
 * the largest part of a 1 MiB put's CPU on its leader; this loop takes ~2 ms.
 */
export function isBase64(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) end = text.charCodeAt(n - 2) === 0x3d ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f || BASE64_ALPHABET[c] === 0) return false;
  }
  return true;
}

/** Decoded size of a valid base64 string, without decoding it. */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

export function base64ToBytes(text: string): Uint8Array {
  const buf = Buffer.from(text, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
