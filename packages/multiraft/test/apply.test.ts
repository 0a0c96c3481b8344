/**
 * The state machine on its own: sessions (exactly once), conditions, TTL by log time, expiry of
 * keys and sessions. Uses the real KV engine over memory-level.
 */
import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { openKvEngine, openMemoryDb, openMemoryKvEngine } from '@ringkv/storage';
import type { KvEngine } from '@ringkv/storage';
import { ApplyRound, NEEDS_IO } from '../src/apply';
import type { ApplyEffects } from '../src/apply';
import { decodeCommand, encodeAnswer, encodeCommand } from '../src/commands';
import { pack } from '../src/codec';
import { isCorruption } from '../src/quarantine';
import type { Command } from '../src/commands';

const P = 3;
const TTL_SESSION_MS = 60_000;
const k = (s: string) => utf8Encode(s);

function effects(): ApplyEffects {
  return { events: [], expiring: [], unexpiring: [] };
}

/** Applies commands one round each, through the codec, as the Store does: synchronously when
 *  tryApply can, through apply() when it answers NEEDS_IO. */
async function applyAll(kv: KvEngine, commands: Array<[number, Command]>) {
  const answers = [];
  const all: ApplyEffects[] = [];
  for (const [index, command] of commands) {
    const round = new ApplyRound(kv, TTL_SESSION_MS);
    const fx = effects();
    const decoded = decodeCommand(encodeCommand(command));
    const fast = round.tryApply(P, index, decoded, fx);
    answers.push(fast !== NEEDS_IO ? fast : await round.apply(P, index, decoded, fx));
    round.batch.setAppliedIndex(groupId(P), index);
    await kv.write(round.batch);
    all.push(fx);
  }
  return { answers, effects: all };
}

/** Every behaviour below holds on both paths: with warm caches (tryApply applies almost every
 *  command synchronously) and without caches (every command loads its state from LevelDB). */
const engines = [
  { path: 'cached (sync path)', open: () => openMemoryKvEngine() },
  { path: 'uncached (load path)', open: () => openMemoryKvEngine({ cacheSizeBytes: 0, sessionCacheEntriesMax: 0 }) },
];

const put = (seq: number, key: string, value: unknown, extra: { ifVersion?: number; ttlMs?: number } = {}, wallMs = 1_000, clientId = 'c'): Command => ({
  type: 'write',
  wallMs,
  clientId,
  seq,
  kind: 'put',
  ops: [{ op: 'put', key: k(key), value: value as string, ...extra }],
});

describe('watch events of cached keys', () => {
  it('share the value cache\'s copy of the key instead of keeping the command\'s', async () => {
    const kv = await openMemoryKvEngine();
    await applyAll(kv, [[10, put(1, 'a', 'x')]]);
    const shared = kv.cachedKey(groupId(P), k('a'));
    expect(shared).toEqual(k('a'));
    const { effects } = await applyAll(kv, [
      [11, put(2, 'a', 'y')],
      [12, { type: 'write', wallMs: 1_000, clientId: 'c', seq: 3, kind: 'delete', ops: [{ op: 'delete', key: k('a') }] }],
    ]);
    expect(effects[0]!.events.map((e) => e.key)).toEqual([shared]);
    expect(effects[0]!.events[0]!.key).toBe(shared);
    expect(effects[1]!.events[0]!).toMatchObject({ type: 'delete', key: k('a') });
    expect(effects[1]!.events[0]!.key).toBe(shared);
    // A key the cache does not hold: the command's own bytes.
    const uncached = await openMemoryKvEngine({ cacheSizeBytes: 0 });
    const fresh = await applyAll(uncached, [[10, put(1, 'b', 'x')]]);
    expect(fresh.effects[0]!.events[0]!.key).toEqual(k('b'));
    expect(uncached.cachedKey(groupId(P), k('b'))).toBeUndefined();
  });
});

