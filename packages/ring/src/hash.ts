/**
 * The one module that touches the hash library. Keys and token labels are hashed with xxHash32
 * from @node-rs/xxhash: measured fastest of the library's xxh32 / xxh64 / xxh3 for 16-byte keys
 * (it returns a plain number, the 64-bit variants allocate a BigInt per call).
 *
 * @node-rs/xxhash is a native addon, so it cannot load in a browser. Everything else in this
 * package reaches the hash only through these two functions, so a browser build swaps this one
 * file (e.g. a bundler alias to a module with the same exports over a WASM xxHash32) and nothing
 * else. Whatever replaces it must give bit-identical results, or clients and nodes disagree.
 */
import { xxh32 } from '@node-rs/xxhash';

/** Fixed forever: changing the seed moves every key to another partition. */
const KEY_SEED = 0;
const TOKEN_SEED = 0x52494e47; // "RING"

/**
 * Unsigned 32-bit hash of a key's bytes. A string is hashed as its UTF-8 bytes (the addon encodes
 * it), so a key given as a string and as its UTF-8 bytes land on the same partition.
 */
export function hashKey(key: Uint8Array | string): number {
  return xxh32(key, KEY_SEED);
}

/** Unsigned 32-bit hash of a label, for placing a node's virtual-node tokens on the ring. */
export function hashLabel(label: string): number {
  return xxh32(label, TOKEN_SEED);
}
