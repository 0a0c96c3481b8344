/**
 * The SDK's Node entry: tRPC over `ws` (Node 20 has no global WebSocket).
 */
import WebSocket from 'ws';
import type { RingKVClient } from './client';
import type { ClientOptions } from './create';
import { createClientWith } from './create';
import type { WebSocketClass } from './trpc-transport';

export * from './core';
export type { ClientOptions } from './create';
export { TrpcTransport, webSocketUrl } from './trpc-transport';

export function createClient(options: ClientOptions): RingKVClient {
  return createClientWith(options, { WebSocket: WebSocket as unknown as WebSocketClass, partitioner: undefined });
}
