/**
 * Rebuilding every group's log from the segments still needed, in order. The replay is lenient
 * about one thing only: a group's entries may start above its compaction point while segments
 * are replayed, because their prefix lived in a segment deleted once nothing in it was live; a
 * later compaction, snapshot or rewrite in the replayed segments must cover that gap, or the
 * engine reports it as corruption when it builds the logs.
 */
import type { GroupId } from '@ringkv/stdx';
import { CorruptionError } from '../errors';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT_META, MemoryGroupLog } from '../group-log';
import type { LogEntry, LogHardState, LogSnapshot } from '../interfaces';
import type { RecordVisitor } from './codec';

type Meta = LogSnapshot['metadata'];

/** A group's state while segments are replayed: entries may start above the compaction point
 *  only until a later compaction covers the gap (their prefix lived in a deleted segment). */
export interface ReplayGroup {
  hs: LogHardState;
  meta: Meta;
  from: number;
  entries: LogEntry[];
}

export class Replay implements RecordVisitor {
  readonly groups = new Map<GroupId, ReplayGroup>();
  readonly pins = new Map<number, Map<GroupId, number>>();
  seq = 0;

  segmentStart(): void {
    // Checked by the open (readStart) before the record is replayed; nothing to rebuild.
  }

  checkpoint(group: GroupId, hs: LogHardState, meta: Meta): void {
    const g = this.group(group);
    g.hs = hs;
    if (meta.index > g.meta.index) this.compactTo(g, meta);
  }

  reset(group: GroupId, hs: LogHardState, meta: Meta): void {
    this.unpin(group);
    this.groups.set(group, { hs, meta, from: meta.index + 1, entries: [] });
  }

  append(group: GroupId, entries: LogEntry[]): void {
    const g = this.group(group);
    const first = g.meta.index + 1;
    const fresh = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    if (fresh.length === 0) return;
    const lo = fresh[0]!.index;
    if (lo > g.from + g.entries.length || lo < g.from) {
      // The entries before lo were in a deleted segment (dead by then, or rewritten whole later):
      // a later compaction, snapshot or rewrite must cover them, or the open reports a gap.
      g.from = lo;
      g.entries = fresh.slice();
    } else {
      g.entries.length = lo - g.from;
      for (const e of fresh) g.entries.push(e);
    }
    this.pin(group, fresh[fresh.length - 1]!.index);
  }

  hardState(group: GroupId, hs: LogHardState): void {
    this.group(group).hs = hs;
  }

  compact(group: GroupId, meta: Meta): void {
    this.compactTo(this.group(group), meta);
  }

  snapshot(group: GroupId, meta: Meta): void {
    const g = this.group(group);
    g.meta = meta;
    g.from = meta.index + 1;
    g.entries = [];
  }

  drop(group: GroupId): void {
    this.unpin(group);
    this.groups.delete(group);
  }

  /** Every group's log as replayed, checked: no gap above the compaction point, terms never decrease. */
  logs(): MemoryGroupLog[] {
    const out: MemoryGroupLog[] = [];
    for (const [group, g] of this.groups) {
      if (g.entries.length > 0 && g.from !== g.meta.index + 1) {
        throw new CorruptionError(`log gap: entries start at ${g.from}, the compaction point is ${g.meta.index}`, { group, index: g.meta.index + 1 });
      }
      let prevTerm = g.meta.term;
      for (const e of g.entries) {
        if (e.term < prevTerm) throw new CorruptionError(`entry term ${e.term} is below its predecessor's ${prevTerm}`, { group, index: e.index });
        prevTerm = e.term;
      }
      out.push(new MemoryGroupLog(group, g.hs, g.meta, g.entries));
    }
    return out;
  }

  private compactTo(g: ReplayGroup, meta: Meta): void {
    g.meta = meta;
    if (g.from <= meta.index) {
      g.entries = g.entries.slice(Math.min(meta.index + 1 - g.from, g.entries.length));
      g.from = meta.index + 1;
    }
    if (g.entries.length === 0) g.from = meta.index + 1;
  }

  private group(group: GroupId): ReplayGroup {
    let g = this.groups.get(group);
    if (g === undefined) {
      g = { hs: EMPTY_HARD_STATE, meta: EMPTY_SNAPSHOT_META, from: 1, entries: [] };
      this.groups.set(group, g);
    }
    return g;
  }

  private pin(group: GroupId, index: number): void {
    let m = this.pins.get(this.seq);
    if (m === undefined) this.pins.set(this.seq, (m = new Map()));
    m.set(group, Math.max(m.get(group) ?? 0, index));
  }

  private unpin(group: GroupId): void {
    for (const m of this.pins.values()) m.delete(group);
  }
}
