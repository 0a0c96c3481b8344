/**
 * Callers waiting on the round loop: writes waiting for their entry to apply, reads waiting for
 * a ReadIndex confirmation and then for the apply to catch up. Each has a deadline; each is
 * answered exactly once (resolve, reject, or the deadline), never dropped.
 */
import type { Answer } from './commands';
import type { StoreError } from './errors';

export interface ProposalWaiter {
  readonly term: number;
  readonly deadlineMs: number;
  resolve(answer: Answer): void;
  reject(error: StoreError): void;
}

export interface QueuedProposal {
  readonly data: Uint8Array;
  /** Absent for the Store's own proposals (expiry), which nobody waits for. */
  readonly waiter?: Omit<ProposalWaiter, 'term'>;
}

export interface ReadWaiter {
  readonly deadlineMs: number;
  resolve(): void;
  reject(error: StoreError): void;
}
