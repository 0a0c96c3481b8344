/**
 * Decides where each attempt goes and learns from how attempts fail. With a placement and a
 * partitioner (the Node entry hashes keys with the ring) a request goes straight to its
 * partition's leader; without them (the browser, or before the placement loaded) it goes to any
 * reachable node, which forwards it. Deciding is kept apart from doing: the client calls
 * `pick`, sends, and reports back with `onSuccess` / `onFailure`.
 */
import { CancelToken } from './cancel';
import type { ClientEnvironment } from './environment';
import { RingKVError } from './errors';
import { Placement } from './placement';
import type { ClientTransport } from './transport';
import type { WirePlacement } from './wire';

/** Maps a key's bytes to its partition; built from the placement (the ring's hash). */
export type Partitioner = (keyBytes: Uint8Array) => number;
export type PartitionerFactory = (placement: WirePlacement) => Partitioner;

export interface RouterOptions {
  /** How long a node that refused a connection is tried only as a last resort. */
  readonly downForMs: number;
  /** Placement is reloaded at most this often, however many failures ask for it. */
  readonly refreshIntervalMinMs: number;
  /** A placement this old is reloaded in the background, to follow leaders that moved. */
  readonly placementMaxAgeMs: number;
  /** One placement load gives up after this long. */
  readonly refreshTimeoutMs: number;
}

export const DEFAULT_ROUTER_OPTIONS: RouterOptions = { downForMs: 1_000, refreshIntervalMinMs: 200, placementMaxAgeMs: 5_000, refreshTimeoutMs: 3_000 };

const NONE: ReadonlySet<string> = new Set();

export class Router {
  private placement: Placement | undefined;
  private partitioner: Partitioner | undefined;
  private readonly seeds: string[];
  private readonly downUntilMs = new Map<string, number>();
  private refreshing: Promise<void> | undefined;
  private lastRefreshAtMs = -Infinity;
  private refreshWanted = true;
  private leaderless = false;
  private roundRobin = 0;

  constructor(
    endpoints: readonly string[],
    private readonly transport: ClientTransport,
    private readonly env: ClientEnvironment,
    private readonly partitionerFactory: PartitionerFactory | undefined,
    private readonly options: RouterOptions = DEFAULT_ROUTER_OPTIONS,
  ) {
    this.seeds = [...endpoints];
  }

  /** The partition of a key, when this client can compute it (smart routing). */
  partitionOf(keyBytes: Uint8Array): number | undefined {
    return this.partitioner?.(keyBytes);
  }

  get hasPlacement(): boolean {
    return this.placement !== undefined;
  }

  get smart(): boolean {
    return this.partitioner !== undefined;
  }

  /** Whether this client loads placements at all (the Node entry; the browser entry does not). */
  get placementAware(): boolean {
    return this.partitionerFactory !== undefined;
  }

  currentPlacement(): Placement | undefined {
    return this.placement;
  }

  /**
   * The endpoint for attempt number `attempt` of a request to `partition` (undefined: any node).
   * `refused` holds the endpoints that already answered NOT_LEADER to this request: a cached or
   * hinted leader among them is not believed again. `anyReplica` spreads stale reads over the
   * replicas instead of the leader.
   */
  pick(partition: number | undefined, attempt: number, anyReplica = false, refused: ReadonlySet<string> = NONE): string {
    const placement = this.placement;
    if (placement !== undefined && partition !== undefined) {
      // The common case first, before any list is built: a known leader that is up and has not refused.
      if (!anyReplica) {
        const leader = this.usableLeader(placement, partition, refused);
        if (leader !== undefined) return leader;
      }
      const replicas = this.upFirst(placement.replicasOf(partition).map((r) => placement.addressOf(r)).filter((a): a is string => a !== undefined));
      if (anyReplica) {
        if (replicas.length > 0) return replicas[Math.floor(this.env.random.next() * replicas.length)]!;
        const leader = this.usableLeader(placement, partition, refused);
        if (leader !== undefined) return leader;
      }
      const fresh = replicas.filter((a) => !refused.has(a));
      const candidates = fresh.length > 0 ? fresh : replicas;
      if (candidates.length > 0) return candidates[attempt % candidates.length]!;
    }
    const all = this.upFirst(this.allEndpoints());
    return all[this.roundRobin++ % all.length]!;
  }

  /**
   * An answer came back from `endpoint`. That alone says nothing about who leads (a follower
   * forwards what it cannot serve), but a node's answer to a single-partition call it forwarded
   * names the leader that served it (`leaderHint`, `leaderAddress`): the next call to `partition`
   * goes there directly instead of through `endpoint` until the placement ages out.
   */
  onSuccess(endpoint: string, partition?: number, answer?: unknown): void {
    this.downUntilMs.delete(endpoint);
    const placement = this.placement;
    if (placement === undefined || partition === undefined || typeof answer !== 'object' || answer === null) return;
    const { leaderHint, leaderAddress } = answer as { leaderHint?: unknown; leaderAddress?: unknown };
    if (typeof leaderHint !== 'number' || !Number.isSafeInteger(leaderHint) || leaderHint <= 0) return;
    this.followHint(placement, partition, leaderHint, typeof leaderAddress === 'string' ? leaderAddress : undefined, (address) => address === endpoint);
  }

  /**
   * Takes node `hint` as `partition`'s leader (a NOT_LEADER hint, or the leader named on a
   * forwarded answer), learning its address when one came with it, unless that address is
   * unknown, down, or one `avoid` rules out. Whether it did.
   */
  private followHint(placement: Placement, partition: number, hint: number, address: string | undefined, avoid: (address: string) => boolean): boolean {
    if (address !== undefined) placement.setNodeAddress(hint, address);
    const hinted = placement.addressOf(hint);
    if (hinted === undefined || avoid(hinted) || this.isDown(hinted)) return false;
    placement.setLeader(partition, hint);
    return true;
  }

