/**
 * Partitions whose replica on this node stopped taking part because its stored data is corrupt
 * (a CorruptionError: a record that failed its checksum in a read, an apply or a snapshot export,
 * or a committed command that does not decode).
 *
 * Why this and nothing more: a replica that holds corrupt state must never serve it nor apply on
 * top of it, and it cannot repair itself in place (wiping it could let it vote twice, and the
 * Raft core offers no "forget and refetch" short of a membership change). So it behaves like a
 * dead replica of that one group: it steps no messages, proposes and applies nothing, answers
 * reads and writes with UNAVAILABLE (the SDK moves on to the other replicas, which elect a leader
 * without it), and says so in status() and health(). The rest of the node keeps serving. A
 * restart forgets the quarantine; the corrupt record is then caught again on its first read.
 */
import { CorruptionError } from '@ringkv/storage';
import { StoreError } from './errors';

export function isCorruption(error: unknown): error is CorruptionError {
  return error instanceof CorruptionError;
}

export interface QuarantineRecord {
  readonly partition: number;
  /** What failed its checksum, for the operator. */
  readonly reason: string;
  readonly sinceWallMs: number;
}

export class Quarantine<G> {
  private readonly byPartition = new Map<number, QuarantineRecord & { readonly group: G }>();

  has(partition: number): boolean {
    return this.byPartition.has(partition);
  }

  /** Records the partition (and its frozen group, for status) as quarantined; false if it already was. */
  add(partition: number, group: G, error: unknown, wallMs: number): boolean {
    if (this.byPartition.has(partition)) return false;
    this.byPartition.set(partition, { partition, group, reason: error instanceof Error ? error.message : String(error), sinceWallMs: wallMs });
    return true;
  }

  get size(): number {
    return this.byPartition.size;
  }

  groups(): G[] {
    return [...this.byPartition.values()].map((r) => r.group);
  }

  records(): QuarantineRecord[] {
    return [...this.byPartition.values()].map(({ partition, reason, sinceWallMs }) => ({ partition, reason, sinceWallMs }));
  }

  /** What a caller of a quarantined partition gets: retryable, so the SDK tries another replica. */
  error(partition: number, nodeId: number): StoreError {
    const reason = this.byPartition.get(partition)?.reason ?? 'corrupt data';
    return new StoreError(
      'UNAVAILABLE',
      `node ${nodeId}'s replica of partition ${partition} is quarantined: its stored data is corrupt (${reason}); the other replicas serve the partition, retry`,
      { partition, retryAfterMs: 100 },
    );
  }
}