describe.each(engines)('apply, $path', ({ open }) => {
  it('answers a duplicate (clientId, seq) from the session table without applying it again', async () => {
    const kv = await open();
    const { answers } = await applyAll(kv, [
      [10, put(1, 'a', 'x')],
      [11, put(1, 'a', 'x')],
      [12, put(2, 'a', 'y')],
      [13, put(1, 'a', 'zombie')],
    ]);
    expect(answers[0]).toEqual({ ok: true, result: { version: 1, createRevision: 10, modRevision: 10 } });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual({ ok: true, result: { version: 2, createRevision: 10, modRevision: 12 } });
    expect(answers[3]).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect((await kv.get(groupId(P), k('a')))?.value).toBe('y');
    // seqs of one session may skip (its other writes went to other partitions)
    const more = await applyAll(kv, [[14, put(7, 'a', 'z')]]);
    expect(more.answers[0]).toMatchObject({ ok: true });
  });

  it('keeps a failed condition as the answer of its seq', async () => {
    const kv = await open();
    const { answers } = await applyAll(kv, [
      [5, put(1, 'a', 'x', { ifVersion: 3 })],
      [6, put(1, 'a', 'x', { ifVersion: 3 })],
    ]);
    expect(answers[0]).toMatchObject({ ok: false, code: 'CONDITION_FAILED', data: { currentVersion: 0 } });
    expect(answers[1]).toEqual(answers[0]);
    expect(await kv.get(groupId(P), k('a'))).toBeUndefined();
  });

  it('applies a batch all or nothing, conditions seeing earlier ops', async () => {
    const kv = await open();
    const batch = (seq: number, ops: Extract<Command, { type: 'write' }>['ops']): Command => ({ type: 'write', wallMs: 1, clientId: 'b', seq, kind: 'batch', ops });
    const { answers } = await applyAll(kv, [
      [2, batch(1, [{ op: 'put', key: k('x'), value: '1' }, { op: 'put', key: k('x'), value: '2', ifVersion: 1 }])],
      [3, batch(2, [{ op: 'put', key: k('y'), value: 'y' }, { op: 'delete', key: k('x'), ifVersion: 1 }])],
    ]);
    expect(answers[0]).toEqual({ ok: true, result: { revision: 2 } });
    expect((await kv.get(groupId(P), k('x')))?.value).toBe('2');
    expect((await kv.get(groupId(P), k('x')))?.version).toBe(2);
    expect(answers[1]).toMatchObject({ ok: false, code: 'CONDITION_FAILED', data: { currentVersion: 2 } });
    expect(await kv.get(groupId(P), k('y'))).toBeUndefined();
  });

  it('treats a key past its TTL (by the command time) as absent, and expires only the record that expired', async () => {
    const kv = await open();
    const { answers, effects: fx } = await applyAll(kv, [
      [2, put(1, 't', 'short', { ttlMs: 100 }, 1_000)],
      [3, put(2, 't', 'new', { ifVersion: 0 }, 1_100)],
      [4, put(3, 'u', 'u1', { ttlMs: 100 }, 1_000)],
      [5, { type: 'expire', wallMs: 1_050, keys: [{ key: k('u'), modRevision: 4 }] }],
      [6, { type: 'expire', wallMs: 2_000, keys: [{ key: k('t'), modRevision: 2 }, { key: k('u'), modRevision: 4 }] }],
    ]);
    expect(fx[0]!.expiring).toEqual([{ key: k('t'), modRevision: 2, expiresAtMs: 1_100 }]);
    // at 1100 the first record is expired: ifVersion 0 holds and the key starts over
    expect(answers[1]).toEqual({ ok: true, result: { version: 1, createRevision: 3, modRevision: 3 } });
    expect(fx[1]!.unexpiring).toEqual([k('t')]);
    // too early (1050 < 1100): nothing deleted
    expect(fx[3]!.events).toEqual([]);
    // 't' was rewritten since (modRevision 3, no TTL): kept; 'u' expired: deleted
    expect((await kv.get(groupId(P), k('t')))?.value).toBe('new');
    expect(await kv.get(groupId(P), k('u'))).toBeUndefined();
    expect(fx[4]!.events).toEqual([{ type: 'delete', partition: P, key: k('u'), version: 0, modRevision: 6 }]);
  });

  it('forgets sessions idle past the session TTL, by log time', async () => {
    const kv = await open();
    await applyAll(kv, [
      [2, put(1, 'a', 'x', {}, 1_000, 'old')],
      [3, put(1, 'b', 'x', {}, 50_000, 'young')],
      [4, { type: 'expireSessions', wallMs: 1_000 + TTL_SESSION_MS }],
    ]);
    const sessions = (await kv.listSessions(groupId(P))).map((s) => s.clientId);
    expect(sessions).toEqual(['young']);
  });

  it('round-trips every command and value kind through the log codec', () => {
    const commands: Command[] = [
      put(9, 'k', 'str'),
      put(9, 'k', { json: [1, 2, { deep: null }] }),
      { type: 'write', wallMs: 5, clientId: 'z', seq: 2, kind: 'batch', ops: [{ op: 'put', key: k('b'), value: new Uint8Array([1, 2]), ttlMs: 5, ifVersion: 0 }, { op: 'delete', key: k('d'), ifVersion: 4 }] },
      { type: 'expire', wallMs: 7, keys: [{ key: k('e'), modRevision: 3 }] },
      { type: 'expireSessions', wallMs: 8 },
    ];
    for (const c of commands) expect(decodeCommand(encodeCommand(c))).toEqual(c);
  });
});

