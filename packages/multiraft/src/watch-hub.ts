/**
 * Watches: per partition, the changes applied since this replica's history begins (bounded by
 * the Raft log it still holds and by a count), and the watchers to tell about new ones. A watch
 * from a revision the history no longer covers ends at once with COMPACTED.
 */
import { compareBytes } from '@ringkv/stdx';
import { StoreError } from './errors';
import type { WatchEvent, WatchSink } from './facade';

class PartitionHistory {
  /** Ascending modRevision; several events may share one (a batch). */
  events: WatchEvent[] = [];
  /** Every change with revision >= startRevision (up to the applied index) is in `events`. */
  constructor(public startRevision: number) {}

  trimBelow(revision: number): void {
    if (revision <= this.startRevision) return;
    let drop = 0;
    while (drop < this.events.length && this.events[drop]!.modRevision < revision) drop++;
    if (drop > 0) this.events.splice(0, drop);
    this.startRevision = revision;
  }

  /** Keeps at most `max` events, dropping whole revisions from the oldest. */
  bound(max: number): void {
    if (this.events.length <= max) return;
    const cut = this.events[this.events.length - max]!.modRevision + 1;
    this.trimBelow(cut);
  }
}

interface Watcher {
  readonly key?: Uint8Array;
  readonly prefix?: Uint8Array;
  readonly partitions: ReadonlySet<number>;
  /** Per partition: the next revision this watcher may receive (no duplicates on replay). */
  readonly next: Map<number, number>;
  readonly sink: WatchSink;
  ended: boolean;
}

function matches(w: Watcher, key: Uint8Array): boolean {
  if (w.key !== undefined) return compareBytes(w.key, key) === 0;
  const prefix = w.prefix!;
  return key.length >= prefix.length && compareBytes(key.subarray(0, prefix.length), prefix) === 0;
}

export class WatchHub {
  private readonly histories = new Map<number, PartitionHistory>();
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly eventsMax: number,
    private readonly watchersMax: number,
  ) {}

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** The partition's history starts (again) right after `appliedIndex`: at open or after a snapshot. */
  reset(partition: number, appliedIndex: number): void {
    this.histories.set(partition, new PartitionHistory(appliedIndex + 1));
    for (const w of this.watchers) {
      const next = w.next.get(partition);
      if (next !== undefined && next <= appliedIndex) {
        this.end(w, new StoreError('COMPACTED', `partition ${partition} was replaced by a snapshot at revision ${appliedIndex}; watch again from ${appliedIndex + 1} after reading the current state`, { partition, compactedRevision: appliedIndex }));
      }
    }
  }

  /** The partition's history as it stands (to keep it across a planned restart). */
  historyOf(partition: number): { startRevision: number; events: readonly WatchEvent[] } | undefined {
    const history = this.histories.get(partition);
    return history === undefined ? undefined : { startRevision: history.startRevision, events: history.events };
  }

  /**
   * Replaces the partition's history with a saved one: every change with revision >= startRevision
   * up to the applied index must be in `events` (the caller checks it). Before any watcher exists.
   */
  restore(partition: number, startRevision: number, events: readonly WatchEvent[]): void {
    const history = new PartitionHistory(startRevision);
    history.events = events.filter((e) => e.modRevision >= startRevision);
    history.bound(this.eventsMax);
    this.histories.set(partition, history);
  }

  /** The log of the partition no longer holds entries below `firstIndex`. */
  compacted(partition: number, firstIndex: number): void {
    this.histories.get(partition)?.trimBelow(firstIndex);
  }

  /**
   * Registers a watcher over `partitions`, replaying history from `fromRevision` (else from
   * `appliedOf(p) + 1`). Throws COMPACTED when the history no longer reaches back that far.
   */
  watch(
    filter: { key?: Uint8Array; prefix?: Uint8Array },
    partitions: readonly number[],
    fromRevision: number | undefined,
    appliedOf: (partition: number) => number,
    sink: WatchSink,
  ): () => void {
    if (this.watchers.size >= this.watchersMax) {
      throw new StoreError('UNAVAILABLE', `this node already serves ${this.watchersMax} watches; try another node or later`, { retryAfterMs: 1_000 });
    }
    const w: Watcher = { ...filter, partitions: new Set(partitions), next: new Map(), sink, ended: false };
    const replay: WatchEvent[] = [];
    for (const p of partitions) {
      const history = this.histories.get(p);
      const from = fromRevision ?? appliedOf(p) + 1;
      if (history === undefined || from < history.startRevision) {
        const compactedRevision = (history?.startRevision ?? 1) - 1;
        throw new StoreError('COMPACTED', `partition ${p} no longer holds changes before revision ${compactedRevision + 1} (asked from ${from}); read the current state and watch from its revision`, {
          partition: p,
          compactedRevision,
        });
      }
      for (const e of history.events) if (e.modRevision >= from && matches(w, e.key)) replay.push(e);
      w.next.set(p, from);
    }
    this.watchers.add(w);
    for (const e of replay) this.deliver(w, e);
    return () => {
      w.ended = true;
      this.watchers.delete(w);
    };
  }

  /** Changes of one partition applied (durably in the KV engine) in one round, in revision order. */
  publish(partition: number, events: readonly WatchEvent[]): void {
    if (events.length === 0) return;
    const history = this.histories.get(partition);
    if (history !== undefined) {
      for (const e of events) history.events.push(e);
      history.bound(this.eventsMax);
    }
    for (const w of this.watchers) {
      if (!w.partitions.has(partition)) continue;
      for (const e of events) if (matches(w, e.key)) this.deliver(w, e);
    }
  }

  /** Ends every watcher (the store stops). */
  endAll(error: StoreError): void {
    for (const w of [...this.watchers]) this.end(w, error);
  }

  private deliver(w: Watcher, e: WatchEvent): void {
    if (w.ended) return;
    const next = w.next.get(e.partition) ?? 0;
    if (e.modRevision < next) return;
    w.next.set(e.partition, e.modRevision);
    w.sink.onEvent(e);
  }

  private end(w: Watcher, error: StoreError): void {
    if (w.ended) return;
    w.ended = true;
    this.watchers.delete(w);
    w.sink.onError(error);
  }
}
