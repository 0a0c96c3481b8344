import { describe, expect, it } from 'vitest';
import { checkHistory } from '../src/checker';
import { HistoryRecorder } from '../src/history-recorder';
import { parseEdnKvHistory, parseEdnMap } from '../src/parse-edn-kv';
import { parseJepsenLog } from '../src/parse-jepsen';
import { parseRingKvHistory, ringKvHistoryFromRecords } from '../src/parse-ringkv';

const J = (s: string) => `INFO  jepsen.util - ${s}`;

describe('Jepsen etcd log parser', () => {
  it('reads invoke/ok/fail/info and leaves unfinished operations unknown', () => {
    const log = [
      'some preamble line that is ignored',
      J('0\t:invoke\t:write\t3'),
      J('1\t:invoke\t:read\tnil'),
      J('0\t:ok\t:write\t3'),
      J('1\t:ok\t:read\t3'),
      J('2\t:invoke\t:cas\t[3 4]'),
      J('2\t:fail\t:cas\t[3 4]'),
      J('3\t:invoke\t:write\t9'),
      J('3\t:info\t:write\t:timed-out'),
      J('4\t:invoke\t:read\tnil'),
      J('4\t:fail\t:read\t:timed-out'),
      J('5\t:invoke\t:cas\t[3 5]'),
    ].join('\n');
    const h = parseJepsenLog(log);
    const byClient = new Map(h.operations.map((o) => [o.client, o]));
    expect(byClient.get('0')).toMatchObject({ input: { kind: 'write', value: '3' }, output: { kind: 'write' }, callTime: 2, returnTime: 4 });
    expect(byClient.get('1')?.output).toEqual({ kind: 'read', value: '3' });
    expect(byClient.get('2')?.output).toEqual({ kind: 'cas', ok: false });
    expect(byClient.get('3')).toMatchObject({ output: null, returnTime: Infinity });
    expect(byClient.get('4')).toMatchObject({ output: null, returnTime: 11 });
    expect(byClient.get('5')).toMatchObject({ input: { kind: 'cas', from: '3', to: '5' }, output: null, returnTime: Infinity });
    // A failed cas observed 3 here, which it should have matched: not linearizable.
    expect(checkHistory(h).verdict).toBe('illegal');
  });

  it('names the line of a completion without an invocation', () => {
    expect(() => parseJepsenLog(J('7 :ok :read 1'))).toThrow(/line 1: process 7/);
  });
});

describe('EDN kv parser', () => {
  it('reads flat maps with strings, keywords, integers and nil', () => {
    const m = parseEdnMap('{:process 3, :type :invoke, :f :append, :key "4", :value "x \\"q\\" y"}', 1);
    expect(m.get('process')).toBe(3);
    expect(m.get('f')).toEqual({ keyword: 'append' });
    expect(m.get('value')).toBe('x "q" y');
    expect(() => parseEdnMap('{:a [1 2]}', 9)).toThrow(/line 9/);
  });

  it('builds per-key append/put/get operations', () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "a", :value "x"}',
      '{:process 1, :type :invoke, :f :get, :key "a", :value nil}',
      '{:process 0, :type :ok, :f :append, :key "a", :value "x"}',
      '{:process 1, :type :ok, :f :get, :key "a", :value "x"}',
      '{:process 2, :type :invoke, :f :put, :key "b", :value "y"}',
      '{:process 2, :type :info, :f :put, :key "b", :value "y"}',
      '{:process 3, :type :invoke, :f :get, :key "b", :value nil}',
      '{:process 3, :type :ok, :f :get, :key "b", :value "z"}',
    ].join('\n');
    const h = parseEdnKvHistory(text);
    expect(h.operations).toHaveLength(4);
    expect(h.operations.find((o) => o.client === '2')).toMatchObject({ key: 'b', output: null, returnTime: Infinity });
    const r = checkHistory(h);
    expect(r.keys.map((k) => [k.key, k.verdict])).toEqual([
      ['a', 'ok'],
      ['b', 'illegal'],
    ]);
  });
});

describe('RingKV JSON lines and HistoryRecorder', () => {
  it('round-trips a recorded history through the parser and the checker', () => {
    let now = 0;
    const rec = new HistoryRecorder(() => (now += 1));
    const p1 = rec.callPut('c1', 'k', { value: 'a' });
    const g1 = rec.callGet(2, 'k');
    rec.ok(p1, { ok: true, version: 1 });
    rec.ok(g1, { found: true, value: 'a', version: 1 });
    const p2 = rec.callPut('c1', 'k', { value: 'b', ifVersion: 0 });
    rec.ok(p2, { ok: false, code: 'CONDITION_FAILED', currentVersion: 1 });
    const d = rec.callDelete('c1', 'k');
    rec.unknown(d);
    const dropped = rec.callPut('c3', 'k', { value: 'never' });
    rec.discard(dropped);
    rec.callGet('c4', 'other'); // still pending when written: unknown
    const lines = rec.toJsonLines().trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      client: 'c1',
      key: 'k',
      unknown: false,
      callMs: 1,
      returnMs: 3,
      op: 'put',
      input: { value: 'a' },
      output: { ok: true, version: 1 },
    });
    expect(JSON.parse(lines[3] ?? '')).toMatchObject({ op: 'delete', unknown: true, output: null, returnMs: null });
    const h = parseRingKvHistory(rec.toJsonLines());
    expect(h.operations.map((o) => o.returnTime)).toEqual([3, 4, 6, Infinity, Infinity]);
    expect(checkHistory(h).verdict).toBe('ok');
    expect(ringKvHistoryFromRecords(rec.records()).operations).toEqual(h.operations);
  });

  it('catches a lost acknowledged write recorded in memory', () => {
    let now = 0;
    const rec = new HistoryRecorder(() => (now += 1));
    const p = rec.callPut('a', 'k', { value: 'v' });
    rec.ok(p, { ok: true, version: 1 });
    const g = rec.callGet('b', 'k');
    rec.ok(g, { found: false });
    const r = checkHistory(ringKvHistoryFromRecords(rec.records()));
    expect(r.verdict).toBe('illegal');
    expect(r.keys[0]?.blockingOp).toBe(1);
  });

  it('rejects misuse of the recorder', () => {
    const rec = new HistoryRecorder(() => 0);
    const g = rec.callGet('c', 'k');
    expect(() => rec.ok(g, { ok: true, version: 1 })).toThrow(/get call completed with a put output/);
    rec.ok(g, { found: false });
    expect(() => rec.unknown(g)).toThrow(/already completed/);
  });

  it('names the line and field of a malformed record', () => {
    const good = '{"client":"a","op":"get","key":"k","input":{},"output":{"found":false},"unknown":false,"callMs":1,"returnMs":2}';
    expect(parseRingKvHistory(`${good}\n\n${good}\n`).operations).toHaveLength(2);
    expect(() => parseRingKvHistory(`${good}\n{"client":"a","op":"scan"}`)).toThrow(/line 2: op must be get, put or delete/);
    expect(() => parseRingKvHistory(good.replace('"returnMs":2', '"returnMs":0'))).toThrow(/before callMs/);
    expect(() => parseRingKvHistory(good.replace('{"found":false}', '{"ok":true,"version":1}'))).toThrow(/get output/);
    expect(() => parseRingKvHistory('not json')).toThrow(/line 1: not JSON/);
  });
});
