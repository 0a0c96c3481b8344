/**
 * Watch history across a planned restart. The history is in memory (the apply path stays free of
 * extra writes); a node that stops cleanly saves it into the KV engine's metadata, and the next
 * start takes it back, so a watch resumed on this node from a revision before the restart still
 * gets every change (a crash loses it: those watches get COMPACTED, and the SDK asks another
 * replica).
 *
 * Why a saved history is still true after the restart: committed entries never change and apply
 * is deterministic, so the events of revisions up to the partition's applied index at start are
 * exactly those the saved history holds, as long as it covered everything up to there:
 *  - applied index at start <= the saved end (the usual case: equal; lower when unsynced KV writes
 *    were lost): keep the events up to the applied index; the log replays the rest, and its events
 *    are published again as they apply;
 *  - applied index at start > the saved end (the node ran on after saving, or installed a snapshot):
 *    changes in between are missing, so the saved history is dropped.
 * The dump is deleted once read, so an old one never meets a later state.
 */
import type { GroupId } from '@ringkv/stdx';
import { utf8Encode } from '@ringkv/stdx';
import type { KvEngine, Value } from '@ringkv/storage';
import { asBytes, pack, packedArray, unpack } from './codec';
import type { WatchEvent } from './facade';
import type { WatchHub } from './watch-hub';

/** Events per KV record: a history may be long, a record stays a reasonable size. */
const EVENTS_PER_CHUNK = 1_000;
/** Bytes per KV record, under the KV engine's value limit (1 MiB): values may be large. An event
 *  larger than this alone ends the saved history (the events before it are not saved). */
const CHUNK_BYTES_MAX = 512 * 1024;
/** Newest events saved per partition: a planned stop must not take long. */
const SAVED_EVENTS_MAX = 10_000;
const HEADER_KEY = utf8Encode('watch-history');
const chunkKey = (partition: number, chunk: number) => utf8Encode(`watch-history/${partition}/${chunk}`);

interface SavedPartition {
  readonly partition: number;
  readonly startRevision: number;
  /** The applied index when saved: the history covers every change up to here. */
  readonly endRevision: number;
  readonly chunks: number;
}

type PackedEvent = [0 | 1, Uint8Array, number, number, Value | null];

function packEvent(e: WatchEvent): PackedEvent {
  return e.type === 'put' ? [0, e.key, e.version, e.modRevision, e.value ?? null] : [1, e.key, e.version, e.modRevision, null];
}

function unpackEvent(partition: number, p: PackedEvent): WatchEvent {
  const [type, key, version, modRevision, value] = p;
  const base = { partition, key: asBytes(key), version, modRevision };
  // A value stored as bytes comes back as bytes (msgpack gives a Buffer); JSON and strings as they were.
  if (type === 1) return { type: 'delete', ...base };
  return { type: 'put', ...base, value: value instanceof Uint8Array ? asBytes(value) : value };
}

function record(bytes: Uint8Array) {
  return { value: bytes, version: 1, createRevision: 1, modRevision: 1 };
}

/**
 * Saves every hosted partition's history (at most `eventsMaxPerPartition` newest events, cut at a
 * revision boundary) with the applied index it goes up to, durably. Call once rounds have stopped.
 */
export async function saveWatchHistory(
  kv: KvEngine,
  meta: GroupId,
  hub: WatchHub,
  partitions: ReadonlyArray<{ readonly partition: number; readonly kvApplied: number }>,
  eventsMaxPerPartition = SAVED_EVENTS_MAX,
): Promise<void> {
  const batch = kv.newApplyBatch();
  const saved: SavedPartition[] = [];
  for (const { partition, kvApplied } of partitions) {
    const history = hub.historyOf(partition);
    if (history === undefined) continue;
    let { startRevision } = history;
    let events = history.events;
    if (events.length > eventsMaxPerPartition) {
      startRevision = events[events.length - eventsMaxPerPartition]!.modRevision + 1;
      events = events.filter((e) => e.modRevision >= startRevision);
    }
    // Each event packed once: its size decides the chunks, its bytes go into one.
    const packed = events.map((e) => pack(packEvent(e)));
    const sizes = packed.map((e) => e.length);
    // The newest events that each fit a record; the history starts after the newest that does not.
    let from = events.length;
    while (from > 0 && sizes[from - 1]! <= CHUNK_BYTES_MAX) from--;
    if (from > 0) {
      startRevision = events[from - 1]!.modRevision + 1;
      while (from < events.length && events[from]!.modRevision < startRevision) from++;
    }
    let chunks = 0;
    for (let i = from; i < events.length; ) {
      let end = i;
      let bytes = 0;
      while (end < events.length && end - i < EVENTS_PER_CHUNK && (end === i || bytes + sizes[end]! <= CHUNK_BYTES_MAX)) bytes += sizes[end++]!;
      batch.put(meta, chunkKey(partition, chunks++), record(packedArray(packed, i, end)));
      i = end;
    }
    saved.push({ partition, startRevision, endRevision: kvApplied, chunks });
  }
  batch.put(meta, HEADER_KEY, record(pack(saved)));
  await kv.write(batch);
  await kv.sync();
}

/**
 * Restores the saved histories that are still true (see the top of the file), trimmed to what the
 * log still holds, then deletes the dump. Partitions without one keep the history they have.
 */
export async function loadWatchHistory(
  kv: KvEngine,
  meta: GroupId,
  hub: WatchHub,
  partitions: ReadonlyArray<{ readonly partition: number; readonly kvApplied: number; readonly logFirstIndex: number }>,
): Promise<number> {
  const header = await kv.get(meta, HEADER_KEY);
  if (header === undefined) return 0;
  const saved = unpack(asBytes(header.value)) as SavedPartition[];
  const byPartition = new Map(partitions.map((p) => [p.partition, p]));
  const cleanup = kv.newApplyBatch();
  cleanup.delete(meta, HEADER_KEY);
  let restored = 0;
  for (const s of saved) {
    const events: WatchEvent[] = [];
    let complete = true;
    for (let i = 0; i < s.chunks; i++) {
      const chunk = await kv.get(meta, chunkKey(s.partition, i));
      cleanup.delete(meta, chunkKey(s.partition, i));
      if (chunk === undefined) complete = false;
      else for (const p of unpack(asBytes(chunk.value)) as PackedEvent[]) events.push(unpackEvent(s.partition, p));
    }
    const now = byPartition.get(s.partition);
    if (!complete || now === undefined || now.kvApplied > s.endRevision || s.startRevision > now.kvApplied + 1) continue;
    const startRevision = Math.max(s.startRevision, now.logFirstIndex);
    if (startRevision > now.kvApplied + 1) continue;
    hub.restore(s.partition, startRevision, events.filter((e) => e.modRevision <= now.kvApplied));
    restored++;
  }
  await kv.write(cleanup);
  return restored;
}
