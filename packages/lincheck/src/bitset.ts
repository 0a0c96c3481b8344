/**
 * A fixed-size set of small integers (operation ids within one key's history), packed in 32-bit
 * words. The search clones one per successful step and hashes it for the memo cache, so both are
 * kept allocation-light and branch-free.
 */
export class Bitset {
  /** Exposed read-only for MemoCache, which copies sets into its arena instead of cloning them. */
  private constructor(readonly words: Uint32Array) {}

  static ofSize(bitCount: number): Bitset {
    return new Bitset(new Uint32Array(Math.max(1, Math.ceil(bitCount / 32))));
  }

  clone(): Bitset {
    return new Bitset(this.words.slice());
  }

  set(bit: number): this {
    const i = bit >>> 5;
    this.words[i] = (this.words[i] ?? 0) | (1 << (bit & 31));
    return this;
  }

  clear(bit: number): this {
    const i = bit >>> 5;
    this.words[i] = (this.words[i] ?? 0) & ~(1 << (bit & 31));
    return this;
  }

  has(bit: number): boolean {
    return (((this.words[bit >>> 5] ?? 0) >>> (bit & 31)) & 1) === 1;
  }

  count(): number {
    let n = 0;
    for (const word of this.words) {
      let w = word;
      w -= (w >>> 1) & 0x55555555;
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }

  equals(other: Bitset): boolean {
    const a = this.words;
    const b = other.words;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** FNV-1a over the words, with a final avalanche so nearby sets land in different buckets. */
  hash(): number {
    let h = 0x811c9dc5;
    for (const w of this.words) {
      h = Math.imul(h ^ w, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0;
  }
}
