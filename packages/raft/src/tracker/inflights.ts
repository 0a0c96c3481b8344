/**
 * The indexes of MsgApps sent to one follower but not yet acknowledged: a bounded window, so a
 * leader never floods a slow follower (flow control).
 */
import { assert } from '@ringkv/stdx';

export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;

  constructor(readonly capacity: number) {
    assert(capacity > 0, 'maxInflightMsgs must be > 0');
    this.buffer = new Array<number>(capacity).fill(0);
  }

  /** Records a MsgApp whose last entry is `index`; indexes must be added in increasing order. */
  add(index: number): void {
    assert(!this.full(), 'cannot add into a full inflights window');
    this.buffer[(this.start + this.count) % this.capacity] = index;
    this.count++;
  }

  /** Frees every inflight message whose last index is <= to. */
  freeLE(to: number): void {
    while (this.count > 0 && this.buffer[this.start]! <= to) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  reset(): void {
    this.count = 0;
    this.start = 0;
  }
}
