import type { History, Operation } from './operation';
import { registerModel } from './models/register-model';
import type { RegisterInput, RegisterOutput, RegisterState } from './models/register-model';

const LINE = /jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s*(.*)$/;
const CAS_ARGS = /^\[\s*(\S+)\s+(\S+)\s*\]$/;

/** The one key of a Jepsen etcd register log. */
export const JEPSEN_REGISTER_KEY = 'register';

interface Pending {
  readonly input: RegisterInput;
  readonly callTime: number;
}

function parseValue(token: string, lineNo: number): string | null {
  const t = token.trim();
  if (t === 'nil') return null;
  if (t === '' || t.startsWith(':')) throw new Error(`line ${lineNo}: expected a value or nil, got "${t}"`);
  return t;
}

function parseInput(f: string, arg: string, lineNo: number): RegisterInput {
  if (f === 'read') return { kind: 'read' };
  if (f === 'write') {
    const value = parseValue(arg, lineNo);
    if (value === null) throw new Error(`line ${lineNo}: write of nil`);
    return { kind: 'write', value };
  }
  const m = CAS_ARGS.exec(arg.trim());
  if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`line ${lineNo}: cas expects [A B], got "${arg}"`);
  return { kind: 'cas', from: m[1], to: m[2] };
}

/**
 * Parses a Jepsen etcd log (see ../shared/lincheck-data/README.md) into register operations. Time is
 * the line number. `:info` operations and operations never completed have unknown outcome (return
 * at Infinity); a `:fail :read` returned without a value (any value is acceptable); a `:fail :cas`
 * observed a value other than its `from`; any other `:fail` did not take effect and is dropped.
 */
export function parseJepsenLog(text: string): History<RegisterState, RegisterInput, RegisterOutput> {
  const operations: Operation<RegisterInput, RegisterOutput>[] = [];
  const pending = new Map<string, Pending>();
  const unknown = (client: string, p: Pending): void => {
    operations.push({ client, key: JEPSEN_REGISTER_KEY, input: p.input, output: null, callTime: p.callTime, returnTime: Infinity });
  };
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    const m = LINE.exec(line);
    if (m === null) return;
    const [, client = '', type = '', f = '', arg = ''] = m;
    if (type === 'invoke') {
      const previous = pending.get(client);
      // A process that invokes again never heard back from its previous operation.
      if (previous !== undefined) unknown(client, previous);
      pending.set(client, { input: parseInput(f, arg, lineNo), callTime: lineNo });
      return;
    }
    const p = pending.get(client);
    if (p === undefined) throw new Error(`line ${lineNo}: process ${client} completes an operation it never invoked`);
    if (p.input.kind !== f) throw new Error(`line ${lineNo}: process ${client} invoked ${p.input.kind} but completes ${f}`);
    pending.delete(client);
    const done = (output: RegisterOutput | null): void => {
      operations.push({ client, key: JEPSEN_REGISTER_KEY, input: p.input, output, callTime: p.callTime, returnTime: lineNo });
    };
    if (type === 'info') return unknown(client, p);
    if (type === 'ok') {
      if (f === 'read') return done({ kind: 'read', value: parseValue(arg, lineNo) });
      if (f === 'write') return done({ kind: 'write' });
      return done({ kind: 'cas', ok: true });
    }
    // :fail
    if (f === 'read') return done(null);
    if (f === 'cas') return done({ kind: 'cas', ok: false });
  });
  for (const [client, p] of pending) unknown(client, p);
  return { model: registerModel, operations };
}
