/**
 * PeerTransport in memory, for tests: every node's transport joins one MemoryNetwork. Frames are
 * copied (the receiver never shares a buffer with the sender) and delivered through the shared
 * Clock, so delivery order is deterministic. Links can be cut to make partitions.
 */
import type { Clock, NodeId } from '@ringkv/stdx';
import type { PeerFrame, PeerTransport } from './transport';

export interface MemoryTransport extends PeerTransport {
  readonly nodeId: NodeId;
}

export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, (from: NodeId, frame: PeerFrame) => void>();
  private readonly down = new Set<NodeId>();
  private readonly cut = new Set<string>();
  /** Extra latency of the frames to a node (a slow follower). */
  private readonly slowTo = new Map<NodeId, number>();
  /** Frames delivered so far, for tests that count traffic. */
  framesSent = 0;
  bytesSent = 0;

  constructor(
    private readonly clock: Clock,
    private readonly latencyMs = 1,
  ) {}

  transport(nodeId: NodeId): MemoryTransport {
    this.down.delete(nodeId);
    let closed = false;
    return {
      nodeId,
      send: (to, frame) => {
        if (closed || !this.linkUp(nodeId, to)) return;
        this.framesSent++;
        this.bytesSent += frame.length;
        const copy = frame.slice();
        this.clock.setTimer(this.latencyMs + (this.slowTo.get(to) ?? 0), () => {
          if (!this.linkUp(nodeId, to)) return;
          this.handlers.get(to)?.(nodeId, copy);
        });
      },
      onReceive: (handler) => {
        this.handlers.set(nodeId, handler);
      },
      isReachable: (to) => !closed && this.linkUp(nodeId, to),
      close: async () => {
        closed = true;
        this.handlers.delete(nodeId);
        this.down.add(nodeId);
      },
    };
  }

  /** Cuts (or restores) both directions between two nodes. */
  setLink(a: NodeId, b: NodeId, up: boolean): void {
    for (const key of [`${a}>${b}`, `${b}>${a}`]) {
      if (up) this.cut.delete(key);
      else this.cut.add(key);
    }
  }

  /** Delays every frame to `node` by `extraMs` more (0: back to normal). */
  slowDown(node: NodeId, extraMs: number): void {
    if (extraMs > 0) this.slowTo.set(node, extraMs);
    else this.slowTo.delete(node);
  }

  /** Isolates a node from every other (or reconnects it). */
  isolate(node: NodeId, isolated: boolean, all: readonly NodeId[]): void {
    for (const other of all) if (other !== node) this.setLink(node, other, !isolated);
  }

  private linkUp(from: NodeId, to: NodeId): boolean {
    return !this.down.has(to) && !this.down.has(from) && this.handlers.has(to) && !this.cut.has(`${from}>${to}`);
  }
}
