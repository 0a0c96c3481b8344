/**
 * Callers waiting on the round loop: writes waiting for their entry to apply, reads waiting for
 * a ReadIndex confirmation and then for the apply to catch up. Each has a deadline; each is
 * answered exactly once (resolve, reject, or the deadline), never dropped.
 */
import { assert } from '@ringkv/stdx';
import type { Answer } from './commands';
import type { StoreError } from './errors';

/** What in-flight writes hold of a node's limits, given back as each is answered. */
export interface InflightBudget {
  release(sizeBytes: number): void;
}

/**
 * A client write from its proposal to its answer: its promise settles exactly once, and its bytes
 * go back to the node's in-flight budget then. A class rather than closures made per write: the
 * nodes run TypeScript through tsx, whose esbuild output names every closure bound to a name
 * (`const f = () => ...`, `{ resolve: () => ... }`) with an Object.defineProperty call each time
 * it is made, ~3 % of a node's main thread under puts (perf).
 */
export class WriteWaiter {
  /** The term the entry was proposed in (set by proposeQueued). */
  term = 0;
  readonly promise: Promise<Answer>;
  private settled = false;
  private resolvePromise!: (answer: Answer) => void;
  private rejectPromise!: (error: StoreError) => void;

  constructor(
    readonly deadlineMs: number,
    private readonly sizeBytes: number,
    private readonly budget: InflightBudget,
  ) {
    this.promise = new Promise<Answer>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
  }

  resolve(answer: Answer): void {
    this.finish();
    this.resolvePromise(answer);
  }

  reject(error: StoreError): void {
    this.finish();
    this.rejectPromise(error);
  }

  private finish(): void {
    assert(!this.settled, 'a proposal was answered twice');
    this.settled = true;
    this.budget.release(this.sizeBytes);
  }
}

export interface QueuedProposal {
  readonly data: Uint8Array;
  /** Absent for the Store's own proposals (expiry), which nobody waits for. */
  readonly waiter?: WriteWaiter;
}

export interface ReadWaiter {
  readonly deadlineMs: number;
  resolve(): void;
  reject(error: StoreError): void;
}
