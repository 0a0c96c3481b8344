import { hashString, ILLEGAL } from '../model';
import type { Illegal, Model } from '../model';

export type AppendInput =
  | { readonly kind: 'get' }
  | { readonly kind: 'put'; readonly value: string }
  | { readonly kind: 'append'; readonly value: string };

/** For get: the whole string read. For put/append: nothing to compare, so null. */
export interface AppendOutput {
  readonly value: string | null;
}

/**
 * The string key-value model of the EDN kv histories: every key starts as "", put replaces the
 * string, append concatenates to it, get returns it whole.
 */
export const appendModel: Model<string, AppendInput, AppendOutput> = {
  name: 'append',
  init: () => '',
  step(state, input, output): string | Illegal {
    switch (input.kind) {
      case 'get':
        if (output === null) return state;
        return output.value === state ? state : ILLEGAL;
      case 'put':
        return input.value;
      case 'append':
        return state + input.value;
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => hashString(s),
  describeOperation(input, output) {
    switch (input.kind) {
      case 'get':
        return `get() → ${output === null ? '?' : JSON.stringify(output.value)}`;
      case 'put':
        return `put(${JSON.stringify(input.value)})${output === null ? ' → ?' : ''}`;
      case 'append':
        return `append(${JSON.stringify(input.value)})${output === null ? ' → ?' : ''}`;
    }
  },
  describeState: (s) => JSON.stringify(s),
};
