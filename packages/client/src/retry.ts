/**
 * Runs one request with retries inside an overall deadline. Each attempt gets its own signal that
 * fires at the earlier of its attempt timeout and the overall deadline (or when the caller aborts).
 * Retryable failures (NOT_LEADER, UNAVAILABLE, TIMEOUT) are retried: at once when a NOT_LEADER
 * carried a fresh leader hint (a few hops at most), otherwise after a jittered backoff. Anything
 * else is the caller's to handle and is thrown as is.
 */
import type { BackoffOptions } from './backoff';
import { backoffDelayMs } from './backoff';
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
  readonly signal: AbortSignal;
  readonly number: number;
}

export interface RouteSpec {
  readonly partition: number | undefined;
  /** Stale reads may be served by any replica. */
  readonly anyReplica?: boolean;
}

export async function withRetries<T>(
  env: ClientEnvironment,
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
  const refused = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    if (callerSignal?.aborted) throw abortReason(callerSignal);
    const remainingMs = deadlineAtMs - clock.nowMs();
    if (remainingMs <= 0) throw deadlineError(policy, attempt, lastError);

    let endpoint: string | undefined;
    const controller = new AbortController();
    const onCallerAbort = (): void => controller.abort(abortReason(callerSignal!));
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const timer = clock.setTimer(Math.min(remainingMs, policy.attemptTimeoutMs), () =>
      // A node that does not answer in time is treated like one that cannot be reached.
      controller.abort(
        new RingKVError('TIMEOUT', `no answer from ${endpoint ?? 'the node'} within ${Math.min(remainingMs, policy.attemptTimeoutMs).toFixed(0)} ms`, {
          ...(endpoint === undefined ? {} : { endpoint }),
          connection: true,
        }),
      ),
    );
    try {
      await untilAborted(router.refreshIfWanted(), controller.signal);
      const spec = route();
      endpoint = router.pick(spec.partition, attempt, spec.anyReplica === true, refused);
      // The attempt ends when its signal fires even if the transport ignores the signal: the
      // deadline holds whatever the transport does.
      const result = await untilAborted(send({ endpoint, signal: controller.signal, number: attempt }), controller.signal);
      router.onSuccess(endpoint);
      return result;
    } catch (raw) {
      if (callerSignal?.aborted) throw abortReason(callerSignal);
      // Our attempt timer fired: whatever the transport reported, the attempt timed out.
      const error = controller.signal.aborted ? (controller.signal.reason as RingKVError) : toRingKVError(raw);
      if (!error.retryable) throw error;
      lastError = error;
      if (endpoint !== undefined && error.code === 'NOT_LEADER') refused.add(endpoint);
      const hinted = endpoint !== undefined && router.onFailure(route().partition, endpoint, error, refused);
      if (hinted && immediateHops < policy.immediateHopsMax) {
        immediateHops++;
        continue;
      }
      immediateHops = 0;
      const waitMs = Math.min(backoffDelayMs(retries++, policy.backoff, env.random), deadlineAtMs - clock.nowMs());
      if (waitMs > 0) await sleep(clock, waitMs, callerSignal);
    } finally {
      clock.clearTimer(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }
}

/** Waits for `promise`, or rejects with the signal's reason as soon as it fires. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
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
