/**
 * One error class for everything a caller of the SDK handles. Server failures arrive with a code
 * and data (a leader hint, the current version); the SDK adds its own for what happens on the
 * client side (the overall deadline passed, the client was closed, the caller aborted).
 */
export type ServerErrorCode =
  | 'NOT_LEADER'
  | 'UNAVAILABLE'
  | 'CONDITION_FAILED'
  | 'TIMEOUT'
  | 'TOO_LARGE'
  | 'BAD_REQUEST'
  | 'COMPACTED';

export type RingKVErrorCode =
  | ServerErrorCode
  /** The server failed in a way it did not classify (a bug or an unknown procedure). */
  | 'INTERNAL'
  /** The caller's AbortSignal fired. */
  | 'ABORTED'
  /** close() was called. */
  | 'CLOSED';

export interface RingKVErrorData {
  readonly partition?: number;
  readonly leaderHint?: number;
  readonly leaderAddress?: string;
  readonly currentVersion?: number;
  readonly compactedRevision?: number;
  readonly retryAfterMs?: number;
  /**
   * The answer, not the request, passed this many bytes: on TOO_LARGE ask for less at once; on
   * UNAVAILABLE (a get left out of a pipeline's answer) send it again on its own.
   */
  readonly answerLimitBytes?: number;
  /** Which endpoint answered (or failed to). */
  readonly endpoint?: string;
  /** True when the request may never have reached a server (connection refused, socket closed). */
  readonly connection?: boolean;
  /** Set on the SDK's own TIMEOUT: how many attempts were made and how the last one failed. */
  readonly attempts?: number;
  readonly lastCode?: RingKVErrorCode;
  /** For a write whose outcome is unknown: the session it carried. */
  readonly clientId?: string;
  readonly seq?: number;
}

export class RingKVError extends Error {
  override readonly name = 'RingKVError';
  constructor(
    readonly code: RingKVErrorCode,
    message: string,
    readonly data: RingKVErrorData = {},
  ) {
    super(message);
  }

  /**
   * Whether sending the same request again may succeed. The SDK retries these itself inside the
   * deadline; writes only ever with the same session sequence, so a retry cannot apply twice.
   */
  get retryable(): boolean {
    return this.code === 'NOT_LEADER' || this.code === 'UNAVAILABLE' || this.code === 'TIMEOUT';
  }
}

export function isRingKVError(error: unknown): error is RingKVError {
  return error instanceof RingKVError;
}
