/**
 * The SDK's Node entry: tRPC over `ws` (Node 20 has no global WebSocket), and smart routing: keys
 * hashed with the ring go straight to their partition's leader.
 */
import WebSocket from 'ws';
import type { RingKVClient } from './client';
import type { ClientOptions } from './create';
import { createClientWith } from './create';
import { ringPartitioner } from './ring-partitioner';
import type { WebSocketClass } from './trpc-transport';

export * from './core';
export type { ClientOptions } from './create';
export { TrpcTransport, webSocketUrl, toRingKVError } from './trpc-transport';
export { ringPartitioner } from './ring-partitioner';

export function createClient(options: ClientOptions): RingKVClient {
  return createClientWith(options, { WebSocket: WebSocket as unknown as WebSocketClass, partitioner: ringPartitioner });
}
