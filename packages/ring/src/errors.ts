/** A ring definition that cannot be used: the message says what to change. */
export class RingConfigError extends Error {
  override readonly name = 'RingConfigError';
}

/** Two placements that cannot be compared move by move (different partition counts). */
export class PlacementMismatchError extends Error {
  override readonly name = 'PlacementMismatchError';
}
