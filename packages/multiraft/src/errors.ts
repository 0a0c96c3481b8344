/**
 * The errors a caller of the Store handles. Every expected failure is a StoreError with one of
 * these codes and a message a user can act on; the api layer maps them onto tRPC errors in one
 * place. Broken invariants are assertions, never StoreErrors.
 */
export type StoreErrorCode =
  | 'NOT_LEADER' // this node does not lead the partition; data.leaderHint names the node that may
  | 'UNAVAILABLE' // no quorum or no leader known; retry later
  | 'CONDITION_FAILED' // ifVersion did not match; data.currentVersion holds the version now
  | 'TIMEOUT' // the deadline passed; the outcome of a write is unknown (retry with the same session seq)
  | 'TOO_LARGE' // a key, value, batch or message over its limit
  | 'BAD_REQUEST' // malformed input
  | 'COMPACTED'; // a watch asked for revisions the log no longer holds

export interface StoreErrorData {
  readonly partition?: number;
  readonly leaderHint?: number;
  readonly leaderAddress?: string;
  readonly currentVersion?: number;
  readonly compactedRevision?: number;
  readonly retryAfterMs?: number;
  /** On TOO_LARGE: the answer, not the request, passed this limit (ask for less at once). */
  readonly answerLimitBytes?: number;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly data: StoreErrorData = {},
  ) {
    super(message);
  }

  /** Whether the same request may be sent again (writes only with their session sequence). */
  get retryable(): boolean {
    return this.code === 'NOT_LEADER' || this.code === 'UNAVAILABLE' || this.code === 'TIMEOUT';
  }
}
