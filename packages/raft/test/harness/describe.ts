/** One canonical text form per message / entry / state, for transcripts and failure reports. */
import { decodeConfChange, type ConfChange, type ConfState, type Entry, type Message } from '../../src/index';

const dec = new TextDecoder();

export function describeConfChange(cc: ConfChange): string {
  const parts = cc.changes.map((c) => `${c.type === 'addNode' ? 'v' : c.type === 'addLearner' ? 'l' : 'r'}${c.nodeId}`);
  const t = cc.transition === 'auto' ? '' : ` ${cc.transition}`;
  return parts.length === 0 ? `leave-joint${t}` : `${parts.join(' ')}${t}`;
}

export function describeEntry(e: Entry): string {
  if (e.type === 'confChange') return `${e.term}/${e.index} EntryConfChange ${describeConfChange(decodeConfChange(e.data))}`;
  return `${e.term}/${e.index} EntryNormal ${JSON.stringify(dec.decode(e.data))}`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(', ')}]`;
  if (m.snapshot !== undefined) {
    const md = m.snapshot.metadata;
    s += ` Snapshot: Index:${md.index} Term:${md.term} ConfState:${describeConfState(md.confState)}`;
  }
  if (m.context !== undefined && m.context.byteLength > 0) s += ` Context:${JSON.stringify(dec.decode(m.context))}`;
  return s;
}

export function describeConfState(cs: ConfState): string {
  let s = `Voters:[${cs.voters.join(' ')}]`;
  if (cs.votersOutgoing.length > 0) s += `&&[${cs.votersOutgoing.join(' ')}]`;
  s += ` Learners:[${cs.learners.join(' ')}]`;
  if (cs.learnersNext.length > 0) s += ` LearnersNext:[${cs.learnersNext.join(' ')}]`;
  if (cs.autoLeave) s += ' AutoLeave';
  return s;
}
