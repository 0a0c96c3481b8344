/** The Node entry's WebSocket sends large messages with an all-zero mask, which both ends skip. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { UNMASKED_MESSAGE_LENGTH_MIN, UnmaskedWebSocket } from '../src/node-websocket';

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const c of server?.clients ?? []) c.terminate();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** The mask key of a client frame's header (RFC 6455 §5.2). */
function maskKey(frame: Buffer): number[] {
  expect(frame[1]! & 0x80).toBe(0x80); // a client's frames always say masked
  const length = frame[1]! & 0x7f;
  const at = length === 127 ? 10 : length === 126 ? 4 : 2;
  return [...frame.subarray(at, at + 4)];
}

/** Sends `text` from a client of `Impl`; returns what the server read and the frame's mask key. */
async function sendOne(Impl: new (url: string) => WebSocket, text: string): Promise<{ text: string; mask: number[] }> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024 });
  await once(server, 'listening');
  const got = new Promise<{ text: string; mask: number[] }>((resolve) => {
    server!.on('connection', (ws, request) => {
      let mask: number[] = [];
      // The raw bytes after the upgrade, seen before ws reads them.
      request.socket.prependOnceListener('data', (chunk: Buffer) => (mask = maskKey(chunk)));
      ws.once('message', (data) => resolve({ text: String(data), mask }));
    });
  });
  const client = new Impl(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await once(client, 'open');
  client.send(text);
  const frame = await got;
  client.close();
  return frame;
}

describe('UnmaskedWebSocket', () => {
  it('sends a large message with a zero mask key, and the server reads it intact', async () => {
    const large = 'x'.repeat(UNMASKED_MESSAGE_LENGTH_MIN + 10);
    const frame = await sendOne(UnmaskedWebSocket, large);
    expect(frame.mask).toEqual([0, 0, 0, 0]);
    expect(frame.text).toBe(large);
  });

  it('masks a small message with a random key, as plain ws does a large one', async () => {
    const small = await sendOne(UnmaskedWebSocket, 'hello');
    expect(small.text).toBe('hello');
    expect(small.mask).not.toEqual([0, 0, 0, 0]);
    const plain = await sendOne(WebSocket, 'y'.repeat(UNMASKED_MESSAGE_LENGTH_MIN + 10));
    expect(plain.mask).not.toEqual([0, 0, 0, 0]);
  });
});
