/**
 * The receiving side of a snapshot transfer: chunks are checked against the transfer they claim
 * to belong to, a transfer completes only with every chunk and its MsgSnap, and the number of
 * transfers held at once is bounded. (The first multiraft mutation run left these checks
 * unpinned: only the happy path had a test.)
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '@ringkv/raft';
import { nodeId } from '@ringkv/stdx';
import { SnapshotAssembler } from '../src/snapshot-transfer';
import type { SnapshotChunk } from '../src/peer-frame';

const snap: Message = {
  type: 'MsgSnap',
  from: nodeId(1),
  to: nodeId(2),
  term: 3,
  logTerm: 0,
  index: 0,
  entries: [],
  commit: 0,
  reject: false,
  rejectHint: 0,
  snapshot: { metadata: { index: 5, term: 2, confState: { voters: [nodeId(1), nodeId(2)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array(0) },
};

function chunk(seq: number, total: number, extra: Partial<SnapshotChunk> = {}): SnapshotChunk {
  return { group: 4, transferId: 7, seq, total, data: Uint8Array.of(seq), ...(seq === total - 1 ? { message: snap } : {}), ...extra };
}

const A = nodeId(1);
const B = nodeId(3);

describe('SnapshotAssembler', () => {
  it('assembles the chunks in sequence order whatever their arrival order, with the MsgSnap of the last', () => {
    const a = new SnapshotAssembler(4);
    expect(a.add(A, chunk(2, 3))).toBeUndefined();
    expect(a.add(A, chunk(0, 3))).toBeUndefined();
    const done = a.add(A, chunk(1, 3))!;
    expect(done.from).toBe(A);
    expect(done.group).toBe(4);
    expect(done.chunks.map((c) => c[0])).toEqual([0, 1, 2]);
    expect(done.message).toBe(snap);
    // Done and forgotten: a late duplicate starts nothing that could complete again by itself.
    expect(a.add(A, chunk(0, 3))).toBeUndefined();
  });

  it('waits for the MsgSnap even when every chunk is there', () => {
    const a = new SnapshotAssembler(4);
    const { message: _, ...lastWithout } = chunk(1, 2);
    expect(a.add(A, lastWithout)).toBeUndefined();
    expect(a.add(A, chunk(0, 2))).toBeUndefined();
  });

  it('takes a single-chunk transfer at once', () => {
    const a = new SnapshotAssembler(1);
    expect(a.add(A, chunk(0, 1))?.chunks.map((c) => c[0])).toEqual([0]);
  });

  it.each([
    ['a total of zero', chunk(0, 1, { total: 0 })],
    ['a negative total', chunk(0, 1, { total: -2 })],
    ['a fractional total', chunk(0, 1, { total: 1.5 })],
    ['a total over a million chunks', chunk(0, 1, { total: 1_000_001 })],
    ['a negative sequence number', chunk(0, 2, { seq: -1 })],
    ['a sequence number at the total', chunk(0, 2, { seq: 2 })],
    ['a sequence number past the total', chunk(0, 2, { seq: 5 })],
  ])('ignores a chunk with %s, holding nothing for it', (_what, bad) => {
    // Room for one transfer, taken by another one: held, the bad chunk would evict it.
    const a = new SnapshotAssembler(1);
    expect(a.add(A, chunk(0, 2, { transferId: 8 }))).toBeUndefined();
    expect(a.add(A, bad)).toBeUndefined();
    expect(a.add(A, chunk(1, 2, { transferId: 8 }))).toBeDefined();
  });

  it('accepts a total of exactly a million chunks', () => {
    const a = new SnapshotAssembler(1);
    expect(a.add(A, chunk(0, 2, { transferId: 8 }))).toBeUndefined();
    expect(a.add(A, chunk(0, 1, { total: 1_000_000 }))).toBeUndefined();
    // It is held, so it evicted the other transfer (the bound is one).
    expect(a.add(A, chunk(1, 2, { transferId: 8 }))).toBeUndefined();
  });

  it('ignores a chunk that disagrees with its transfer: another group, another total, a duplicate', () => {
    const a = new SnapshotAssembler(4);
    expect(a.add(A, chunk(0, 3))).toBeUndefined();
    expect(a.add(A, chunk(1, 3, { group: 5 }))).toBeUndefined();
    expect(a.add(A, chunk(1, 2))).toBeUndefined();
    // A duplicate of chunk 0 with other bytes neither replaces it nor counts as chunk 1.
    expect(a.add(A, chunk(0, 3, { data: Uint8Array.of(99) }))).toBeUndefined();
    expect(a.add(A, chunk(2, 3))).toBeUndefined();
    const done = a.add(A, chunk(1, 3))!;
    expect(done.group).toBe(4);
    expect(done.chunks.map((c) => c[0])).toEqual([0, 1, 2]);
  });

  it('keeps transfers of different senders apart, even with the same transfer id', () => {
    const a = new SnapshotAssembler(4);
    expect(a.add(A, chunk(0, 2))).toBeUndefined();
    expect(a.add(B, chunk(1, 2, { data: Uint8Array.of(42) }))).toBeUndefined();
    expect(a.add(B, chunk(0, 2, { data: Uint8Array.of(41) }))?.chunks.map((c) => c[0])).toEqual([41, 42]);
    expect(a.add(A, chunk(1, 2))?.chunks.map((c) => c[0])).toEqual([0, 1]);
  });

  it('holds at most transfersMax transfers, evicting the oldest', () => {
    const a = new SnapshotAssembler(2);
    expect(a.add(A, chunk(0, 2, { transferId: 1 }))).toBeUndefined();
    expect(a.add(A, chunk(0, 2, { transferId: 2 }))).toBeUndefined();
    expect(a.add(A, chunk(0, 2, { transferId: 3 }))).toBeUndefined();
    // Transfer 1 was evicted: its last chunk alone does not complete it.
    expect(a.add(A, chunk(1, 2, { transferId: 1 }))).toBeUndefined();
    // Transfer 3 is still held (transfer 1's last chunk started a new one, evicting 2).
    expect(a.add(A, chunk(1, 2, { transferId: 3 }))).toBeDefined();
    expect(a.add(A, chunk(1, 2, { transferId: 2 }))).toBeUndefined();
  });
});