describe('the log codec refuses a command that does not decode', () => {
  // The positional forms encodeCommand writes.
  const write = (): unknown[] => [0, 5, 'client', 2, 'batch', [[0, k('a'), [0, 'v'], null, null], [1, k('b'), null]]];
  const expire = (): unknown[] => [1, 7, [[k('e'), 3]]];

  it('decodes the well-formed forms', () => {
    expect(decodeCommand(pack(write()))).toMatchObject({ type: 'write', clientId: 'client', seq: 2, kind: 'batch' });
    expect(decodeCommand(pack(expire()))).toMatchObject({ type: 'expire', wallMs: 7 });
    expect(decodeCommand(pack([2, -40]))).toEqual({ type: 'expireSessions', wallMs: -40 });
  });

  it('as a CorruptionError naming the entry, each broken rule on its own', () => {
    const cases: Array<[string, () => unknown, string]> = [
      ['not msgpack (cut short)', () => new Uint8Array([0x93, 0x00]), 'not msgpack'],
      ['not an array', () => 'hello', 'not an array'],
      ['an unknown tag', () => [9, 1], 'unknown command tag 9'],
      ['a write of 5 fields', () => write().slice(0, 5), 'a write is not an array of 6'],
      ['a string wallMs', () => Object.assign(write(), { 1: '5' }), 'wallMs is not a finite number'],
      ['an infinite wallMs', () => Object.assign(write(), { 1: Infinity }), 'wallMs is not a finite number'],
      ['an empty clientId', () => Object.assign(write(), { 2: '' }), 'clientId is not a non-empty string'],
      ['a numeric clientId', () => Object.assign(write(), { 2: 7 }), 'clientId is not a non-empty string'],
      ['seq 0', () => Object.assign(write(), { 3: 0 }), 'seq is not an integer >= 1'],
      ['a fractional seq', () => Object.assign(write(), { 3: 1.5 }), 'seq is not an integer >= 1'],
      ['an unknown kind', () => Object.assign(write(), { 4: 'upsert' }), 'unknown write kind upsert'],
      ['no ops', () => Object.assign(write(), { 5: [] }), 'a write has no ops'],
      ['ops not an array', () => Object.assign(write(), { 5: 'ops' }), 'a write has no ops'],
      ['an op not an array', () => Object.assign(write(), { 5: [5] }), 'an op is not an array'],
      ['an unknown op tag', () => Object.assign(write(), { 5: [[7, k('a')]] }), 'unknown op tag 7'],
      ['a put of 4 fields', () => Object.assign(write(), { 5: [[0, k('a'), [0, 'v'], null]] }), 'a put op is not an array of 5'],
      ['a put key that is a string', () => Object.assign(write(), { 5: [[0, 'a', [0, 'v'], null, null]] }), 'a key is not bytes'],
      ['an unknown value tag', () => Object.assign(write(), { 5: [[0, k('a'), [3, 'v'], null, null]] }), 'unknown value tag 3'],
      ['a string value that is a number', () => Object.assign(write(), { 5: [[0, k('a'), [0, 5], null, null]] }), 'a string value is not a string'],
      ['a bytes value that is a string', () => Object.assign(write(), { 5: [[0, k('a'), [1, 'x'], null, null]] }), 'a bytes value is not bytes'],
      ['a value of 1 field', () => Object.assign(write(), { 5: [[0, k('a'), [0], null, null]] }), 'a value is not an array of 2'],
      ['a negative ifVersion', () => Object.assign(write(), { 5: [[0, k('a'), [0, 'v'], -1, null]] }), 'ifVersion is not an integer >= 0'],
      ['a ttl of 0', () => Object.assign(write(), { 5: [[0, k('a'), [0, 'v'], null, 0]] }), 'ttlMs is not an integer >= 1'],
      ['a delete of 2 fields', () => Object.assign(write(), { 5: [[1, k('b')]] }), 'a delete op is not an array of 3'],
      ['a delete ifVersion that is a string', () => Object.assign(write(), { 5: [[1, k('b'), '1']] }), 'ifVersion is not an integer >= 0'],
      ['a delete key that is a number', () => Object.assign(write(), { 5: [[1, 5, null]] }), 'a key is not bytes'],
      ['an expire of 2 fields', () => expire().slice(0, 2), 'an expire is not an array of 3'],
      ['expire keys not an array', () => Object.assign(expire(), { 2: 5 }), 'expire keys are not an array'],
      ['an expired key of 1 field', () => Object.assign(expire(), { 2: [[k('e')]] }), 'an expired key is not an array of 2'],
      ['an expired key that is a string', () => Object.assign(expire(), { 2: [['e', 3]] }), 'an expired key is not bytes'],
      ['an expired modRevision of 0', () => Object.assign(expire(), { 2: [[k('e'), 0]] }), 'modRevision is not an integer >= 1'],
      ['an expire wallMs that is null', () => Object.assign(expire(), { 1: null }), 'wallMs is not a finite number'],
      ['an expireSessions of 3 fields', () => [2, 1, 2], 'an expireSessions is not an array of 2'],
      ['an expireSessions wallMs that is a string', () => [2, 'now'], 'wallMs is not a finite number'],
    ];
    for (const [what, make, message] of cases) {
      const raw = make();
      const data = raw instanceof Uint8Array ? raw : pack(raw);
      let caught: unknown;
      try {
        decodeCommand(data, { group: groupId(3), index: 41 });
      } catch (error) {
        caught = error;
      }
      expect(isCorruption(caught), what).toBe(true);
      expect((caught as Error).message, what).toContain(`the command does not decode: ${message}`);
      expect((caught as Error).message, what).toContain('group 3');
      expect((caught as Error).message, what).toContain('index 41');
    }
  });
});