  /** Learns from a failed attempt; returns whether the next attempt may go at once (a fresh hint). */
  onFailure(partition: number | undefined, endpoint: string, error: RingKVError, refused: ReadonlySet<string> = NONE): boolean {
    const placement = this.placement;
    if (error.data.connection === true) {
      this.downUntilMs.set(endpoint, this.env.clock.nowMs() + this.options.downForMs);
      const node = placement?.nodeAt(endpoint);
      if (node !== undefined) placement!.forgetLeadersOn(node);
      this.refreshWanted = true;
      return false;
    }
    if (error.code === 'NOT_LEADER') {
      const hint = error.data.leaderHint;
      const failedNode = placement?.nodeAt(endpoint);
      if (placement === undefined || partition === undefined) return false;
      if (hint !== undefined && hint > 0 && hint !== failedNode && this.followHint(placement, partition, hint, error.data.leaderAddress, (address) => refused.has(address))) return true;
      placement.forgetLeader(partition, failedNode);
      this.refreshWanted = true;
      return false;
    }
    // Left out of a pipeline's answer for its size: the leader is fine; go again at once (the
    // retry is sent on its own).
    if (error.code === 'UNAVAILABLE' && error.data.answerLimitBytes !== undefined) return true;
    if (error.code === 'UNAVAILABLE' && partition !== undefined) {
      placement?.forgetLeader(partition);
    }
    return false;
  }

  /**
   * Loads the placement if it is missing or a failure asked for a fresh one, at most once per
   * refreshIntervalMinMs, with one request in flight however many callers wait on it. A placement
   * older than placementMaxAgeMs is reloaded in the background (leaders move to their preferred
   * nodes; a follower would forward, but that costs a hop). Never throws: a failed refresh keeps
   * the old view (requests still reach a node that forwards). Returns the load to wait for, or
   * undefined when there is nothing to wait for (no promise: the retry loop calls this before
   * every attempt, where the answer is nearly always "nothing").
   */
  refreshIfWanted(): Promise<void> | undefined {
    if (this.partitionerFactory === undefined) return undefined;
    const nowMs = this.env.clock.nowMs();
    // A placement that named no leader for some partition (an election was running) ages faster.
    const maxAgeMs = this.leaderless ? Math.min(this.options.placementMaxAgeMs, 1_000) : this.options.placementMaxAgeMs;
    const aged = this.placement !== undefined && nowMs - this.lastRefreshAtMs >= maxAgeMs;
    if (!this.refreshWanted && !aged) return undefined;
    if (this.refreshing !== undefined) return this.placement === undefined ? this.refreshing : undefined;
    if (nowMs - this.lastRefreshAtMs < this.options.refreshIntervalMinMs) return undefined;
    this.lastRefreshAtMs = nowMs;
    // The refresh has its own time limit: it may outlive the request that started it.
    const token = new CancelToken();
    const timer = this.env.clock.setTimer(this.options.refreshTimeoutMs, () =>
      token.cancel(new RingKVError('TIMEOUT', `no placement within ${this.options.refreshTimeoutMs} ms`)),
    );
    this.refreshing = this.loadPlacement(token).finally(() => {
      this.env.clock.clearTimer(timer);
      this.refreshing = undefined;
    });
    if (this.placement === undefined || this.refreshWanted) return this.refreshing;
    return undefined;
  }

  private async loadPlacement(cancel: CancelToken): Promise<void> {
    const endpoints = this.upFirst(this.allEndpoints());
    for (const endpoint of endpoints) {
      if (cancel.cancelled) return;
      try {
        const wire = (await this.transport.call(endpoint, 'cluster.placement', undefined, { cancel })) as WirePlacement;
        const placement = Placement.fromWire(wire);
        this.partitioner = this.partitionerFactory!(wire);
        this.placement = placement;
        this.leaderless = Array.from({ length: placement.partitions }, (_, p) => placement.leaderOf(p)).some((l) => l === undefined);
        this.refreshWanted = false;
        return;
      } catch (error) {
        const e = error as RingKVError;
        if (e.data?.connection === true) this.downUntilMs.set(endpoint, this.env.clock.nowMs() + this.options.downForMs);
      }
    }
  }

  private allEndpoints(): string[] {
    const known = this.placement?.addresses() ?? [];
    const out = [...known];
    for (const seed of this.seeds) if (!out.includes(seed)) out.push(seed);
    return out;
  }

  /** The address of the partition's known leader, unless it is down or refused this request. */
  private usableLeader(placement: Placement, partition: number, refused: ReadonlySet<string>): string | undefined {
    const leader = placement.leaderOf(partition);
    if (leader === undefined) return undefined;
    const address = placement.addressOf(leader);
    return address !== undefined && !this.isDown(address) && !refused.has(address) ? address : undefined;
  }

  private isDown(endpoint: string): boolean {
    if (this.downUntilMs.size === 0) return false;
    const until = this.downUntilMs.get(endpoint);
    return until !== undefined && until > this.env.clock.nowMs();
  }

  /** Reachable endpoints first, in their given order; nodes recently down go last, not away. */
  private upFirst(endpoints: string[]): string[] {
    const up = endpoints.filter((e) => !this.isDown(e));
    const down = endpoints.filter((e) => this.isDown(e));
    return up.concat(down);
  }
}
