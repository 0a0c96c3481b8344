/**
 * The fault schedule of one run, drawn from the seed. During the fault phase a fault happens
 * every `meanGapMs` on average (exponential gaps): a crash at any instant (restarted after a
 * while, sometimes with a bit flipped on its disk while it was down), a pause longer than the
 * election timeout, a wall-clock jump, a symmetric, one-way or partial partition (healed later),
 * a stretch of lossy network, a slow disk. At most a minority of nodes is down at once and only
 * one node carries a flipped bit, so every partition keeps a majority of good replicas.
 *
 * At `faultEndMs` the liveness phase begins: links heal, the network and disks turn calm, down
 * nodes restart (a node that refused corrupt data gets its sector repaired first).
 */
import { assert, type NodeId, type Prng } from '@ringkv/stdx';
import type { DiskFaults } from './sim-disk';
import type { NodeHost, SimProcess } from './node-host';
import type { Scheduler } from './scheduler';
import { CALM_NETWORK, type NetworkFaults, type SimNetwork } from './sim-network';
import type { BitFlip } from './sim-disk';
import type { SegmentBitFlip } from './sim-segment-disk';

export interface FaultOptions {
  readonly faultEndMs: number;
  readonly meanGapMs: number;
  /** Pauses are drawn in [pauseMsMin, pauseMsMax]; make the minimum exceed the election timeout. */
  readonly pauseMsMin: number;
  readonly pauseMsMax: number;
  readonly downMsMax: number;
  readonly partitionMsMax: number;
  readonly lossyNetwork: NetworkFaults;
  readonly slowDisk: DiskFaults;
  /** Whether bit flips are injected at all (off for processes that keep no checksums). */
  readonly bitFlips: boolean;
}

export const DEFAULT_FAULTS: FaultOptions = {
  faultEndMs: 20_000,
  meanGapMs: 700,
  pauseMsMin: 2_500,
  pauseMsMax: 5_000,
  downMsMax: 4_000,
  partitionMsMax: 4_000,
  lossyNetwork: { dropRate: 0.05, duplicateRate: 0.03, delayMsMin: 1, delayMsMax: 40, longDelayRate: 0.01 },
  slowDisk: { slowWriteRate: 0.2, slowWriteMsMax: 80 },
  bitFlips: true,
};

export interface FaultCounts {
  crashes: number;
  /** Process starts: the first boot of every node, restarts, retries after a detected corruption. */
  starts: number;
  pauses: number;
  wallJumps: number;
  partitions: number;
  lossyStretches: number;
  slowDiskStretches: number;
  bitFlips: number;
  corruptionDetected: number;
}

type FlipRecord = { disk: 'log'; flip: SegmentBitFlip } | { disk: 'kv'; flip: BitFlip };

export class FaultSchedule<P extends SimProcess> {
  readonly counts: FaultCounts = { crashes: 0, starts: 0, pauses: 0, wallJumps: 0, partitions: 0, lossyStretches: 0, slowDiskStretches: 0, bitFlips: 0, corruptionDetected: 0 };
  private readonly flips = new Map<number, FlipRecord[]>();
  private readonly maxDown: number;
  private liveness = false;
  /**
   * Network ids of the simulated clients: a symmetric partition puts each on one side, so a
   * client may be cut off from a leader while its followers can still reach it.
   */
  clientIds: readonly NodeId[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly network: SimNetwork,
    private readonly hosts: ReadonlyArray<NodeHost<P>>,
    private readonly options: FaultOptions,
    /** Keys of the KV database a flip may hit (e.g. none, when KV flips come from a running node). */
    private readonly kvFlipEligible: (key: Uint8Array) => boolean = () => true,
  ) {
    assert(hosts.length >= 1, 'a fault schedule needs nodes');
    this.maxDown = Math.floor((hosts.length - 1) / 2);
  }

  get inLivenessPhase(): boolean {
    return this.liveness;
  }

  /** Boots every node at time 0, schedules the fault phase and the switch to the liveness phase. */
  install(): void {
    this.scheduler.at(0, 'boot', () => this.hosts.forEach((h) => this.restart(h)));
    this.scheduleNext();
    this.scheduler.at(this.options.faultEndMs, 'faults end', () => this.endFaults());
  }

  private scheduleNext(): void {
    const gap = Math.max(1, Math.round(-Math.log(1 - this.prng.next()) * this.options.meanGapMs));
    if (this.scheduler.nowMs + gap >= this.options.faultEndMs) return;
    this.scheduler.after(gap, 'fault', () => {
      if (this.liveness) return;
      this.injectOne();
      this.scheduleNext();
    });
  }

  private downCount(): number {
    return this.hosts.filter((h) => !h.isUp).length;
  }

