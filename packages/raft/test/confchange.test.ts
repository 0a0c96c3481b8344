import { describe, expect, it } from 'vitest';
import { Changer } from '../src/confchange/changer';
import { restoreConfig } from '../src/confchange/restore';
import { configToConfState } from '../src/tracker/tracker';
import { ConfChangeError, decodeConfChange, encodeConfChange, type ConfChange } from '../src/index';
import { confState, ids } from './helpers';

function start(voters: number[], learners: number[] = []) {
  return restoreConfig(confState(voters, learners), 10, 4);
}

function apply(state: ReturnType<typeof start>, cc: ConfChange) {
  return new Changer(state.config, state.progress, 10, 4).apply(cc);
}

const add = (n: number) => ({ type: 'addNode' as const, nodeId: ids(n)[0]! });
const learner = (n: number) => ({ type: 'addLearner' as const, nodeId: ids(n)[0]! });
const remove = (n: number) => ({ type: 'removeNode' as const, nodeId: ids(n)[0]! });

describe('confchange', () => {
  it('a single change is applied directly', () => {
    const r = apply(start([1, 2, 3]), { transition: 'auto', changes: [add(4)] });
    expect(configToConfState(r.config)).toMatchObject({ voters: [1, 2, 3, 4], votersOutgoing: [] });
    expect(r.progress.get(ids(4)[0]!)!.next).toBe(10);
  });

  it('does not modify the configuration it was given (dry-run safe)', () => {
    const s = start([1, 2, 3], [4]);
    apply(s, { transition: 'auto', changes: [add(4)] });
    expect(s.progress.get(ids(4)[0]!)!.isLearner).toBe(true);
    expect(configToConfState(s.config).learners).toEqual([4]);
  });

  it('several changes go through a joint configuration, left by an empty change', () => {
    const s = start([1, 2, 3]);
    const j = apply(s, { transition: 'auto', changes: [add(4), remove(1)] });
    const cs = configToConfState(j.config);
    expect(cs).toMatchObject({ voters: [2, 3, 4], votersOutgoing: [1, 2, 3], autoLeave: true });
    expect(j.progress.has(ids(1)[0]!)).toBe(true); // still an outgoing voter
    const left = new Changer(j.config, j.progress, 10, 4).apply({ transition: 'auto', changes: [] });
    expect(configToConfState(left.config)).toMatchObject({ voters: [2, 3, 4], votersOutgoing: [], autoLeave: false });
    expect(left.progress.has(ids(1)[0]!)).toBe(false);
  });

  it('explicit transition does not auto-leave; a voter demoted while joint becomes a learner on leave', () => {
    const s = start([1, 2, 3]);
    const j = apply(s, { transition: 'explicit', changes: [learner(3)] });
    expect(configToConfState(j.config)).toMatchObject({ voters: [1, 2], votersOutgoing: [1, 2, 3], learnersNext: [3], autoLeave: false });
    const left = new Changer(j.config, j.progress, 10, 4).leaveJoint();
    expect(configToConfState(left.config)).toMatchObject({ voters: [1, 2], learners: [3], learnersNext: [] });
    expect(left.progress.get(ids(3)[0]!)!.isLearner).toBe(true);
    // Leaving was computed on copies: the joint configuration's progress is untouched.
    expect(j.progress.get(ids(3)[0]!)!.isLearner).toBe(false);
  });

  it('refuses unsafe changes', () => {
    const s = start([1, 2, 3]);
    expect(() => apply(s, { transition: 'auto', changes: [remove(1), remove(2), remove(3)] })).toThrow(ConfChangeError);
    const j = apply(s, { transition: 'auto', changes: [add(4), add(5)] });
    expect(() => new Changer(j.config, j.progress, 10, 4).apply({ transition: 'auto', changes: [add(6)] })).toThrow(/joint/);
    expect(() => new Changer(j.config, j.progress, 10, 4).enterJoint(false, [add(6)])).toThrow(/already joint/);
    expect(() => new Changer(s.config, s.progress, 10, 4).leaveJoint()).toThrow(/non-joint/);
    expect(() => new Changer(s.config, s.progress, 10, 4).simple([add(4), add(5)])).toThrow(/more than one voter/);
  });

  it('promotes a learner and demotes a voter', () => {
    const s = start([1, 2, 3], [4]);
    const p = apply(s, { transition: 'auto', changes: [add(4)] });
    expect(configToConfState(p.config)).toMatchObject({ voters: [1, 2, 3, 4], learners: [] });
    expect(p.progress.get(ids(4)[0]!)!.isLearner).toBe(false);
    const d = apply(s, { transition: 'auto', changes: [learner(3)] });
    expect(configToConfState(d.config)).toMatchObject({ voters: [1, 2], learners: [3, 4] });
  });

  it('restore rejects contradictory ConfStates', () => {
    expect(() => restoreConfig({ ...confState([1, 2], [2]) }, 0, 4)).toThrow(ConfChangeError);
    expect(() => restoreConfig({ voters: ids(1), learners: [], votersOutgoing: [], learnersNext: ids(2), autoLeave: false }, 0, 4)).toThrow(ConfChangeError);
  });

  it('round-trips through the codec', () => {
    const cc: ConfChange = { transition: 'explicit', changes: [add(4), learner(5), remove(1)], context: new Uint8Array([1, 2, 3]) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    const empty: ConfChange = { transition: 'auto', changes: [] };
    expect(decodeConfChange(encodeConfChange(empty))).toEqual(empty);
    expect(() => decodeConfChange(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/not an encoded ConfChange/);
    const b = encodeConfChange(cc);
    expect(() => decodeConfChange(b.slice(0, b.length - 1))).toThrow();
  });

  it('decodes from a view into a larger buffer (log entries are views into frames)', () => {
    const cc: ConfChange = { transition: 'implicit', changes: [add(4), remove(2)], context: new Uint8Array([9]) };
    const b = encodeConfChange(cc);
    const frame = new Uint8Array(b.length + 7);
    frame.set(b, 3);
    expect(decodeConfChange(frame.subarray(3, 3 + b.length))).toEqual(cc);
  });

  it('refuses bytes that are not a well-formed ConfChange, naming what is wrong', () => {
    const b = encodeConfChange({ transition: 'auto', changes: [add(4)] }); // 4 + 5 + 4 = 13 bytes
    const edited = (at: number, value: number): Uint8Array => {
      const c = b.slice();
      c[at] = value;
      return c;
    };
    expect(() => decodeConfChange(b.slice(0, 7))).toThrow(/bad length or version/);
    expect(() => decodeConfChange(edited(1, 3))).toThrow(/unknown transition/);
    expect(() => decodeConfChange(edited(4, 3))).toThrow(/unknown change type/);
    expect(() => decodeConfChange(edited(2, 2))).toThrow(/truncated/); // says 2 changes, holds 1
    expect(() => decodeConfChange(edited(9, 1))).toThrow(/bad context length/); // a context byte that is not there
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    expect(() => decodeConfChange(longer)).toThrow(/bad context length/); // a trailing byte
    expect(() => encodeConfChange({ transition: 'auto', changes: Array.from({ length: 0x10000 }, () => add(4)) })).toThrow(/too many changes/);
    expect(encodeConfChange({ transition: 'auto', changes: Array.from({ length: 0xffff }, () => add(4)) }).length).toBe(8 + 0xffff * 5);
  });
});
