/** Peer frames and the watch history on their own. */
import { describe, expect, it } from 'vitest';
import { nodeId, utf8Encode } from '@ringkv/stdx';
import type { NodeId } from '@ringkv/stdx';
import type { Entry, Message } from '@ringkv/raft';
import fc from 'fast-check';
import { decodePeerFrame, decodePeerFrameByMsgpackr, encodePeerFrame, encodePeerFrameByMsgpackr } from '../src/peer-frame';
import type { PeerFrameContent } from '../src/peer-frame';
import { readPeerFrame, writePeerFrame } from '../src/peer-frame-bytes';
import { WatchHub } from '../src/watch-hub';
import { SnapshotAssembler } from '../src/snapshot-transfer';
import { ExpiryIndex } from '../src/expiry-index';
import { StoreError } from '../src/errors';
import { pack, packedArray, unpack } from '../src/codec';
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

const MESSAGE_KEYS = ['type', 'from', 'to', 'term', 'logTerm', 'index', 'entries', 'commit', 'reject', 'rejectHint', 'snapshot', 'context'];

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

  it('refuses a well-formed frame with any one field of the wrong type or range', () => {
    // The positional form encodePeerFrame writes: [1, [[group, message, commit?, ageMs?]], [chunk]].
    const entry = () => [3, 8, 0, new Uint8Array([1])];
    const conf = () => [[1, 2], [], [], [], false];
    const message = () => [3, 1, 2, 3, 2, 7, [entry()], 6, 0, 0, null, null];
    const frame = () => [1, [[0, message(), 6, 1.5]], [[5, 1, 0, 1, new Uint8Array([4]), null]]];
    expect(decodePeerFrame(pack(frame())).messages[0]!.sync).toEqual({ commit: 6, ageMs: 1.5 });
    const withSnapshot = frame();
    (withSnapshot[1] as unknown[][])[0]![1] = Object.assign(message(), { 10: [5, 2, conf(), new Uint8Array([7])] });
    expect(decodePeerFrame(pack(withSnapshot)).messages[0]!.message.snapshot?.metadata.index).toBe(5);

    const cases: Array<[string, (f: unknown[]) => void, string]> = [
      ['extra top-level field', (f) => f.push(0), 'not a RingKV peer frame'],
      ['a group message of 3 fields', (f) => (f[1] as unknown[][])[0]!.splice(2, 1), 'does not have 2 or 4 fields'],
      ['a negative group', (f) => ((f[1] as unknown[][])[0]![0] = -1), 'a group id'],
      ['a string sync commit', (f) => ((f[1] as unknown[][])[0]![2] = '6'), 'a leader sync commit'],
      ['a negative sync age', (f) => ((f[1] as unknown[][])[0]![3] = -1), 'malformed leader sync'],
      ['a message of 11 fields', (f) => ((f[1] as unknown[][])[0]![1] as unknown[]).pop(), 'does not have 12 fields'],
      ['an unknown type code', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[0] = 99), 'unknown message type code 99'],
      ['a string type code', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[0] = '3'), 'unknown message type code 3'],
      ['a string sender', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[1] = '1'), 'a message sender'],
      ['a fractional addressee', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[2] = 2.5), 'a message addressee'],
      ['a string term', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[3] = '3'), 'a message term'],
      ['a negative log term', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[4] = -2), 'a message log term'],
      ['a float index', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[5] = 7.5), 'a message index'],
      ['entries not an array', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[6] = 5), 'a message entry list'],
      ['a null commit', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[7] = null), 'a message commit index'],
      ['a reject flag of 2', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[8] = 2), 'reject flag'],
      ['a string reject hint', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[9] = 'x'), 'a message reject hint'],
      ['a context that is not bytes', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[11] = 'ctx'), 'expected bytes'],
      ['an entry of 3 fields', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[6] as unknown[][])[0]!.pop(), 'an entry does not have 4 fields'],
      ['an entry with a string term', (f) => ((((f[1] as unknown[][])[0]![1] as unknown[])[6] as unknown[][])[0]![0] = '3'), 'an entry term'],
      ['an entry with a negative index', (f) => ((((f[1] as unknown[][])[0]![1] as unknown[])[6] as unknown[][])[0]![1] = -8), 'an entry index'],
      ['an entry type of 2', (f) => ((((f[1] as unknown[][])[0]![1] as unknown[])[6] as unknown[][])[0]![2] = 2), 'an entry type'],
      ['entry data that is not bytes', (f) => ((((f[1] as unknown[][])[0]![1] as unknown[])[6] as unknown[][])[0]![3] = [1]), 'expected bytes'],
      ['a snapshot of 3 fields', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = [5, 2, conf()]), 'a snapshot does not have 4 fields'],
      ['a snapshot with a string index', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = ['5', 2, conf(), new Uint8Array()]), 'a snapshot index'],
      ['a snapshot with a negative term', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = [5, -2, conf(), new Uint8Array()]), 'a snapshot term'],
      ['a conf state without autoLeave', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = [5, 2, [[1], [], [], [], 0], new Uint8Array()]), 'conf state is malformed'],
      ['a voter that is a string', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = [5, 2, [['1'], [], [], [], false], new Uint8Array()]), 'a node id in voters'],
      ['learners not an array', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = [5, 2, [[1], 7, [], [], false], new Uint8Array()]), 'learners is not an array'],
      ['snapshot data that is not bytes', (f) => (((f[1] as unknown[][])[0]![1] as unknown[])[10] = [5, 2, conf(), 'data']), 'expected bytes'],
      ['a chunk of 5 fields', (f) => (f[2] as unknown[][])[0]!.pop(), 'a snapshot chunk does not have 6 fields'],
      ['a chunk with a string group', (f) => ((f[2] as unknown[][])[0]![0] = 'g'), 'a chunk group'],
      ['a chunk with a negative transfer id', (f) => ((f[2] as unknown[][])[0]![1] = -1), 'a chunk transfer id'],
      ['a chunk with a float seq', (f) => ((f[2] as unknown[][])[0]![2] = 0.5), 'a chunk sequence number'],
      ['a chunk with a string total', (f) => ((f[2] as unknown[][])[0]![3] = '1'), 'a chunk total'],
      ['chunk data that is not bytes', (f) => ((f[2] as unknown[][])[0]![4] = 4), 'expected bytes'],
      ['a chunk message that is malformed', (f) => ((f[2] as unknown[][])[0]![5] = [1]), 'does not have 12 fields'],
    ];
    for (const [what, spoil, message] of cases) {
      const f = frame();
      spoil(f);
      expect(() => decodePeerFrame(pack(f)), what).toThrow(TypeError);
      expect(() => decodePeerFrame(pack(f)), what).toThrow(message);
    }
  });
});

