/**
 * Assertions guard invariants: a broken invariant is a bug, so it throws loudly with a clear
 * message instead of letting the system continue in a state nobody reasoned about.
 * Expected failures (bad input, a lost leader) are typed errors, never assertions.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string) = 'assertion failed'): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'function' ? message() : message);
  }
}

export function assertEqual<T>(actual: T, expected: T, what = 'value'): void {
  if (actual !== expected) {
    throw new AssertionError(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unreachable: unexpected ${what} ${JSON.stringify(value)}`);
}
