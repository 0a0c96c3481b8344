/**
 * Snapshots travel as the partition's export (KvEngine.exportPartition) cut into chunks, one
 * chunk per frame, the last one carrying the MsgSnap to step once the whole export is imported.
 * The receiving side assembles the chunks of a transfer; a transfer with a gap never completes
 * and is evicted when newer ones arrive (the leader sends a fresh snapshot when Raft asks again).
 */
import type { Message } from '@ringkv/raft';
import type { NodeId } from '@ringkv/stdx';
import type { SnapshotChunk } from './peer-frame';

export interface AssembledSnapshot {
  readonly from: NodeId;
  readonly group: number;
  readonly chunks: readonly Uint8Array[];
  readonly message: Message;
}

interface Pending {
  readonly group: number;
  readonly total: number;
  readonly chunks: Array<Uint8Array | undefined>;
  received: number;
  message?: Message;
}

export class SnapshotAssembler {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly transfersMax: number) {}

  /** Adds a chunk; returns the whole snapshot when its last missing chunk arrives. */
  add(from: NodeId, chunk: SnapshotChunk): AssembledSnapshot | undefined {
    if (!Number.isSafeInteger(chunk.total) || chunk.total < 1 || chunk.total > 1_000_000 || chunk.seq < 0 || chunk.seq >= chunk.total) return undefined;
    const id = `${from}/${chunk.transferId}`;
    let p = this.pending.get(id);
    if (p === undefined) {
      while (this.pending.size >= this.transfersMax) this.pending.delete(this.pending.keys().next().value!);
      p = { group: chunk.group, total: chunk.total, chunks: new Array(chunk.total).fill(undefined), received: 0 };
      this.pending.set(id, p);
    }
    if (p.group !== chunk.group || p.total !== chunk.total || p.chunks[chunk.seq] !== undefined) return undefined;
    p.chunks[chunk.seq] = chunk.data;
    p.received++;
    if (chunk.message !== undefined) p.message = chunk.message;
    if (p.received < p.total || p.message === undefined) return undefined;
    this.pending.delete(id);
    return { from, group: p.group, chunks: p.chunks as Uint8Array[], message: p.message };
  }
}
