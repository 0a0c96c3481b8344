/**
 * How a node passes a request it cannot serve (it does not lead the key's partition) to the node
 * that can. The server injects an implementation (a tRPC client per peer api address); tests
 * inject one that calls the other node's router in process.
 *
 * Contract: `forward` calls procedure `path` on node `leader` with `input` and resolves with that
 * node's output as is. A failure on the remote node must be thrown as a StoreError carrying the
 * remote's `data.ringkv` code and data; an unreachable node as StoreError('UNAVAILABLE').
 * The remote call must be marked as forwarded (the server sets `AppContext.forwarded`), so a
 * node that is not the leader either answers NOT_LEADER instead of forwarding again.
 */
import type { NodeId } from '@ringkv/stdx';

export type ForwardablePath = 'kv.get' | 'kv.getMany' | 'kv.put' | 'kv.delete' | 'kv.writeBatch' | 'kv.scanPartition';

export interface Forwarder {
  forward(leader: NodeId, path: ForwardablePath, input: unknown): Promise<unknown>;
}

/** Per-request context the server builds (createContext). */
export interface AppContext {
  /** True when the request was forwarded by another node: never forward it again. */
  readonly forwarded?: boolean;
}

/** The HTTP header the server's Forwarder sets and its createContext reads. */
export const FORWARDED_HEADER = 'x-ringkv-forwarded';
