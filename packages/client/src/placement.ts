/**
 * The SDK's view of where partitions live: node addresses, each partition's replicas, and the
 * leaders it has learned (from the placement, from successful answers and from NOT_LEADER hints).
 * Pure bookkeeping: no I/O, no clock.
 */
import { assert } from '@ringkv/stdx';
import { RingKVError } from './errors';
import type { WirePlacement } from './wire';

export class Placement {
  private readonly addressById = new Map<number, string>();
  private readonly idByAddress = new Map<string, number>();
  private readonly replicas: number[][] = [];
  private readonly leaders: Array<number | undefined> = [];

  constructor(readonly partitions: number, readonly replicationFactor: number) {
    assert(Number.isInteger(partitions) && partitions >= 1, `placement needs at least one partition, got ${partitions}`);
  }

  static fromWire(wire: WirePlacement): Placement {
    if (!Number.isInteger(wire.partitions) || wire.partitions < 1 || !Array.isArray(wire.nodes) || !Array.isArray(wire.groups)) {
      throw new RingKVError('INTERNAL', `the server sent a malformed placement: ${JSON.stringify(wire).slice(0, 200)}`);
    }
    const placement = new Placement(wire.partitions, wire.replicationFactor);
    for (const node of wire.nodes) placement.setNodeAddress(node.id, node.address);
    for (const group of wire.groups) {
      if (!Number.isInteger(group.partition) || group.partition < 0 || group.partition >= wire.partitions) continue;
      placement.replicas[group.partition] = [...group.replicas];
      if (group.leader !== undefined && group.leader !== null && group.leader > 0) placement.leaders[group.partition] = group.leader;
    }
    return placement;
  }

  setNodeAddress(id: number, address: string): void {
    this.addressById.set(id, address);
    this.idByAddress.set(address, id);
  }

  addressOf(node: number): string | undefined {
    return this.addressById.get(node);
  }

  nodeAt(address: string): number | undefined {
    return this.idByAddress.get(address);
  }

  addresses(): string[] {
    return [...this.addressById.values()];
  }

  replicasOf(partition: number): readonly number[] {
    return this.replicas[partition] ?? [];
  }

  leaderOf(partition: number): number | undefined {
    return this.leaders[partition];
  }

  setLeader(partition: number, node: number): void {
    this.leaders[partition] = node;
  }

  forgetLeader(partition: number, node?: number): void {
    if (node === undefined || this.leaders[partition] === node) this.leaders[partition] = undefined;
  }

  /** Forgets every leader on a node that stopped answering. */
  forgetLeadersOn(node: number): void {
    for (let p = 0; p < this.leaders.length; p++) if (this.leaders[p] === node) this.leaders[p] = undefined;
  }
}
