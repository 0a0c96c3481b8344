/** Byte sizes used for the message-size and uncommitted-size limits. */
import type { Entry } from './types';

/** Fixed cost per entry (term, index, type) so that empty entries still count towards limits. */
const ENTRY_OVERHEAD_BYTES = 16;

export function entrySizeBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

export function payloadSizeBytes(entries: readonly Entry[]): number {
  let s = 0;
  for (const e of entries) s += e.data.byteLength;
  return s;
}

/** The longest prefix whose total size stays within maxSizeBytes, but always at least one entry. */
export function limitSize<T extends Entry>(entries: T[], maxSizeBytes: number): T[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]!);
  let limit = 1;
  for (; limit < entries.length; limit++) {
    size += entrySizeBytes(entries[limit]!);
    if (size > maxSizeBytes) break;
  }
  return limit === entries.length ? entries : entries.slice(0, limit);
}
