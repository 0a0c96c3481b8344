/**
 * Peer frames on the wire: a u32 big-endian payload length, then the payload. The decoder is fed
 * socket chunks and hands out whole payloads one by one; a length over the limit is reported before a single
 * payload byte is buffered, so a peer cannot make us allocate what it announces.
 */
export const FRAME_HEADER_BYTES = 4;

export class FrameTooLargeError extends Error {
  constructor(
    readonly announcedBytes: number,
    readonly limitBytes: number,
  ) {
    super(`peer announced a frame of ${announcedBytes} bytes, over the limit of ${limitBytes} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

export function encodeFrameHeader(payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payloadBytes, 0);
  return header;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;

  /** `frameSizeBytesMax` may be changed between pushes (a small limit before the handshake). */
  constructor(public frameSizeBytesMax: number) {}

  /** Appends a socket chunk; take the frames it completes with `next()`. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
  }

  /**
   * The next whole payload, or undefined until more bytes arrive. One at a time, so the caller
   * can raise the limit after the handshake frame. Throws FrameTooLargeError.
   */
  next(): Buffer | undefined {
    if (this.bufferedBytes < FRAME_HEADER_BYTES) return undefined;
    const length = this.peekLength();
    if (length > this.frameSizeBytesMax) throw new FrameTooLargeError(length, this.frameSizeBytesMax);
    if (this.bufferedBytes < FRAME_HEADER_BYTES + length) return undefined;
    return this.take(FRAME_HEADER_BYTES + length).subarray(FRAME_HEADER_BYTES);
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    return this.take(this.bufferedBytes, true).readUInt32BE(0);
  }

  /** Removes `n` bytes from the front (or, with `peek`, merges everything and removes nothing). */
  private take(n: number, peek = false): Buffer {
    const merged = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bufferedBytes);
    if (peek) {
      this.chunks = [merged];
      return merged;
    }
    const out = merged.subarray(0, n);
    const rest = merged.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}

/**
 * Feeds a socket chunk to the decoder and hands each whole frame to `onFrame` until it returns
 * false; a malformed or oversized frame goes to `onError` instead and ends the loop. Both ends of
 * a peer connection read this way and differ only in what a frame means to them.
 */
export function drainFrames(decoder: FrameDecoder, chunk: Buffer, onFrame: (payload: Buffer) => boolean, onError: (error: unknown) => void): void {
  decoder.push(chunk);
  for (;;) {
    let payload: Buffer | undefined;
    try {
      payload = decoder.next();
    } catch (error) {
      onError(error);
      return;
    }
    if (payload === undefined || !onFrame(payload)) return;
  }
}
