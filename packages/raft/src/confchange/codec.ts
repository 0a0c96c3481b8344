/**
 * ConfChange <-> bytes, for the data of a confChange log entry. Layout (little endian):
 * u8 version=1, u8 transition, u16 count, count x (u8 type, u32 nodeId), u32 contextLength, context.
 */
import { assert, nodeId } from '@ringkv/stdx';
import type { ConfChange, ConfChangeSingle, ConfChangeType } from '../types';

const TRANSITIONS = ['auto', 'implicit', 'explicit'] as const;
const TYPES: readonly ConfChangeType[] = ['addNode', 'addLearner', 'removeNode'];
const MAX_CHANGES = 0xffff;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  assert(cc.changes.length <= MAX_CHANGES, 'too many changes in one ConfChange');
  const ctx = cc.context ?? new Uint8Array(0);
  const out = new Uint8Array(1 + 1 + 2 + cc.changes.length * 5 + 4 + ctx.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, 1);
  dv.setUint8(1, TRANSITIONS.indexOf(cc.transition));
  dv.setUint16(2, cc.changes.length, true);
  let off = 4;
  for (const c of cc.changes) {
    dv.setUint8(off, TYPES.indexOf(c.type));
    dv.setUint32(off + 1, c.nodeId, true);
    off += 5;
  }
  dv.setUint32(off, ctx.byteLength, true);
  out.set(ctx, off + 4);
  return out;
}

export function decodeConfChange(b: Uint8Array): ConfChange {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert(b.byteLength >= 8 && dv.getUint8(0) === 1, 'not an encoded ConfChange (bad length or version)');
  const transition = TRANSITIONS[dv.getUint8(1)];
  assert(transition !== undefined, 'encoded ConfChange has an unknown transition');
  const n = dv.getUint16(2, true);
  assert(b.byteLength >= 8 + n * 5, 'encoded ConfChange is truncated');
  const changes: ConfChangeSingle[] = [];
  let off = 4;
  for (let i = 0; i < n; i++) {
    const type = TYPES[dv.getUint8(off)];
    assert(type !== undefined, 'encoded ConfChange has an unknown change type');
    changes.push({ type, nodeId: nodeId(dv.getUint32(off + 1, true)) });
    off += 5;
  }
  const len = dv.getUint32(off, true);
  assert(b.byteLength === off + 4 + len, 'encoded ConfChange has a bad context length');
  const cc: ConfChange = { transition, changes };
  return len > 0 ? { ...cc, context: b.slice(off + 4, off + 4 + len) } : cc;
}
