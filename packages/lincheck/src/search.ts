import { Bitset } from './bitset';
import { MemoCache } from './memo-cache';
import { ILLEGAL } from './model';
import type { Model } from './model';
import type { Operation } from './operation';

export type Verdict = 'ok' | 'illegal' | 'unknown';

/** The outcome of checking one key's operations. Indexes refer to the `operations` array given. */
export interface SearchResult {
  readonly verdict: Verdict;
  /**
   * The longest sequence of operations (by index) the search managed to linearize, in order. For
   * 'ok' it is a full linearization of the known operations.
   */
  readonly longestPrefix: readonly number[];
  /**
   * For 'illegal': the operation whose return the longest prefix could not get past — no order of
   * the operations still pending lets it take effect before it returned.
   */
  readonly blockingOp: number | undefined;
}

/** Returns true when the check must stop (the caller's budget is spent). */
export type ShouldStop = () => boolean;

/**
 * The history as a doubly linked list of call and return events in time order, so the search can
 * lift an operation out (both its events) and put it back in O(1).
 */
interface Entry {
  readonly op: number;
  /** For a call: its return entry. For a return: null. */
  readonly match: Entry | null;
  /** Infinity for the return of an operation with unknown outcome. */
  readonly time: number;
  prev: Entry | null;
  next: Entry | null;
}

function buildList<I, O>(operations: readonly Operation<I, O>[]): Entry {
  const events: { op: number; isCall: boolean; time: number }[] = [];
  operations.forEach((o, op) => {
    events.push({ op, isCall: true, time: o.callTime }, { op, isCall: false, time: o.returnTime });
  });
  // Equal times count as concurrent: calls sort before returns, which can only allow more orders.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const returns = new Map<number, Entry>();
  const head: Entry = { op: -1, match: null, time: -Infinity, prev: null, next: null };
  let last = head;
  for (const e of events) {
    if (!e.isCall) returns.set(e.op, { op: e.op, match: null, time: e.time, prev: null, next: null });
  }
  for (const e of events) {
    const ret = returns.get(e.op);
    if (ret === undefined) throw new Error(`operation ${e.op} has no return event`);
    const entry = e.isCall ? { op: e.op, match: ret, time: e.time, prev: null, next: null } : ret;
    entry.prev = last;
    last.next = entry;
    last = entry;
  }
  return head;
}

function lift(call: Entry): void {
  const ret = call.match;
  if (call.prev === null || call.next === null || ret === null || ret.prev === null) {
    throw new Error('lincheck: corrupt entry list (lift)');
  }
  call.prev.next = call.next;
  call.next.prev = call.prev;
  ret.prev.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match;
  if (call.prev === null || call.next === null || ret === null || ret.prev === null) {
    throw new Error('lincheck: corrupt entry list (unlift)');
  }
  ret.prev.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev.next = call;
  call.next.prev = call;
}

/**
 * Wing & Gong's search with Lowe's memoization, as in Porcupine: walk the events in time order,
 * tentatively linearizing each operation whose call has been reached; a return event reached
 * before its operation was linearized means the last choice was wrong, so backtrack. A (set of
 * linearized operations, model state) pair already explored is never explored again.
 *
 * Operations that returned at Infinity (unknown outcome) may be linearized anywhere after their
 * call, or left out: once the walk reaches the first Infinity return, every operation with a
 * known outcome has been linearized and the rest may all be dropped.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  shouldStop: ShouldStop,
): SearchResult {
  for (const [i, o] of operations.entries()) {
    if (!(o.returnTime >= o.callTime)) {
      throw new Error(`operation ${i} (client ${o.client}) returns at ${o.returnTime}, before its call at ${o.callTime}`);
    }
  }
  const head = buildList(operations);
  const cache = new MemoCache<S>(operations.length, (a, b) => model.equal(a, b));
  const stack: { call: Entry; state: S }[] = [];
  /** The working set of linearized operations; never stored (the cache keeps copies). */
  const linearized = Bitset.ofSize(operations.length);
  let state = model.init();
  let longestPrefix: number[] = [];
  let blockingOp: number | undefined;
  let entry = head.next;
  let steps = 0;

  const prefix = (): number[] => stack.map((s) => s.call.op);

  while (entry !== null) {
    if ((++steps & 1023) === 0 && shouldStop()) {
      return { verdict: 'unknown', longestPrefix, blockingOp: undefined };
    }
    if (entry.match !== null) {
      const op = operations[entry.op];
      if (op === undefined) throw new Error('lincheck: entry refers to a missing operation');
      const next = model.step(state, op.input, op.output);
      if (next !== ILLEGAL) {
        // Probe with the working set itself; the cache copies it only when the entry is new.
        linearized.set(entry.op);
        if (cache.addIfAbsent(linearized, next, model.hash(next))) {
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
      continue;
    }
    // A return event: its operation was not linearized in time.
    if (entry.time === Infinity) {
      return { verdict: 'ok', longestPrefix: prefix(), blockingOp: undefined };
    }
    if (stack.length > longestPrefix.length || blockingOp === undefined) {
      longestPrefix = prefix();
      blockingOp = entry.op;
    }
    const top = stack.pop();
    if (top === undefined) {
      return { verdict: 'illegal', longestPrefix, blockingOp };
    }
    state = top.state;
    linearized.clear(top.call.op);
    unlift(top.call);
    entry = top.call.next;
  }
  return { verdict: 'ok', longestPrefix: prefix(), blockingOp: undefined };
}
