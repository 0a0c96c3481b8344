/**
 * Reconnect delays: exponential from `minMs` to `maxMs`, with full jitter over the upper half so
 * nodes restarted together do not reconnect in lockstep. The random source is a parameter; the
 * node process passes Math.random (this is the one place the transport draws randomness).
 */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  readonly random: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next attempt; each call doubles the ceiling up to `maxMs`. */
  nextDelayMs(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + this.options.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
