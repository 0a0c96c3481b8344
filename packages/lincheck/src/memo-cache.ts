import type { Bitset } from './bitset';

const EMPTY = -1;

/**
 * Lowe's memo: the set of (linearized operations, model state) configurations already explored.
 * The search adds one entry per successful step (hundreds of thousands on hard histories), so the
 * bitsets live in one growing Uint32Array arena and the hash chains in typed arrays: no object per
 * entry, which keeps the garbage collector out of the search.
 */
export class MemoCache<S> {
  private readonly wordsPerSet: number;
  private arena: Uint32Array;
  private hashes: Uint32Array;
  private stateHashes: Uint32Array;
  private chain: Int32Array;
  private buckets: Int32Array;
  private readonly states: S[] = [];
  private count = 0;

  constructor(
    bitCount: number,
    private readonly equalStates: (a: S, b: S) => boolean,
    initialCapacity = 1024,
  ) {
    this.wordsPerSet = Math.max(1, Math.ceil(bitCount / 32));
    this.arena = new Uint32Array(initialCapacity * this.wordsPerSet);
    this.hashes = new Uint32Array(initialCapacity);
    this.stateHashes = new Uint32Array(initialCapacity);
    this.chain = new Int32Array(initialCapacity);
    this.buckets = new Int32Array(initialCapacity * 2).fill(EMPTY);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds the configuration unless present. Returns true if it was new. `set` is copied, so the
   * caller may keep mutating it.
   */
  addIfAbsent(set: Bitset, state: S, stateHash: number): boolean {
    const words = set.words;
    if (words.length !== this.wordsPerSet) throw new Error('MemoCache: bitset of the wrong size');
    const w = this.wordsPerSet;
    let h = 0x811c9dc5 ^ stateHash;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ (words[i] ?? 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d) >>> 0;
    const mask = this.buckets.length - 1;
    for (let e = this.buckets[h & mask] ?? EMPTY; e !== EMPTY; e = this.chain[e] ?? EMPTY) {
      if (this.hashes[e] !== h || this.stateHashes[e] !== stateHash) continue;
      const base = e * w;
      let same = true;
      for (let i = 0; i < w; i++) {
        if (this.arena[base + i] !== words[i]) {
          same = false;
          break;
        }
      }
      if (same && this.equalStates(this.states[e] as S, state)) return false;
    }
    if (this.count === this.hashes.length) this.grow();
    const e = this.count++;
    this.arena.set(words, e * w);
    this.hashes[e] = h;
    this.stateHashes[e] = stateHash;
    this.states.push(state);
    const b = h & (this.buckets.length - 1);
    this.chain[e] = this.buckets[b] ?? EMPTY;
    this.buckets[b] = e;
    return true;
  }

  private grow(): void {
    const capacity = this.hashes.length * 2;
    const arena = new Uint32Array(capacity * this.wordsPerSet);
    arena.set(this.arena);
    this.arena = arena;
    const hashes = new Uint32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const stateHashes = new Uint32Array(capacity);
    stateHashes.set(this.stateHashes);
    this.stateHashes = stateHashes;
    this.chain = new Int32Array(capacity);
    this.buckets = new Int32Array(capacity * 2).fill(EMPTY);
    const mask = this.buckets.length - 1;
    for (let e = 0; e < this.count; e++) {
      const b = (this.hashes[e] ?? 0) & mask;
      this.chain[e] = this.buckets[b] ?? EMPTY;
      this.buckets[b] = e;
    }
  }
}
