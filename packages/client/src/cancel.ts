/**
 * The SDK's own cancellation for one attempt: a flag, a reason and the few callbacks waiting on
 * it. An AbortController and its AbortSignal cost an EventTarget, listener records and, on
 * abort, a DOMException; three of them per operation were a fifth of the client's CPU at a few
 * thousand operations per second. AbortSignal stays at the public boundary only: a caller's
 * optional `signal` is linked to a token (`linkAbortSignal`) when, and only when, one is passed.
 */
import { abortReason } from './environment';
import type { RingKVError } from './errors';

export type CancelListener = (reason: RingKVError) => void;

/** The read side, what a transport sees: whether the attempt must stop, and a way to be told. */
export interface CancelSignal {
  readonly cancelled: boolean;
  /** Why it was cancelled (TIMEOUT, ABORTED, ...); undefined until then. */
  readonly reason: RingKVError | undefined;
  /** Calls `listener` once when cancelled, or at once (synchronously) if it already is. */
  listen(listener: CancelListener): void;
  /** Forgets a listener that has not run yet (a no-op otherwise). */
  unlisten(listener: CancelListener): void;
}

export class CancelToken implements CancelSignal {
  private cancelReason: RingKVError | undefined = undefined;
  // Nearly every token has at most one or two listeners: no array until a second one comes.
  private first: CancelListener | undefined = undefined;
  private rest: CancelListener[] | undefined = undefined;

  get cancelled(): boolean {
    return this.cancelReason !== undefined;
  }

  get reason(): RingKVError | undefined {
    return this.cancelReason;
  }

  listen(listener: CancelListener): void {
    if (this.cancelReason !== undefined) {
      listener(this.cancelReason);
      return;
    }
    if (this.first === undefined) this.first = listener;
    else (this.rest ??= []).push(listener);
  }

  unlisten(listener: CancelListener): void {
    if (this.first === listener) {
      this.first = this.rest?.shift();
      return;
    }
    const rest = this.rest;
    if (rest === undefined) return;
    const i = rest.indexOf(listener);
    if (i >= 0) rest.splice(i, 1);
  }

  /** Cancels once (later calls keep the first reason) and runs the listeners in the order added. */
  cancel(reason: RingKVError): void {
    if (this.cancelReason !== undefined) return;
    this.cancelReason = reason;
    const first = this.first;
    const rest = this.rest;
    this.first = undefined;
    this.rest = undefined;
    first?.(reason);
    if (rest !== undefined) for (const listener of rest) listener(reason);
  }
}

/** A signal that never fires (a call nobody will cancel). */
export const NEVER_CANCELLED: CancelSignal = {
  cancelled: false,
  reason: undefined,
  listen: () => undefined,
  unlisten: () => undefined,
};

/**
 * Cancels `token` when the caller's `signal` fires (at once if it already has). Returns the
 * function that removes the listener again: call it when the work ends, so a long-lived signal
 * shared by many operations does not collect one listener per operation.
 */
export function linkAbortSignal(signal: AbortSignal, token: CancelToken): () => void {
  if (signal.aborted) {
    token.cancel(abortReason(signal));
    return noop;
  }
  const onAbort = (): void => token.cancel(abortReason(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function noop(): void {}

/**
 * Waits for `promise`, or rejects with the token's reason as soon as it is cancelled, whatever
 * the promise does after that (the deadline holds even over a transport that ignores the token).
 */
export function untilCancelled<T>(promise: Promise<T>, token: CancelSignal): Promise<T> {
  if (token.cancelled) return Promise.reject(token.reason);
  return new Promise<T>((resolve, reject) => {
    // Settling twice is a no-op, so neither side needs to detach the other: the token lives only
    // as long as its attempt.
    token.listen(reject);
    promise.then(resolve, reject);
  });
}