describe('peer frames by hand', () => {
  const ids = fc.array(fc.oneof(fc.nat(300), fc.integer({ min: 0, max: 2 ** 40 })).map((n) => n as NodeId), { maxLength: 4 });
  // Numbers of every msgpack width: fixint, 8, 16 and 32 bits, and a float64 past 32 bits.
  const count = fc.oneof(fc.nat(130), fc.nat(70_000), fc.nat(2 ** 32 - 1), fc.maxSafeNat());
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new Uint8Array(300)));
  const messageArb: fc.Arbitrary<Message> = fc
    .record({
      type: fc.constantFrom<Message['type']>('MsgApp', 'MsgAppResp', 'MsgHeartbeat', 'MsgHeartbeatResp', 'MsgVote', 'MsgSnap', 'MsgReadIndex', 'MsgTimeoutNow'),
      from: count.map((n) => n as NodeId),
      to: count.map((n) => n as NodeId),
      term: count,
      logTerm: count,
      index: count,
      entries: fc.oneof(
        fc.array(fc.record({ term: count, index: count, type: fc.constantFrom<Entry['type']>('normal', 'confChange'), data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 4 }),
        fc.constant(Array.from({ length: 17 }, (_, i): Entry => ({ term: 2, index: i + 1, type: 'normal', data: new Uint8Array([i]) }))),
      ),
      commit: count,
      reject: fc.boolean(),
      rejectHint: count,
      snapshot: fc.option(
        fc.record({
          metadata: fc.record({ index: count, term: count, confState: fc.record({ voters: ids, learners: ids, votersOutgoing: ids, learnersNext: ids, autoLeave: fc.boolean() }) }),
          data: bytes,
        }),
        { nil: undefined },
      ),
      context: fc.option(bytes, { nil: undefined }),
    })
    .map((m) => {
      const { snapshot, context, ...rest } = m;
      return { ...rest, ...(snapshot === undefined ? {} : { snapshot }), ...(context === undefined ? {} : { context }) };
    });
  const ageMs = fc.oneof(fc.nat(1000), fc.double({ min: 0, max: 1e12, noDefaultInfinity: true, noNaN: true }));
  const frameArb: fc.Arbitrary<PeerFrameContent> = fc.record({
    messages: fc.array(
      fc.record({ group: count, message: messageArb, sync: fc.option(fc.record({ commit: count, ageMs }), { nil: undefined }) }).map((gm) =>
        gm.sync === undefined ? { group: gm.group, message: gm.message } : gm,
      ),
      { maxLength: 4 },
    ),
    chunks: fc.array(
      fc.record({ group: count, transferId: count, seq: count, total: count, data: bytes, message: fc.option(messageArb, { nil: undefined }) }).map((c) => {
        const { message, ...rest } = c;
        return message === undefined ? rest : { ...rest, message };
      }),
      { maxLength: 2 },
    ),
  });

  it("writes msgpackr's bytes and reads back what msgpackr's decoder reads", () => {
    fc.assert(
      fc.property(frameArb, (content) => {
        const reference = encodePeerFrameByMsgpackr(content);
        const written = writePeerFrame(content);
        expect(written).toEqual(new Uint8Array(reference.buffer, reference.byteOffset, reference.byteLength));
        const read = readPeerFrame(Buffer.from(reference));
        expect(read).toEqual(content);
        expect(read).toEqual(decodePeerFrameByMsgpackr(reference));
        for (const gm of read!.messages) for (const e of gm.message.entries) expect(e.data.constructor).toBe(Uint8Array);
        // Every message in one object shape, as Raft makes its own (absent parts undefined).
        for (const gm of [...read!.messages, ...decodePeerFrameByMsgpackr(reference).messages]) expect(Object.keys(gm.message)).toEqual(MESSAGE_KEYS);
      }),
      { numRuns: 400 },
    );
    // Past the 15-item fixarray and the 16-bit array length; bin16 and bin32.
    const many = (n: number): PeerFrameContent => ({ messages: Array.from({ length: n }, (_, i) => ({ group: i, message: { ...base, entries: [], index: i } })), chunks: [] });
    const big = (n: number): PeerFrameContent => ({ messages: [], chunks: [{ group: 1, transferId: 2, seq: 0, total: 1, data: new Uint8Array(n).fill(5) }] });
    for (const content of [many(15), many(16), many(70_000), big(300), big(70_000)]) {
      const written = writePeerFrame(content)!;
      expect(Buffer.compare(written, encodePeerFrameByMsgpackr(content)), `${content.messages.length} messages`).toBe(0);
      expect(readPeerFrame(written)?.messages.length).toBe(content.messages.length);
      expect(readPeerFrame(written)?.chunks[0]?.data.length).toBe(content.chunks[0]?.data.length);
    }
  });

  it('leaves to msgpackr what it does not take, and agrees with it on every changed byte', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (content, at, value, cut) => {
        const frame = new Uint8Array(encodePeerFrame(content));
        const spoiled = cut ? frame.subarray(0, at % frame.length) : frame;
        if (!cut) spoiled[at % frame.length] = value;
        const read = readPeerFrame(spoiled);
        // msgpackr's own refusals (a cut frame) are Errors, the frame checks' TypeErrors.
        let reference: PeerFrameContent | Error;
        try {
          reference = decodePeerFrameByMsgpackr(spoiled);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          reference = error as Error;
        }
        // The hand reader never accepts what msgpackr's decoder refuses, nor reads it otherwise.
        if (read !== undefined) expect(read).toEqual(reference);
        if (reference instanceof Error) expect(() => decodePeerFrame(spoiled)).toThrow();
        else expect(decodePeerFrame(spoiled)).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
    // A number Raft never sends is packed by msgpackr, and refused on the other side as before.
    const odd: PeerFrameContent = { messages: [{ group: 1, message: { ...base, term: -1 } }], chunks: [] };
    expect(writePeerFrame(odd)).toBeUndefined();
    expect(() => decodePeerFrame(encodePeerFrame(odd))).toThrow('a message term');
    const fractional: PeerFrameContent = { messages: [{ group: 1, message: { ...base, index: 7.5 } }], chunks: [] };
    expect(writePeerFrame(fractional)).toBeUndefined();
    expect(() => decodePeerFrame(encodePeerFrame(fractional))).toThrow('a message index');
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

  it('packedArray of values packed one by one gives the bytes pack gives the array (each header size)', () => {
    const value = (i: number): unknown => (i % 3 === 0 ? [0, new Uint8Array([i & 0xff]), i, 'v'.repeat(i % 40)] : i % 3 === 1 ? { k: i } : 'x'.repeat(i % 300));
    for (const n of [0, 1, 15, 16, 1000, 65_535, 65_536, 70_000]) {
      const values = Array.from({ length: n }, (_, i) => value(i));
      const items = values.map((v) => pack(v));
      const whole = packedArray(items);
      expect(Buffer.from(whole).equals(Buffer.from(pack(values)))).toBe(true);
      expect(unpack(whole)).toEqual(values);
    }
    // A range of the items: the array of just those.
    const items = Array.from({ length: 40 }, (_, i) => pack(i * 1000));
    expect(unpack(packedArray(items, 10, 30))).toEqual(Array.from({ length: 20 }, (_, i) => (i + 10) * 1000));
  });

  it('decodes byte strings as plain Uint8Arrays, also from a Buffer', () => {
    const decoded = unpack(Buffer.from(pack([new Uint8Array([7, 8])]))) as Uint8Array[];
    expect(decoded[0]!.constructor).toBe(Uint8Array);
    expect(Array.from(decoded[0]!)).toEqual([7, 8]);
  });
});
