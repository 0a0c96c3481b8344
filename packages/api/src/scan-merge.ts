/**
 * A scan across partitions: each partition's page, read by its leader, merged in key order into
 * one page and a cursor. A partition's page may stop at its record limit or its byte budget
 * (then it says where: resumeAfter), so the merge keeps only keys up to the smallest such
 * point: past it, a partition that stopped early may hold keys not read yet.
 */
import { compareBytes } from '@ringkv/stdx';
import type { WireEntry } from './entries';
import type { WireKey } from './wire';
import { bytesToBase64, keyFromWire } from './wire';

export interface WireScanPartitionPage {
  readonly partition: number;
  readonly entries: WireEntry[];
  readonly revision: number;
  /** Present when the partition may hold more keys after this one. */
  readonly resumeAfter?: WireKey;
}

export interface WireScanPage {
  readonly entries: WireEntry[];
  /** Resume after this key (base64 of its bytes); null when the scan is complete. */
  readonly cursor: string | null;
}

export function mergeScanPages(pages: readonly WireScanPartitionPage[], limit: number): WireScanPage {
  let bound: Uint8Array | undefined;
  for (const page of pages) {
    const last = page.entries[page.entries.length - 1];
    // A node of an older version sends no resumeAfter: its full page may have more.
    const stop = page.resumeAfter !== undefined ? keyFromWire(page.resumeAfter) : page.entries.length >= limit && last !== undefined ? keyFromWire(last.key) : undefined;
    if (stop !== undefined && (bound === undefined || compareBytes(stop, bound) < 0)) bound = stop;
  }
  const merged: Array<{ key: Uint8Array; entry: WireEntry }> = [];
  for (const page of pages) {
    for (const entry of page.entries) {
      const key = keyFromWire(entry.key);
      if (bound === undefined || compareBytes(key, bound) <= 0) merged.push({ key, entry });
    }
  }
  merged.sort((a, b) => compareBytes(a.key, b.key));
  if (merged.length > limit) {
    const kept = merged.slice(0, limit);
    return { entries: kept.map((e) => e.entry), cursor: bytesToBase64(kept[kept.length - 1]!.key) };
  }
  // Every key up to the bound was read, and all of them are here.
  return { entries: merged.map((e) => e.entry), cursor: bound === undefined ? null : bytesToBase64(bound) };
}
