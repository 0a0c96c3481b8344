/**
 * The SDK's per-attempt cancellation: a CancelToken fires once, in order, with the first reason;
 * untilCancelled stops waiting when it fires; a caller's AbortSignal is linked only while the
 * work runs and leaves no listener behind.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CancelToken, linkAbortSignal, untilCancelled } from '../src/cancel';
import { RingKVError } from '../src/errors';

const timeout = (message = 'late'): RingKVError => new RingKVError('TIMEOUT', message);

describe('CancelToken', () => {
  it('runs every listener once, in the order added, with the first reason; later cancels change nothing', () => {
    const token = new CancelToken();
    const seen: string[] = [];
    token.listen((r) => seen.push(`a:${r.message}`));
    token.listen((r) => seen.push(`b:${r.message}`));
    token.listen((r) => seen.push(`c:${r.message}`));
    expect(token.cancelled).toBe(false);
    expect(token.reason).toBeUndefined();
    const first = timeout('first');
    token.cancel(first);
    token.cancel(timeout('second'));
    expect(seen).toEqual(['a:first', 'b:first', 'c:first']);
    expect(token.cancelled).toBe(true);
    expect(token.reason).toBe(first);
  });

  it('calls a listener added after the cancel at once', () => {
    const token = new CancelToken();
    token.cancel(timeout('done'));
    const seen: string[] = [];
    token.listen((r) => seen.push(r.message));
    expect(seen).toEqual(['done']);
  });

  it('forgets unlistened listeners, whether first or later', () => {
    const token = new CancelToken();
    const seen: string[] = [];
    const a = (): number => seen.push('a');
    const b = (): number => seen.push('b');
    const c = (): number => seen.push('c');
    token.listen(a);
    token.listen(b);
    token.listen(c);
    token.unlisten(a);
    token.unlisten(c);
    token.unlisten(() => undefined); // never added: a no-op
    token.cancel(timeout());
    expect(seen).toEqual(['b']);
  });
});

describe('untilCancelled', () => {
  it('rejects with the reason when cancelled, even if the promise never settles', async () => {
    const token = new CancelToken();
    const waiting = untilCancelled(new Promise(() => undefined), token);
    const reason = timeout('attempt timed out');
    token.cancel(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('passes the value or error through when the promise settles first', async () => {
    const token = new CancelToken();
    await expect(untilCancelled(Promise.resolve(7), token)).resolves.toBe(7);
    const boom = new RingKVError('UNAVAILABLE', 'down');
    await expect(untilCancelled(Promise.reject(boom), token)).rejects.toBe(boom);
    token.cancel(timeout()); // after both settled: nothing changes, nothing unhandled
  });

  it('rejects at once for a token that is already cancelled', async () => {
    const token = new CancelToken();
    const reason = timeout('already');
    token.cancel(reason);
    await expect(untilCancelled(Promise.resolve(1), token)).rejects.toBe(reason);
  });
});

describe('linkAbortSignal', () => {
  it("cancels the token with ABORTED (or the signal's RingKVError reason) when the caller aborts", () => {
    const plain = new AbortController();
    const a = new CancelToken();
    linkAbortSignal(plain.signal, a);
    plain.abort();
    expect(a.reason?.code).toBe('ABORTED');

    const typed = new AbortController();
    const b = new CancelToken();
    linkAbortSignal(typed.signal, b);
    const reason = new RingKVError('TIMEOUT', 'caller deadline');
    typed.abort(reason);
    expect(b.reason).toBe(reason);
  });

  it('cancels at once for a signal that already fired, and adds no listener', () => {
    const controller = new AbortController();
    controller.abort();
    const token = new CancelToken();
    linkAbortSignal(controller.signal, token);
    expect(token.reason?.code).toBe('ABORTED');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener on the signal once unlinked, however many tokens were linked', () => {
    const controller = new AbortController();
    for (let i = 0; i < 100; i++) linkAbortSignal(controller.signal, new CancelToken())();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const token = new CancelToken();
    linkAbortSignal(controller.signal, token)();
    controller.abort();
    expect(token.cancelled).toBe(false); // unlinked before the abort
  });
});
