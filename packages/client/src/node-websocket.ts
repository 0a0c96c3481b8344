/** The Node entry's WebSocket (index.ts): `ws`, with large frames sent unmasked. */
import { randomFillSync } from 'node:crypto';
import WebSocket from 'ws';

/** Messages at least this long (in UTF-16 units, about bytes for tRPC's ASCII JSON) go unmasked. */
export const UNMASKED_MESSAGE_LENGTH_MIN = 64 * 1024;

/**
 * `ws` with an all-zero frame mask for large messages, which both ends then skip (ws's sender and
 * receiver test for it). Masking exists so that a hostile script in a browser cannot shape the
 * bytes a proxy sees (RFC 6455 §10.3); this is a Node process choosing its own mask, as ws's
 * `generateMask` option allows. ws masks in JavaScript (no native bufferutil here): ~4.5 ms per
 * 1 MiB value sent, and as much again for the node to unmask it. Small messages keep a random
 * mask: ws sends an unmasked string as two writes instead of one masked buffer, which measured
 * no better, and possibly worse, for 128-byte values (bench `ab`: mix 0.955x, B higher in 1/4).
 */
export class UnmaskedWebSocket extends WebSocket {
  /** Set by send() for the frame it is about to make (ws frames a message synchronously). */
  private zeroMask = false;

  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, {
      generateMask: (mask: Buffer) => {
        if (this.zeroMask) mask.fill(0);
        else randomFillSync(mask);
      },
    });
  }

  override send(data: unknown, ...rest: unknown[]): void {
    const length = typeof data === 'string' || ArrayBuffer.isView(data) ? (data as { length: number }).length : 0;
    this.zeroMask = length >= UNMASKED_MESSAGE_LENGTH_MIN;
    try {
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    } finally {
      this.zeroMask = false;
    }
  }
}