describe('apply fast path (tryApply)', () => {
  it('applies a write whose session and key are cached without I/O, and stages nothing when one is not', async () => {
    const db = await openMemoryDb();
    const warm = await openKvEngine({ db });
    await applyAll(warm, [[2, put(1, 'a', 'x')]]);
    // Warm: the write applies synchronously.
    const round = new ApplyRound(warm, TTL_SESSION_MS);
    const fx = effects();
    expect(round.tryApply(P, 3, put(2, 'a', 'y'), fx)).toEqual({ ok: true, result: { version: 2, createRevision: 2, modRevision: 3 } });
    expect(round.batch.isEmpty).toBe(false);
    expect(fx.events).toHaveLength(1);

    // A fresh engine over the same data has cold caches: the session is not known, nothing is staged.
    const cold = await openKvEngine({ db });
    const coldRound = new ApplyRound(cold, TTL_SESSION_MS);
    const coldFx = effects();
    expect(coldRound.tryApply(P, 3, put(2, 'a', 'y'), coldFx)).toBe(NEEDS_IO);
    // The session cached, the key not: still nothing staged (every read comes before any change).
    await cold.getSession(groupId(P), 'c');
    const batch: Command = { type: 'write', wallMs: 1_000, clientId: 'c', seq: 2, kind: 'batch', ops: [{ op: 'put', key: k('new'), value: 'n' }, { op: 'put', key: k('a'), value: 'y' }] };
    expect(coldRound.tryApply(P, 3, batch, coldFx)).toBe(NEEDS_IO);
    expect(coldRound.batch.isEmpty).toBe(true);
    expect(coldFx).toEqual(effects());
    // apply() loads what was missing and gives the same answer the warm engine did.
    expect(await coldRound.apply(P, 3, put(2, 'a', 'y'), coldFx)).toEqual({ ok: true, result: { version: 2, createRevision: 2, modRevision: 3 } });
  });

  it('answers a retry on the sync path with the first answer, stored byte for byte', async () => {
    const kv = await openMemoryKvEngine();
    const first = await applyAll(kv, [[4, put(1, 'a', 'x')]]);
    const stored = await kv.getSession(groupId(P), 'c');
    expect(stored?.answer).toEqual(encodeAnswer(first.answers[0]!));
    const round = new ApplyRound(kv, TTL_SESSION_MS);
    const retry = round.tryApply(P, 9, put(1, 'a', 'x'), effects());
    expect(retry).toEqual(first.answers[0]);
    expect(round.batch.isEmpty).toBe(true);
    expect((await kv.get(groupId(P), k('a')))?.modRevision).toBe(4);
  });

  it('reads a corrupt stored session or record on the load path as a CorruptionError (which quarantines the partition)', async () => {
    for (const tag of [0x63 /* session */, 0x64 /* data */]) {
      const db = await openMemoryDb();
      await applyAll(await openKvEngine({ db }), [[2, put(1, 'a', 'x')]]);
      for await (const [key, value] of db.iterator({ keyEncoding: 'view', valueEncoding: 'view' })) {
        if (key[0] !== tag) continue;
        const flipped = value.slice();
        flipped[flipped.length - 1]! ^= 0x10;
        await db.put(key, flipped, { keyEncoding: 'view', valueEncoding: 'view' });
      }
      const cold = await openKvEngine({ db });
      const round = new ApplyRound(cold, TTL_SESSION_MS);
      expect(round.tryApply(P, 3, put(2, 'a', 'y'), effects())).toBe(NEEDS_IO);
      const error = await round.apply(P, 3, put(2, 'a', 'y'), effects()).catch((e: unknown) => e);
      expect(isCorruption(error)).toBe(true);
      expect(round.batch.isEmpty).toBe(true);
    }
  });
});
