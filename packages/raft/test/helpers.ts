/** Small builders shared by the unit tests. */
import { nodeId, type NodeId } from '@ringkv/stdx';
import type { ConfState, Entry } from '../src/index';

export const ids = (...xs: number[]): NodeId[] => xs.map((x) => nodeId(x));

export function ent(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(data) };
}

export function ents(...pairs: [index: number, term: number][]): Entry[] {
  return pairs.map(([i, t]) => ent(i, t));
}

export function confState(voters: number[], learners: number[] = []): ConfState {
  return { voters: ids(...voters), learners: ids(...learners), votersOutgoing: [], learnersNext: [], autoLeave: false };
}
