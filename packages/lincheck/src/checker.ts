import type { History, Operation } from './operation';
import { searchLinearization } from './search';
import type { Verdict } from './search';

export type { Verdict } from './search';

export interface CheckOptions {
  /** Budget for the whole check, from its start. Default: no limit. */
  readonly timeoutMs?: number;
  /** Absolute deadline on `nowMs`'s clock; the earlier of this and timeoutMs applies. */
  readonly deadlineMs?: number;
  /** The clock (ms). Injectable so tests can run out of time deterministically. */
  readonly nowMs?: () => number;
}

export interface KeyResult<I, O> {
  readonly key: string;
  readonly verdict: Verdict;
  /** This key's operations; the indexes below refer to this array. */
  readonly operations: readonly Operation<I, O>[];
  readonly longestPrefix: readonly number[];
  readonly blockingOp: number | undefined;
  readonly elapsedMs: number;
}

export interface CheckResult<I, O> {
  /** 'illegal' if any key is; otherwise 'unknown' if any key ran out of budget; otherwise 'ok'. */
  readonly verdict: Verdict;
  readonly keys: readonly KeyResult<I, O>[];
  readonly elapsedMs: number;
}

/** Groups operations by key, keeping their order. */
export function partitionByKey<I, O>(operations: readonly Operation<I, O>[]): Map<string, Operation<I, O>[]> {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const o of operations) {
    let list = byKey.get(o.key);
    if (list === undefined) {
      list = [];
      byKey.set(o.key, list);
    }
    list.push(o);
  }
  return byKey;
}

/**
 * Checks a history for linearizability. Keys are independent objects (P-compositionality), so
 * each key's operations are searched on their own: the history is linearizable iff every key's is.
 * Past the budget the verdict is 'unknown', never 'ok'.
 */
export function checkHistory<S, I, O>(history: History<S, I, O>, options: CheckOptions = {}): CheckResult<I, O> {
  const nowMs = options.nowMs ?? (() => performance.now());
  const startMs = nowMs();
  const deadlineMs = Math.min(
    options.deadlineMs ?? Infinity,
    options.timeoutMs === undefined ? Infinity : startMs + options.timeoutMs,
  );
  const shouldStop = (): boolean => nowMs() > deadlineMs;

  const keys: KeyResult<I, O>[] = [];
  let anyIllegal = false;
  let anyUnknown = false;
  for (const [key, operations] of partitionByKey(history.operations)) {
    const keyStartMs = nowMs();
    const result =
      keyStartMs > deadlineMs
        ? { verdict: 'unknown' as const, longestPrefix: [], blockingOp: undefined }
        : searchLinearization(history.model, operations, shouldStop);
    keys.push({ key, operations, ...result, elapsedMs: nowMs() - keyStartMs });
    if (result.verdict === 'illegal') anyIllegal = true;
    if (result.verdict === 'unknown') anyUnknown = true;
  }
  const verdict: Verdict = anyIllegal ? 'illegal' : anyUnknown ? 'unknown' : 'ok';
  return { verdict, keys, elapsedMs: nowMs() - startMs };
}
