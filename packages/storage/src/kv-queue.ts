/**
 * The KV engine's write queue (`queueWrites`, see kv-engine.ts): written batches' operations not
 * yet handed to LevelDB. Data records queue as they were staged, in order. A session and a
 * partition's applied index are kept once per key, the last written, and encoded only when the
 * queue is taken: every applied write rewrites its client's session and every round its
 * partitions' applied indexes, and LevelDB would store each one only to drop all but the last
 * at its next compaction. Per put at 64 clients a queue held ~0.9 session and ~0.35 applied-index
 * operations per data record before (tools/bench/README.md).
 *
 * One queue taken is one atomic LevelDB batch holding whole written batches, so what LevelDB holds
 * is always the state after some written batch: never an applied index without its data.
 */
import type { GroupId } from '@ringkv/stdx';
import type { DbOp } from './db';
import type { SessionRecord } from './interfaces';
import type { StagedKvBatch } from './kv-batch';
import { appliedOp, sessionOp } from './kv-batch';

/** Bytes a queued session is counted for on top of its client id and answer. */
const SESSION_OVERHEAD_BYTES = 32;
/** Bytes a queued applied index is counted for. */
const APPLIED_BYTES = 16;

export class KvWriteQueue {
  private data: DbOp[] = [];
  /** Per partition, per client id, the last session written (undefined = deleted). */
  private sessions = new Map<GroupId, Map<string, SessionRecord | undefined>>();
  private sessionCount = 0;
  private applied = new Map<GroupId, number>();
  private bytes = 0;

  /** Operations the queue would hand to LevelDB now. */
  get size(): number {
    return this.data.length + this.sessionCount + this.applied.size;
  }

  /** Bytes of keys and values queued (sessions and applied indexes estimated). */
  get sizeBytes(): number {
    return this.bytes;
  }

  add(batch: StagedKvBatch): void {
    for (const op of batch.dataOps) {
      this.data.push(op);
      this.bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
    }
    for (const c of batch.sessionChanges) {
      let clients = this.sessions.get(c.partition);
      if (clients === undefined) this.sessions.set(c.partition, (clients = new Map()));
      const before = clients.size;
      clients.set(c.clientId, c.session);
      if (clients.size > before) {
        this.sessionCount++;
        this.bytes += c.clientId.length + SESSION_OVERHEAD_BYTES + (c.session?.answer.length ?? 0);
      }
    }
    for (const [partition, index] of batch.applied) {
      if (!this.applied.has(partition)) this.bytes += APPLIED_BYTES;
      this.applied.set(partition, index);
    }
  }

  /** Empties the queue, returning its LevelDB operations (sessions and applied indexes encoded now). */
  take(): DbOp[] {
    const ops = this.data;
    for (const [partition, clients] of this.sessions) for (const [clientId, session] of clients) ops.push(sessionOp(partition, clientId, session));
    for (const [partition, index] of this.applied) ops.push(appliedOp(partition, index));
    this.data = [];
    this.sessions = new Map();
    this.sessionCount = 0;
    this.applied = new Map();
    this.bytes = 0;
    return ops;
  }
}
