/**
 * The SDK's browser entry: no node: imports, no `ws`, no native hash. The ring's hash is a
 * native addon, so a browser client does not compute partitions: it sends each request to a
 * reachable node, which forwards it to the partition's leader. Same API, one extra hop.
 */
import type { RingKVClient } from './client';
import type { ClientOptions } from './create';
import { createClientWith } from './create';

export * from './core';
export type { ClientOptions } from './create';

export function createClient(options: ClientOptions): RingKVClient {
  return createClientWith(options, { WebSocket: globalThis.WebSocket, partitioner: undefined });
}
