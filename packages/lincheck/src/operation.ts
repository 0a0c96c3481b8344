import type { Model } from './model';

/**
 * One client operation as the checker sees it: when it was called, when it returned (Infinity if
 * it never did or its outcome is unknown), what it asked and what it got back (null if unknown).
 * Times are in any unit as long as they are comparable within one history.
 */
export interface Operation<I, O> {
  readonly client: string;
  readonly key: string;
  readonly input: I;
  readonly output: O | null;
  readonly callTime: number;
  /** Infinity: the operation may take effect at any time after its call, or never. */
  readonly returnTime: number;
}

/** A parsed history together with the model its operations follow. */
export interface History<S, I, O> {
  readonly model: Model<S, I, O>;
  readonly operations: readonly Operation<I, O>[];
}