  private injectOne(): void {
    const p = this.prng;
    const host = p.pick(this.hosts);
    const kind = p.pick(['crash', 'crash', 'pause', 'jump', 'partition', 'partition', 'lossy', 'slowDisk'] as const);
    const o = this.options;
    switch (kind) {
      case 'crash': {
        if (!host.isUp || this.downCount() >= this.maxDown) return;
        host.crash();
        this.counts.crashes++;
        if (o.bitFlips && this.flips.size === 0 && p.chance(0.3)) {
          const flipped = p.chance(0.5)
            ? { disk: 'log' as const, flip: host.logDisk.flipBit() }
            : { disk: 'kv' as const, flip: host.kvDisk.flipBit(this.kvFlipEligible) };
          if (flipped.flip !== undefined) {
            this.flips.set(host.nodeId, [flipped as FlipRecord]);
            this.counts.bitFlips++;
          }
        }
        this.scheduler.after(p.range(1, o.downMsMax), 'restart', () => this.restart(host));
        return;
      }
      case 'pause':
        if (!host.isUp) return;
        // Faults stop at faultEndMs: a pause drawn near the end is cut there, or the liveness
        // phase would start with a node still frozen (seed 503: n4 froze until 24.9 s of 30).
        host.pause(Math.min(p.range(o.pauseMsMin, o.pauseMsMax), o.faultEndMs - this.scheduler.nowMs));
        this.counts.pauses++;
        return;
      case 'jump':
        if (!host.isUp) return;
        host.jumpWall(p.pick([-1, 1]) * p.range(1, 60_000));
        this.counts.wallJumps++;
        return;
      case 'partition': {
        const ids = p.shuffle(this.hosts.map((h) => h.nodeId));
        const shape = p.pick(['symmetric', 'oneWay', 'partial'] as const);
        if (shape === 'symmetric') {
          const cut = p.range(1, Math.max(1, Math.floor(ids.length / 2)));
          const sides = [ids.slice(0, cut), ids.slice(cut)];
          for (const client of this.clientIds) sides[p.chance(0.5) ? 0 : 1]!.push(client);
          this.network.partition(sides);
        } else if (shape === 'oneWay') {
          this.network.cutOneWay(ids[0]!, ids[1 % ids.length]!);
        } else if (ids.length >= 3) {
          // A bridge: ids[0] and ids[1] cannot see each other, but both see everyone else.
          this.network.cut(ids[0]!, ids[1]!);
        }
        this.counts.partitions++;
        this.scheduler.after(p.range(100, o.partitionMsMax), 'heal', () => this.network.healAll());
        return;
      }
      case 'lossy':
        this.network.faults = o.lossyNetwork;
        this.counts.lossyStretches++;
        this.scheduler.after(p.range(500, 5_000), 'calm net', () => {
          if (!this.liveness) this.network.faults = CALM_NETWORK;
        });
        return;
      case 'slowDisk':
        host.logDisk.faults = { ...host.standingDiskFaults, ...o.slowDisk };
        host.kvDisk.faults = { ...host.standingDiskFaults, ...o.slowDisk };
        this.counts.slowDiskStretches++;
        this.scheduler.after(p.range(500, 5_000), 'fast disk', () => {
          host.logDisk.faults = host.standingDiskFaults;
          host.kvDisk.faults = host.standingDiskFaults;
        });
        return;
    }
  }

  private restart(host: NodeHost<P>): void {
    if (host.isUp || host.isBooting) return;
    host.start();
    this.counts.starts++;
    this.watchBoot(host);
  }

  /** A boot that fails on corrupt data is the detection we want; repair the sector and retry. */
  private watchBoot(host: NodeHost<P>): void {
    this.scheduler.after(50, 'boot check', () => {
      if (host.isBooting) return this.watchBoot(host);
      if (host.isUp || host.bootError === undefined) return;
      const flips = this.flips.get(host.nodeId);
      if (flips !== undefined && isCorruption(host.bootError)) {
        this.counts.corruptionDetected++;
        for (const f of flips) {
          if (f.disk === 'log') host.logDisk.repair(f.flip);
          else host.kvDisk.repair(f.flip);
        }
        this.flips.delete(host.nodeId);
        this.restart(host);
        return;
      }
      throw new Error(`node ${host.nodeId} failed to boot: ${describe(host.bootError)}`);
    });
  }

  private endFaults(): void {
    this.liveness = true;
    this.network.healAll();
    this.network.faults = CALM_NETWORK;
    for (const host of this.hosts) {
      host.logDisk.faults = host.standingDiskFaults;
      host.kvDisk.faults = host.standingDiskFaults;
      this.restart(host);
    }
    this.scheduler.record('liveness phase');
  }

  /** Flips still on a disk when the run ends (the node never read them back). */
  get pendingFlips(): number {
    return this.flips.size;
  }

  /** Forgets a flip the process overwrote or detected while running (not at boot). */
  clearFlip(host: NodeHost<P>): void {
    this.flips.delete(host.nodeId);
  }
}

function isCorruption(err: unknown): boolean {
  return err instanceof Error && err.name === 'CorruptionError';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
