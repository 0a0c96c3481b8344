/** Peer frames and the watch history on their own. */
import { describe, expect, it } from 'vitest';
import { nodeId, utf8Encode } from '@ringkv/stdx';
import type { Message } from '@ringkv/raft';
import { decodePeerFrame, encodePeerFrame } from '../src/peer-frame';
import { WatchHub } from '../src/watch-hub';
import { SnapshotAssembler } from '../src/snapshot-transfer';
import { ExpiryIndex } from '../src/expiry-index';
import { StoreError } from '../src/errors';
import { pack, unpack } from '../src/codec';
import type { WatchEvent } from '../src/facade';

const base: Message = {
  type: 'MsgApp',
  from: nodeId(1),
  to: nodeId(2),
  term: 3,
  logTerm: 2,
  index: 7,
  entries: [
    { term: 3, index: 8, type: 'normal', data: new Uint8Array([1, 2, 3]) },
    { term: 3, index: 9, type: 'confChange', data: new Uint8Array([]) },
  ],
  commit: 6,
  reject: false,
  rejectHint: 0,
};

describe('peer frames', () => {
  it('round-trip every message field', () => {
    const snap: Message = {
      ...base,
      type: 'MsgSnap',
      entries: [],
      reject: true,
      rejectHint: 4,
      context: new Uint8Array([9]),
      snapshot: { metadata: { index: 5, term: 2, confState: { voters: [nodeId(1), nodeId(2)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array([7]) },
    };
    const frame = encodePeerFrame({
      messages: [
        { group: 0, message: base },
        { group: 5, message: snap },
      ],
      chunks: [{ group: 5, transferId: 1, seq: 0, total: 1, data: new Uint8Array([4]), message: snap }],
    });
    const back = decodePeerFrame(frame.slice());
    expect(back.messages).toEqual([
      { group: 0, message: base },
      { group: 5, message: snap },
    ]);
    expect(back.chunks[0]!.message).toEqual(snap);
    expect(back.messages[0]!.message.entries[0]!.data.constructor).toBe(Uint8Array);
  });

  it('refuses garbage', () => {
    expect(() => decodePeerFrame(new Uint8Array([1, 2, 3]))).toThrow();
    expect(() => decodePeerFrame(utf8Encode('hello'))).toThrow();
  });
});

describe('snapshot assembly', () => {
  it('completes only when every chunk and the MsgSnap arrived, in any order', () => {
    const a = new SnapshotAssembler(2);
    const from = nodeId(1);
    expect(a.add(from, { group: 1, transferId: 9, seq: 1, total: 2, data: new Uint8Array([2]), message: base })).toBeUndefined();
    expect(a.add(from, { group: 1, transferId: 9, seq: 1, total: 2, data: new Uint8Array([2]) })).toBeUndefined();
    const done = a.add(from, { group: 1, transferId: 9, seq: 0, total: 2, data: new Uint8Array([1]) });
    expect(done?.chunks.map((c) => c[0])).toEqual([1, 2]);
  });
});

describe('expiry index', () => {
  it('yields expired keys in expiry order, skipping stale ones, and retries them later', () => {
    const x = new ExpiryIndex();
    x.track(utf8Encode('a'), 1, 300);
    x.track(utf8Encode('b'), 2, 100);
    x.track(utf8Encode('c'), 3, 200);
    x.untrack(utf8Encode('c'));
    expect(x.takeExpired(250, 10, 1_000).map((e) => e.modRevision)).toEqual([2]);
    expect(x.takeExpired(999, 10, 2_000).map((e) => e.modRevision)).toEqual([1]);
    expect(x.takeExpired(1_000, 10, 3_000).map((e) => e.modRevision)).toEqual([2]);
    x.untrack(utf8Encode('b'));
    expect(x.takeExpired(5_000, 10, 6_000).map((e) => e.modRevision)).toEqual([1]);
  });
});

describe('watch history', () => {
  const ev = (rev: number, key: string): WatchEvent => ({ type: 'put', partition: 0, key: utf8Encode(key), value: key, version: 1, modRevision: rev });

  it('replays from a revision, then streams; COMPACTED below the history', () => {
    const hub = new WatchHub(100, 10);
    hub.reset(0, 4);
    hub.publish(0, [ev(5, 'a'), ev(6, 'b'), ev(6, 'ab')]);
    const got: WatchEvent[] = [];
    const cancel = hub.watch({ prefix: utf8Encode('a') }, [0], 5, () => 6, { onEvent: (e) => got.push(e), onError: () => undefined });
    hub.publish(0, [ev(7, 'ax')]);
    expect(got.map((e) => [e.modRevision, new TextDecoder().decode(e.key)])).toEqual([
      [5, 'a'],
      [6, 'ab'],
      [7, 'ax'],
    ]);
    cancel();
    hub.publish(0, [ev(8, 'a')]);
    expect(got).toHaveLength(3);
    expect(() => hub.watch({ key: utf8Encode('a') }, [0], 4, () => 8, { onEvent: () => undefined, onError: () => undefined })).toThrow(StoreError);
    hub.compacted(0, 7);
    try {
      hub.watch({ key: utf8Encode('a') }, [0], 6, () => 8, { onEvent: () => undefined, onError: () => undefined });
      expect.unreachable();
    } catch (error) {
      expect((error as StoreError).code).toBe('COMPACTED');
      expect((error as StoreError).data.compactedRevision).toBe(6);
    }
  });

  it('ends a watcher whose partition was replaced by a snapshot it had not seen', () => {
    const hub = new WatchHub(100, 10);
    hub.reset(0, 0);
    const errors: StoreError[] = [];
    hub.watch({ key: utf8Encode('a') }, [0], undefined, () => 3, { onEvent: () => undefined, onError: (e) => errors.push(e) });
    hub.reset(0, 50);
    expect(errors.map((e) => e.code)).toEqual(['COMPACTED']);
  });
});

describe('msgpack decoding (codec.ts)', () => {
  it('leaves the bytes it decodes as they were: no cached DataView added to them', () => {
    // A received frame, and a log entry's command decoded at apply: both are kept afterwards.
    const frame = Buffer.from(encodePeerFrame({ messages: [{ group: 1, message: base }], chunks: [] }));
    const command = pack({ a: new Uint8Array([1, 2]) });
    expect(decodePeerFrame(frame).messages[0]!.message.entries[0]!.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(unpack(command)).toEqual({ a: new Uint8Array([1, 2]) });
    expect(Object.getOwnPropertyNames(frame).filter((name) => !/^\d+$/.test(name))).toEqual([]);
    expect(Object.getOwnPropertyNames(command).filter((name) => !/^\d+$/.test(name))).toEqual([]);
  });

  it('decodes byte strings as plain Uint8Arrays, also from a Buffer', () => {
    const decoded = unpack(Buffer.from(pack([new Uint8Array([7, 8])]))) as Uint8Array[];
    expect(decoded[0]!.constructor).toBe(Uint8Array);
    expect(Array.from(decoded[0]!)).toEqual([7, 8]);
  });
});
