/**
 * One simulated machine: its two disks (the Raft log's segment files and the KV engine's LevelDB
 * database are separate directories, so an fsync of one does not cover the other), its clock, its network
 * endpoint, and the process running on it. Crashing the machine kills the clock and the endpoint
 * at once and tells both disks; restarting boots a new incarnation of the process from what the
 * disks kept. The process is whatever `boot` starts: the real Store in a cluster run, a small
 * protocol in the simulator's own tests.
 */
import type { NodeId, Prng } from '@ringkv/stdx';
import type { PeerTransport } from '@ringkv/multiraft';
import type { SegmentDirectory, StorageDb } from '@ringkv/storage';
import type { Scheduler } from './scheduler';
import { SimClock } from './sim-clock';
import { SimDisk, type DiskFaults } from './sim-disk';
import { SimSegmentDisk } from './sim-segment-disk';
import type { SimNetwork } from './sim-network';

export interface BootContext {
  readonly nodeId: NodeId;
  readonly incarnation: number;
  readonly clock: SimClock;
  /** This incarnation's own stream of randomness. */
  readonly prng: Prng;
  readonly transport: PeerTransport;
  /** The Raft log's directory of segment files. */
  readonly logDir: SegmentDirectory;
  readonly kvDb: StorageDb;
}

/** A running process; `stop` is a clean shutdown (the liveness phase never needs it). */
export interface SimProcess {
  stop(): Promise<void>;
}

export type BootFn<P extends SimProcess> = (ctx: BootContext) => Promise<P>;

export class NodeHost<P extends SimProcess> {
  readonly logDisk: SimSegmentDisk;
  readonly kvDisk: SimDisk;
  private clockValue: SimClock | undefined;
  private processValue: P | undefined;
  private incarnation = 0;
  private booting = false;
  /** Why the last boot failed (e.g. a CorruptionError from a flipped bit), if it did. */
  bootError: unknown;

  constructor(
    readonly nodeId: NodeId,
    private readonly scheduler: Scheduler,
    private readonly network: SimNetwork,
    private readonly prng: Prng,
    private readonly boot: BootFn<P>,
    private readonly wallStartMs: number,
    /** How the disks behave outside slow stretches. */
    readonly standingDiskFaults: DiskFaults,
  ) {
    this.logDisk = new SimSegmentDisk(scheduler, prng.fork('log-disk'), `n${nodeId}.log`, standingDiskFaults);
    this.kvDisk = new SimDisk(scheduler, prng.fork('kv-disk'), `n${nodeId}.kv`, standingDiskFaults);
  }

  get isUp(): boolean {
    return this.clockValue?.isAlive === true && this.processValue !== undefined;
  }

  get isBooting(): boolean {
    return this.booting;
  }

  get process(): P | undefined {
    return this.clockValue?.isAlive === true ? this.processValue : undefined;
  }

  get clock(): SimClock | undefined {
    return this.clockValue?.isAlive === true ? this.clockValue : undefined;
  }

  /** Boots a new incarnation from the disks; call from inside a scheduler event. */
  start(): void {
    if (this.clockValue?.isAlive === true) return;
    this.incarnation++;
    const incarnation = this.incarnation;
    const clockPrng = this.prng.fork(`clock#${incarnation}`);
    const clock = new SimClock(this.scheduler, {
      label: `n${this.nodeId}#${incarnation}`,
      driftPpm: clockPrng.range(-200, 200),
      wallStartMs: this.wallStartMs + clockPrng.range(-500, 500) + this.scheduler.nowMs,
    });
    this.clockValue = clock;
    this.processValue = undefined;
    this.bootError = undefined;
    this.booting = true;
    const transport = this.network.attach(this.nodeId, clock);
    this.scheduler.record(`n${this.nodeId} start #${incarnation}`);
    void (async () => {
      try {
        const [logDir, kvDb] = [this.logDisk.open(), await this.kvDisk.open()];
        const proc = await this.boot({ nodeId: this.nodeId, incarnation, clock, prng: this.prng.fork(`process#${incarnation}`), transport, logDir, kvDb });
        if (this.incarnation === incarnation && clock.isAlive) this.processValue = proc;
      } catch (err) {
        if (this.incarnation !== incarnation) return;
        // The process could not start (e.g. it found corrupt data): it is down until repaired.
        this.bootError = err;
        clock.kill();
        this.network.detach(this.nodeId);
        this.scheduler.record(`n${this.nodeId} boot failed: ${err instanceof Error ? err.name : String(err)}`);
      } finally {
        if (this.incarnation === incarnation) this.booting = false;
      }
    })();
  }

  /** Power loss: the process vanishes mid-step, unsynced writes are (partly) lost. */
  crash(): void {
    this.incarnation++;
    this.booting = false;
    this.clockValue?.kill();
    this.network.detach(this.nodeId);
    this.processValue = undefined;
    this.logDisk.crash();
    this.kvDisk.crash();
    this.scheduler.record(`n${this.nodeId} crash`);
  }

  pause(forMs: number): void {
    this.clockValue?.pauseUntil(this.scheduler.nowMs + forMs);
    this.scheduler.record(`n${this.nodeId} pause ${forMs}`);
  }

  jumpWall(deltaMs: number): void {
    this.clockValue?.jumpWall(deltaMs);
    this.scheduler.record(`n${this.nodeId} wall jump ${deltaMs}`);
  }
}
