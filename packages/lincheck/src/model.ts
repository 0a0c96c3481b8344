/** Returned by `Model.step` when the operation cannot take effect in that state. */
export const ILLEGAL: unique symbol = Symbol('illegal');
export type Illegal = typeof ILLEGAL;

/**
 * A sequential specification of one key's object. The checker only ever calls these functions,
 * so a model must be pure: `step` must not mutate `state`.
 *
 * `output` is null when the operation's outcome is unknown (timed out, connection lost): the
 * operation may have taken effect, and whatever it would have returned is acceptable.
 */
export interface Model<S, I, O> {
  readonly name: string;
  init(): S;
  step(state: S, input: I, output: O | null): S | Illegal;
  equal(a: S, b: S): boolean;
  /** Must agree with `equal`: equal states hash alike. */
  hash(state: S): number;
  describeOperation(input: I, output: O | null): string;
  describeState(state: S): string;
}

/** A string hash (FNV-1a) for models whose states are or contain strings. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
