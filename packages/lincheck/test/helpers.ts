import type { Operation } from '../src/operation';
import type { RegisterInput, RegisterOutput } from '../src/models/register-model';

type RegOp = Operation<RegisterInput, RegisterOutput>;

/** Builders for hand-written register histories: client, call time, return time (null: unknown). */
export const reg = {
  write(client: string, value: string, call: number, ret: number | null): RegOp {
    return { client, key: 'r', input: { kind: 'write', value }, output: ret === null ? null : { kind: 'write' }, callTime: call, returnTime: ret ?? Infinity };
  },
  read(client: string, value: string | null, call: number, ret: number): RegOp {
    return { client, key: 'r', input: { kind: 'read' }, output: { kind: 'read', value }, callTime: call, returnTime: ret };
  },
  cas(client: string, from: string, to: string, ok: boolean | null, call: number, ret: number | null): RegOp {
    return {
      client,
      key: 'r',
      input: { kind: 'cas', from, to },
      output: ok === null ? null : { kind: 'cas', ok },
      callTime: call,
      returnTime: ret ?? Infinity,
    };
  },
};
