/**
 * The simulated network between nodes. Each node gets a PeerTransport endpoint; a frame sent on
 * it is copied (the receiver never shares memory with the sender), then dropped, duplicated or
 * delayed according to the seed. Independent delays reorder frames. Links can be cut one way
 * (a one-way partition), both ways (symmetric), or for any set of pairs (a partial partition,
 * where A sees B and B sees C but A does not see C).
 *
 * A crashed node's endpoint is detached: frames in flight to it are lost, and the frames its old
 * incarnation still tries to send go nowhere. A paused node receives nothing until it resumes.
 */
import { assert, type NodeId, type Prng } from '@ringkv/stdx';
import type { PeerFrame, PeerTransport } from '@ringkv/multiraft';
import type { Scheduler } from './scheduler';

export interface NetworkFaults {
  /** Probability that a frame is lost. */
  dropRate: number;
  /** Probability that a delivered frame is delivered a second time (later). */
  duplicateRate: number;
  /** One-way latency is uniform in [delayMsMin, delayMsMax]; a wide range reorders frames. */
  delayMsMin: number;
  delayMsMax: number;
  /** Probability that a frame is held back much longer (delayMsMax * 10), a late straggler. */
  longDelayRate: number;
}

export const CALM_NETWORK: NetworkFaults = { dropRate: 0, duplicateRate: 0, delayMsMin: 1, delayMsMax: 2, longDelayRate: 0 };

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  cut: number;
}

interface Attachment {
  handler: ((from: NodeId, frame: PeerFrame) => void) | undefined;
  isPaused: () => boolean;
  resumeAtSimMs: () => number;
  incarnation: number;
}

export class SimNetwork {
  private readonly attached = new Map<NodeId, Attachment>();
  private readonly incarnations = new Map<NodeId, number>();
  private readonly blocked = new Set<string>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cut: 0 };
  faults: NetworkFaults;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    faults: NetworkFaults = CALM_NETWORK,
  ) {
    this.faults = faults;
  }

  /**
   * A new endpoint for a node (a new incarnation after a restart). `isPaused`/`resumeAtSimMs`
   * come from the node's clock so delivery respects pauses.
   */
  attach(node: NodeId, pause: { isPaused: boolean; resumeAtSimMs(): number } = { isPaused: false, resumeAtSimMs: () => this.scheduler.nowMs }): PeerTransport {
    const incarnation = (this.incarnations.get(node) ?? 0) + 1;
    this.incarnations.set(node, incarnation);
    const attachment: Attachment = { handler: undefined, isPaused: () => pause.isPaused, resumeAtSimMs: () => pause.resumeAtSimMs(), incarnation };
    this.attached.set(node, attachment);
    const isCurrent = (): boolean => this.attached.get(node) === attachment;
    return {
      send: (to, frame) => {
        if (isCurrent()) this.send(node, to, frame);
      },
      onReceive: (handler) => {
        attachment.handler = handler;
      },
      isReachable: (to) => isCurrent() && this.attached.has(to) && !this.isCut(node, to),
      close: async () => {
        if (isCurrent()) this.attached.delete(node);
      },
    };
  }

  /** The node crashed: its endpoint stops sending and receiving at once. */
  detach(node: NodeId): void {
    this.attached.delete(node);
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    assert(from !== to, 'a node cannot be cut from itself');
    this.blocked.add(`${from}>${to}`);
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Splits the nodes into sides; nodes on different sides cannot talk in either direction. */
  partition(sides: readonly (readonly NodeId[])[]): void {
    for (let i = 0; i < sides.length; i++) {
      for (let j = 0; j < sides.length; j++) {
        if (i === j) continue;
        for (const a of sides[i]!) for (const b of sides[j]!) this.cutOneWay(a, b);
      }
    }
  }

  healAll(): void {
    this.blocked.clear();
  }

  get cutLinks(): number {
    return this.blocked.size;
  }

  private send(from: NodeId, to: NodeId, frame: PeerFrame): void {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.cut++;
      return;
    }
    if (this.prng.chance(this.faults.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const copy = frame.slice();
    this.scheduleDelivery(from, to, copy);
    if (this.prng.chance(this.faults.duplicateRate)) {
      this.stats.duplicated++;
      this.scheduleDelivery(from, to, copy.slice());
    }
  }

  private scheduleDelivery(from: NodeId, to: NodeId, frame: Uint8Array): void {
    const f = this.faults;
    let delayMs = this.prng.range(f.delayMsMin, f.delayMsMax);
    if (this.prng.chance(f.longDelayRate)) delayMs = f.delayMsMax * 10;
    const target = this.attached.get(to);
    const incarnation = target?.incarnation ?? -1;
    this.scheduler.after(delayMs, `net ${from}>${to}`, () => this.deliver(from, to, frame, incarnation));
  }

  private deliver(from: NodeId, to: NodeId, frame: Uint8Array, incarnation: number): void {
    const target = this.attached.get(to);
    // Lost with the connection: the receiver crashed (or restarted) while the frame was in flight.
    if (target === undefined || target.incarnation !== incarnation) {
      this.stats.dropped++;
      return;
    }
    // A link cut while the frame was in flight loses it too.
    if (this.isCut(from, to)) {
      this.stats.cut++;
      return;
    }
    if (target.isPaused()) {
      this.scheduler.at(target.resumeAtSimMs(), `net ${from}>${to} late`, () => this.deliver(from, to, frame, incarnation));
      return;
    }
    this.stats.delivered++;
    this.scheduler.record(`deliver ${from}>${to} ${frame.length} ${checksum(frame)}`);
    target.handler?.(from, frame);
  }
}

/** A cheap content fingerprint for the trace (FNV-1a), so the trace pins what was delivered. */
function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
