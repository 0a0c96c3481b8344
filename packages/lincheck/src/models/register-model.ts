import { hashString, ILLEGAL } from '../model';
import type { Illegal, Model } from '../model';

/** Register values are compared as strings (Jepsen logs print them as tokens). */
export type RegisterInput =
  | { readonly kind: 'read' }
  | { readonly kind: 'write'; readonly value: string }
  | { readonly kind: 'cas'; readonly from: string; readonly to: string };

export type RegisterOutput =
  | { readonly kind: 'read'; readonly value: string | null }
  | { readonly kind: 'write' }
  | { readonly kind: 'cas'; readonly ok: boolean };

/** null: the register holds no value yet. */
export type RegisterState = string | null;

/**
 * A single register with read, write and compare-and-set. It starts with no value; a cas on an
 * absent value fails. A failed cas is an operation that observed a value other than `from`.
 */
export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => null,
  step(state, input, output): RegisterState | Illegal {
    switch (input.kind) {
      case 'read':
        if (output === null || output.kind !== 'read') return state;
        return output.value === state ? state : ILLEGAL;
      case 'write':
        return input.value;
      case 'cas': {
        const matches = state !== null && state === input.from;
        if (output === null || output.kind !== 'cas') return matches ? input.to : state;
        if (output.ok !== matches) return ILLEGAL;
        return matches ? input.to : state;
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? 0x9e3779b9 : hashString(s)),
  describeOperation(input, output) {
    const unknown = output === null ? ' → ?' : '';
    switch (input.kind) {
      case 'read':
        return `read() → ${output?.kind === 'read' ? (output.value ?? 'nil') : '?'}`;
      case 'write':
        return `write(${input.value})${unknown}`;
      case 'cas':
        return `cas(${input.from}, ${input.to})${output?.kind === 'cas' ? ` → ${output.ok ? 'ok' : 'fail'}` : unknown}`;
    }
  },
  describeState: (s) => (s === null ? 'nil' : s),
};
