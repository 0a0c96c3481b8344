import { describe, expect, it } from 'vitest';
import { UnstableLog } from '../src/log-unstable';
import type { Snapshot } from '../src/index';
import { confState, ents } from './helpers';

const snap = (index: number, term: number): Snapshot => ({ metadata: { index, term, confState: confState([1]) }, data: new Uint8Array() });

describe('UnstableLog', () => {
  it('reports first/last index from entries or snapshot', () => {
    const u = new UnstableLog(5);
    expect(u.maybeFirstIndex()).toBeUndefined();
    expect(u.maybeLastIndex()).toBeUndefined();
    u.truncateAndAppend(ents([5, 1], [6, 1]));
    expect(u.maybeLastIndex()).toBe(6);
    expect(u.maybeFirstIndex()).toBeUndefined();
    u.restore(snap(10, 2));
    expect(u.maybeFirstIndex()).toBe(11);
    expect(u.maybeLastIndex()).toBe(10);
    expect(u.maybeTerm(10)).toBe(2);
    expect(u.maybeTerm(9)).toBeUndefined();
  });

  it('maybeTerm covers entries only within range', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend(ents([5, 1], [6, 2]));
    expect(u.maybeTerm(4)).toBeUndefined();
    expect(u.maybeTerm(5)).toBe(1);
    expect(u.maybeTerm(6)).toBe(2);
    expect(u.maybeTerm(7)).toBeUndefined();
  });

  it('stableTo drops persisted entries, but not if the term changed meanwhile', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend(ents([5, 1], [6, 1], [7, 1]));
    u.stableTo(6, 2); // term mismatch: the entries were replaced after the Ready
    expect(u.offset).toBe(5);
    u.stableTo(6, 1);
    expect(u.offset).toBe(7);
    expect(u.entries.map((e) => e.index)).toEqual([7]);
    u.stableTo(4, 1); // below offset: nothing
    expect(u.offset).toBe(7);
  });

  it('truncateAndAppend appends, replaces everything, or truncates in the middle', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend(ents([5, 1], [6, 1], [7, 1]));
    u.truncateAndAppend(ents([8, 1]));
    expect(u.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['5/1', '6/1', '7/1', '8/1']);
    u.truncateAndAppend(ents([7, 2]));
    expect(u.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['5/1', '6/1', '7/2']);
    u.truncateAndAppend(ents([4, 3]));
    expect(u.offset).toBe(4);
    expect(u.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['4/3']);
  });

  it('stableSnapTo clears only the matching snapshot', () => {
    const u = new UnstableLog(1);
    u.restore(snap(10, 2));
    u.stableSnapTo(9);
    expect(u.snapshot).toBeDefined();
    u.stableSnapTo(10);
    expect(u.snapshot).toBeUndefined();
  });

  it('slice checks its bounds', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend(ents([5, 1], [6, 1]));
    expect(u.slice(5, 7).length).toBe(2);
    expect(() => u.slice(4, 6)).toThrow(/out of bound/);
    expect(() => u.slice(5, 8)).toThrow(/out of bound/);
    expect(() => u.slice(6, 5)).toThrow(/invalid/);
  });
});
