/**
 * The hand-written reader of the common write command must return exactly what msgpackr's path
 * returns for every command it reads, and leave every other one (and anything malformed) to that
 * path: it may only ever be faster, never different.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pack } from '../src/codec';
import { readWriteCommand } from '../src/command-reader';
import { writeWriteCommand } from '../src/command-writer';
import { decodeCommand, decodeCommandByMsgpackr, encodeCommand, encodeCommandByMsgpackr } from '../src/commands';
import type { Command, CommandOp } from '../src/commands';

const count = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => new Uint8Array(b));
const asciiText = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const anyText = fc.oneof(asciiText, fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('é', '\ud800', 'x\u00ff', '日本'));
const value = fc.oneof(asciiText, anyText, bytes, fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string'));
const op: fc.Arbitrary<CommandOp> = fc.oneof(
  fc.record({ key: bytes, value, ifVersion: fc.option(count, { nil: undefined }), ttlMs: fc.option(count.filter((n) => n >= 1), { nil: undefined }) }).map(({ key, value, ifVersion, ttlMs }) => {
    const put: { op: 'put'; key: Uint8Array; value: typeof value; ifVersion?: number; ttlMs?: number } = { op: 'put', key, value };
    if (ifVersion !== undefined) put.ifVersion = ifVersion;
    if (ttlMs !== undefined) put.ttlMs = ttlMs;
    return put as CommandOp;
  }),
  fc.record({ key: bytes, ifVersion: fc.option(count, { nil: undefined }) }).map(({ key, ifVersion }): CommandOp => (ifVersion === undefined ? { op: 'delete', key } : { op: 'delete', key, ifVersion })),
);
const write: fc.Arbitrary<Command> = fc.record({
  wallMs: fc.oneof(count, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1_765_000_000_000, -1, 0.5)),
  clientId: fc.oneof(asciiText.filter((s) => s.length > 0), anyText.filter((s) => s.length > 0), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 })),
  seq: count.filter((n) => n >= 1),
  kind: fc.constantFrom('put' as const, 'delete' as const, 'batch' as const),
  ops: fc.array(op, { minLength: 1, maxLength: 5 }),
}).map((w): Command => ({ type: 'write', ...w }));

describe('writeWriteCommand', () => {
  it("writes msgpackr's bytes, or leaves the command to msgpackr", () => {
    let written = 0;
    fc.assert(
      fc.property(fc.oneof(write, write.map((c) => ({ ...c, ops: Array.from({ length: 15 }, () => (c as Extract<Command, { type: 'write' }>).ops[0]!) }) as Command)), (command) => {
        const reference = encodeCommandByMsgpackr(command);
        const mine = writeWriteCommand(command as Extract<Command, { type: 'write' }>);
        expect(Buffer.from(encodeCommand(command)).equals(reference)).toBe(true);
        if (mine === undefined) {
          // Left to msgpackr only for a JSON value or a number that is not a count.
          const w = command as Extract<Command, { type: 'write' }>;
          expect(!Number.isSafeInteger(w.wallMs) || w.wallMs < 0 || w.ops.some((o) => o.op === 'put' && typeof o.value !== 'string' && !(o.value instanceof Uint8Array))).toBe(true);
          return;
        }
        written++;
        expect(Buffer.from(mine).equals(reference)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(written).toBeGreaterThan(500);
    const many: Command = { type: 'write', wallMs: 1, clientId: 'c', seq: 1, kind: 'batch', ops: Array.from({ length: 16 }, (): CommandOp => ({ op: 'delete', key: new Uint8Array([1]) })) };
    expect(writeWriteCommand(many as Extract<Command, { type: 'write' }>)).toBeUndefined();
    expect(decodeCommand(encodeCommand(many))).toEqual(many);
  });
});

describe('readWriteCommand', () => {
  it('reads a write as msgpackr does, or leaves it to msgpackr', () => {
    fc.assert(
      fc.property(write, (command) => {
        const data = encodeCommand(command);
        const reference = decodeCommandByMsgpackr(data);
        const read = readWriteCommand(data);
        if (read !== undefined) expect(read).toEqual(reference);
        expect(decodeCommand(data)).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the bench-shaped put (a 32-character client id, a 128-byte ASCII value)', () => {
    const command: Command = {
      type: 'write',
      wallMs: 1_765_000_000_123,
      clientId: 'd218832a29d33723da9bf1938889edbd',
      seq: 70_000,
      kind: 'put',
      ops: [{ op: 'put', key: new TextEncoder().encode('k000000000000045'), value: 'v'.repeat(128) }],
    };
    expect(readWriteCommand(encodeCommand(command))).toEqual(command);
  });

  it('leaves what it does not read to msgpackr: JSON values, text that is not ASCII, other commands', () => {
    const put = (value: unknown): Command => ({ type: 'write', wallMs: 1, clientId: 'c', seq: 1, kind: 'put', ops: [{ op: 'put', key: new Uint8Array([1]), value: value as string }] });
    expect(readWriteCommand(encodeCommand(put({ a: 1 })))).toBeUndefined();
    expect(readWriteCommand(encodeCommand(put('caf\u00e9')))).toBeUndefined();
    expect(readWriteCommand(encodeCommand({ type: 'expireSessions', wallMs: 8 }))).toBeUndefined();
    expect(readWriteCommand(encodeCommand({ type: 'expire', wallMs: 7, keys: [{ key: new Uint8Array([1]), modRevision: 3 }] }))).toBeUndefined();
  });

  it('never reads what msgpackr refuses or reads otherwise: a field of another type, bytes left over, a cut', () => {
    const good = encodeCommand({ type: 'write', wallMs: 5, clientId: 'client', seq: 2, kind: 'batch', ops: [{ op: 'put', key: new Uint8Array([7]), value: 'v' }, { op: 'delete', key: new Uint8Array([8]), ifVersion: 3 }] });
    expect(readWriteCommand(good)).toBeDefined();
    for (let cut = 0; cut < good.length; cut++) expect(readWriteCommand(good.subarray(0, cut))).toBeUndefined();
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(readWriteCommand(longer)).toBeUndefined();
    for (const raw of [
      [0, 5, 'client', 0, 'put', [[0, new Uint8Array([1]), [0, 'v'], null, null]]], // seq 0
      [0, 5, '', 1, 'put', [[0, new Uint8Array([1]), [0, 'v'], null, null]]], // empty client id
      [0, 5, 'client', 1, 'other', [[0, new Uint8Array([1]), [0, 'v'], null, null]]], // unknown kind
      [0, 5, 'client', 1, 'put', []], // no ops
      [0, 5, 'client', 1, 'put', [[0, new Uint8Array([1]), [0, 'v'], null, 0]]], // ttl 0
      [0, 5, 'client', 1, 'put', [[0, 'not bytes', [0, 'v'], null, null]]], // a key that is a string
      [0, -5, 'client', 1, 'put', [[0, new Uint8Array([1]), [0, 'v'], null, null]]], // negative wallMs: msgpackr's path
    ]) {
      expect(readWriteCommand(pack(raw))).toBeUndefined();
    }
  });

  it('never throws and agrees with msgpackr on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (prefix, tail) => {
        // Mostly garbage after a write's first bytes, so the reader gets past its first checks.
        const data = new Uint8Array([0x96, 0x00, ...prefix, ...tail]);
        const read = readWriteCommand(data);
        if (read !== undefined) expect(read).toEqual(decodeCommandByMsgpackr(data));
      }),
      { numRuns: 3000 },
    );
  });
});
