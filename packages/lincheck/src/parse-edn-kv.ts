import type { History, Operation } from './operation';
import { appendModel } from './models/append-model';
import type { AppendInput, AppendOutput } from './models/append-model';

type EdnScalar = string | number | null | { readonly keyword: string };

/**
 * Reads one flat EDN map of keywords to scalars (keyword, string, integer, nil), which is all the
 * kv histories contain. Anything else is an error naming the line, rather than a silent misread.
 */
export function parseEdnMap(line: string, lineNo: number): Map<string, EdnScalar> {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`line ${lineNo}, column ${i + 1}: ${what}`);
  };
  const skip = (): void => {
    while (i < line.length && /[\s,]/.test(line[i] ?? '')) i++;
  };
  const word = (): string => {
    const start = i;
    while (i < line.length && !/[\s,{}[\]"]/.test(line[i] ?? '')) i++;
    return line.slice(start, i);
  };
  const scalar = (): EdnScalar => {
    skip();
    const c = line[i];
    if (c === '"') {
      let out = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          i++;
          const e = line[i];
          out += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
        } else {
          out += line[i];
        }
        i++;
      }
      if (line[i] !== '"') fail('unterminated string');
      i++;
      return out;
    }
    if (c === ':') {
      i++;
      return { keyword: word() };
    }
    const w = word();
    if (w === 'nil') return null;
    if (/^-?\d+$/.test(w)) return Number(w);
    return fail(`unsupported EDN value "${w}"`);
  };
  const map = new Map<string, EdnScalar>();
  skip();
  if (line[i] !== '{') fail('expected {');
  i++;
  for (;;) {
    skip();
    if (line[i] === '}') break;
    if (i >= line.length) fail('unterminated map');
    const k = scalar();
    if (k === null || typeof k !== 'object') return fail('map keys must be keywords');
    map.set(k.keyword, scalar());
  }
  return map;
}

function keywordOf(v: EdnScalar | undefined, field: string, lineNo: number): string {
  if (v !== null && typeof v === 'object') return v.keyword;
  throw new Error(`line ${lineNo}: ${field} must be a keyword`);
}

/**
 * Parses an EDN kv history (see ../shared/lincheck-data/README.md): events `{:process P, :type
 * :invoke|:ok|:fail|:info, :f :get|:put|:append, :key K, :value V}`. Time is the line number;
 * `:info` and never-completed operations have unknown outcome; `:fail` operations did not take
 * effect and are dropped.
 */
export function parseEdnKvHistory(text: string): History<string, AppendInput, AppendOutput> {
  const operations: Operation<AppendInput, AppendOutput>[] = [];
  const pending = new Map<string, { key: string; input: AppendInput; callTime: number }>();
  text.split('\n').forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    const m = parseEdnMap(line, lineNo);
    const client = String(m.get('process'));
    const type = keywordOf(m.get('type'), ':type', lineNo);
    const f = keywordOf(m.get('f'), ':f', lineNo);
    const key = m.get('key');
    const value = m.get('value');
    if (typeof key !== 'string' && typeof key !== 'number') throw new Error(`line ${lineNo}: :key must be a string`);
    if (type === 'invoke') {
      let input: AppendInput;
      if (f === 'get') input = { kind: 'get' };
      else if ((f === 'put' || f === 'append') && typeof value === 'string') input = { kind: f, value };
      else throw new Error(`line ${lineNo}: unsupported invocation :f :${f} with :value ${JSON.stringify(value)}`);
      if (pending.has(client)) throw new Error(`line ${lineNo}: process ${client} invokes while its previous operation is pending`);
      pending.set(client, { key: String(key), input, callTime: lineNo });
      return;
    }
    const p = pending.get(client);
    if (p === undefined) throw new Error(`line ${lineNo}: process ${client} completes an operation it never invoked`);
    pending.delete(client);
    if (type === 'fail') return;
    if (type === 'info') {
      operations.push({ client, key: p.key, input: p.input, output: null, callTime: p.callTime, returnTime: Infinity });
      return;
    }
    if (type !== 'ok') throw new Error(`line ${lineNo}: unknown :type :${type}`);
    let output: AppendOutput = { value: null };
    if (p.input.kind === 'get') {
      if (typeof value !== 'string' && value !== null) throw new Error(`line ${lineNo}: get must return a string`);
      output = { value: value ?? '' };
    }
    operations.push({ client, key: p.key, input: p.input, output, callTime: p.callTime, returnTime: lineNo });
  });
  for (const [client, p] of pending) {
    operations.push({ client, key: p.key, input: p.input, output: null, callTime: p.callTime, returnTime: Infinity });
  }
  return { model: appendModel, operations };
}
