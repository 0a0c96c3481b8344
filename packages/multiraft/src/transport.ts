/**
 * How a Store talks to its peers. The node process implements it over TCP (apps/server); the
 * simulator implements it over its simulated network; tests may implement it in memory.
 * Delivery is best effort: a batch may be lost, duplicated or reordered, and Raft retries.
 */
import type { NodeId } from '@ringkv/stdx';

/** An opaque, already-encoded batch of peer messages for one destination node (msgpackr bytes). */
export type PeerFrame = Uint8Array;

export interface PeerTransport {
  /** Queues a frame for a peer; never throws for an unreachable peer (the frame is dropped). */
  send(to: NodeId, frame: PeerFrame): void;
  /** Registers the single receiver of frames from peers. */
  onReceive(handler: (from: NodeId, frame: PeerFrame) => void): void;
  /** Whether a connection to the peer is currently up (for leader placement and status). */
  isReachable(to: NodeId): boolean;
  close(): Promise<void>;
}
