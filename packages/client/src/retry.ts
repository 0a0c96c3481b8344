/**
 * Runs one request with retries inside an overall deadline. Each attempt gets its own token that
 * fires at the earlier of its attempt timeout and the overall deadline (or when the caller aborts).
 * Retryable failures (NOT_LEADER, UNAVAILABLE, TIMEOUT) are retried: at once when a NOT_LEADER
 * carried a fresh leader hint (a few hops at most), otherwise after a jittered backoff. Anything
 * else is the caller's to handle and is thrown as is.
 */
import type { BackoffOptions } from './backoff';
import { backoffDelayMs } from './backoff';
import type { CancelSignal } from './cancel';
import { CancelToken, linkAbortSignal, untilCancelled } from './cancel';
import type { DeadlineQueue } from './deadlines';
import type { ClientEnvironment } from './environment';
import { abortReason, sleep } from './environment';
import { RingKVError } from './errors';
import type { Router } from './router';

export interface RetryPolicy {
  readonly deadlineMs: number;
  readonly attemptTimeoutMs: number;
  readonly backoff: BackoffOptions;
  /** Hops that follow leader hints without waiting, before backoff applies again. */
  readonly immediateHopsMax: number;
}

export interface Attempt {
  readonly endpoint: string;
  /** Fires when this attempt must stop: its timeout, the overall deadline, or the caller's abort. */
  readonly cancel: CancelSignal;
  readonly number: number;
}

export interface RouteSpec {
  readonly partition: number | undefined;
  /** Stale reads may be served by any replica. */
  readonly anyReplica?: boolean;
}

export async function withRetries<T>(
  env: ClientEnvironment,
  /** Where the attempts' timeouts wait (the client's one queue, on env's clock). */
  deadlines: DeadlineQueue,
  router: Router,
  policy: RetryPolicy,
  route: () => RouteSpec,
  send: (attempt: Attempt) => Promise<T>,
  callerSignal?: AbortSignal,
): Promise<T> {
  const { clock } = env;
  const deadlineAtMs = clock.nowMs() + policy.deadlineMs;
  let lastError: RingKVError | undefined;
  let retries = 0;
  let immediateHops = 0;
  let refused: Set<string> | undefined;
  for (let attempt = 0; ; attempt++) {
    if (callerSignal?.aborted) throw abortReason(callerSignal);
    const remainingMs = deadlineAtMs - clock.nowMs();
    if (remainingMs <= 0) throw deadlineError(policy, attempt, lastError);

    const token = new CancelToken();
    // The caller's signal is listened to only when there is one, and only while the attempt runs.
    const unlink = callerSignal === undefined ? undefined : linkAbortSignal(callerSignal, token);
    const timeoutMs = Math.min(remainingMs, policy.attemptTimeoutMs);
    const timing: AttemptTiming = { token, timeoutMs, endpoint: undefined };
    const attemptDeadline = deadlines.add(timeoutMs, () => expire(timing));
    try {
      const refreshing = router.refreshIfWanted();
      if (refreshing !== undefined) await untilCancelled(refreshing, token);
      const spec = route();
      const endpoint = router.pick(spec.partition, attempt, spec.anyReplica === true, refused);
      timing.endpoint = endpoint;
      // The attempt ends when its token fires even if the transport ignores the token: the
      // deadline holds whatever the transport does.
      const result = await untilCancelled(send({ endpoint, cancel: token, number: attempt }), token);
      router.onSuccess(endpoint, spec.partition, result);
      return result;
    } catch (raw) {
      if (callerSignal?.aborted) throw abortReason(callerSignal);
      // Our attempt timer fired: whatever the transport reported, the attempt timed out.
      const error = token.reason ?? toRingKVError(raw);
      if (!error.retryable) throw error;
      lastError = error;
      const endpoint = timing.endpoint;
      if (endpoint !== undefined && error.code === 'NOT_LEADER') (refused ??= new Set()).add(endpoint);
      const hinted = endpoint !== undefined && router.onFailure(route().partition, endpoint, error, refused);
      if (hinted && immediateHops < policy.immediateHopsMax) {
        immediateHops++;
        continue;
      }
      immediateHops = 0;
      const waitMs = Math.min(backoffDelayMs(retries++, policy.backoff, env.random), deadlineAtMs - clock.nowMs());
      if (waitMs > 0) await sleep(clock, waitMs, callerSignal);
    } finally {
      deadlines.cancel(attemptDeadline);
      unlink?.();
    }
  }
}

interface AttemptTiming {
  readonly token: CancelToken;
  readonly timeoutMs: number;
  /** Where the attempt went, once picked (the TIMEOUT names it). */
  endpoint: string | undefined;
}

/** A node that does not answer in time is treated like one that cannot be reached. */
function expire(timing: AttemptTiming): void {
  const { endpoint } = timing;
  timing.token.cancel(
    new RingKVError('TIMEOUT', `no answer from ${endpoint ?? 'the node'} within ${timing.timeoutMs.toFixed(0)} ms`, {
      ...(endpoint === undefined ? {} : { endpoint }),
      connection: true,
    }),
  );
}

function deadlineError(policy: RetryPolicy, attempts: number, last: RingKVError | undefined): RingKVError {
  const lastPart = last === undefined ? '' : `; last error: ${last.code}: ${last.message}`;
  return new RingKVError('TIMEOUT', `gave up after ${attempts} attempt(s) within the ${policy.deadlineMs} ms deadline${lastPart}`, {
    attempts,
    ...(last === undefined ? {} : { lastCode: last.code, ...pickHints(last) }),
  });
}

function pickHints(error: RingKVError): Partial<RingKVError['data']> {
  const { partition, leaderHint, endpoint } = error.data;
  return {
    ...(partition === undefined ? {} : { partition }),
    ...(leaderHint === undefined ? {} : { leaderHint }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

export function toRingKVError(error: unknown): RingKVError {
  if (error instanceof RingKVError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RingKVError('INTERNAL', `unexpected failure in the client transport: ${message}`);
}
