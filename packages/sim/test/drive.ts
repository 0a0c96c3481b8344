import type { Scheduler } from '../src/scheduler';

/** Runs an async task on the scheduler and returns its outcome (or 'pending' if it never settled). */
export async function drive<T>(s: Scheduler, task: () => Promise<T>, forMs = 10_000): Promise<T | 'pending'> {
  let outcome: { ok: true; value: T } | { ok: false; err: unknown } | undefined;
  s.after(0, 'task', () => {
    task().then(
      (value) => (outcome = { ok: true, value }),
      (err: unknown) => (outcome = { ok: false, err }),
    );
  });
  await s.runUntil(s.nowMs + forMs);
  if (outcome === undefined) return 'pending';
  if (!outcome.ok) throw outcome.err;
  return outcome.value;
}
