import { hashString, ILLEGAL } from '../model';
import type { Illegal, Model } from '../model';
import type { KvInput, KvOutput } from '../ringkv-history';

/** null: the key does not exist (never written, or deleted). */
export type KvState = { readonly value: string; readonly version: number } | null;

function conditionHolds(ifVersion: number | undefined, currentVersion: number): boolean {
  return ifVersion === undefined || ifVersion === currentVersion;
}

/**
 * RingKV's per-key model. `version` counts writes since the key was created (1 after the first
 * put); a delete makes the key absent, so the next put creates it again at version 1. Conditional
 * writes compare `ifVersion` with the current version (0 when absent) and fail with
 * CONDITION_FAILED carrying the current version, changing nothing.
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: 'ringkv-kv',
  init: () => null,
  step(state, input, output): KvState | Illegal {
    const currentVersion = state?.version ?? 0;
    switch (input.op) {
      case 'get': {
        if (output === null) return state;
        if (!('found' in output)) return ILLEGAL;
        if (!output.found) return state === null ? state : ILLEGAL;
        return state !== null && state.value === output.value && state.version === output.version ? state : ILLEGAL;
      }
      case 'put': {
        const holds = conditionHolds(input.ifVersion, currentVersion);
        const next = { value: input.value, version: currentVersion + 1 };
        if (output === null) return holds ? next : state;
        if (!('ok' in output)) return ILLEGAL;
        if (output.ok) return holds && 'version' in output && output.version === next.version ? next : ILLEGAL;
        return !holds && output.currentVersion === currentVersion ? state : ILLEGAL;
      }
      case 'delete': {
        const holds = conditionHolds(input.ifVersion, currentVersion);
        if (output === null) return holds ? null : state;
        if (!('ok' in output)) return ILLEGAL;
        if (output.ok) return holds && 'deleted' in output && output.deleted === (state !== null) ? null : ILLEGAL;
        return !holds && output.currentVersion === currentVersion ? state : ILLEGAL;
      }
    }
  },
  equal: (a, b) => a === b || (a !== null && b !== null && a.version === b.version && a.value === b.value),
  hash: (s) => (s === null ? 0x9e3779b9 : hashString(s.value, Math.imul(s.version + 1, 0x27d4eb2d) >>> 0)),
  describeOperation(input, output) {
    const cond = input.op !== 'get' && input.ifVersion !== undefined ? ` if v${input.ifVersion}` : '';
    let call: string;
    if (input.op === 'get') call = 'get()';
    else if (input.op === 'put') call = `put(${JSON.stringify(input.value)}${cond})`;
    else call = `delete(${cond.trim()})`;
    if (output === null) return `${call} → ?`;
    if ('found' in output) return `${call} → ${output.found ? `${JSON.stringify(output.value)} v${output.version}` : 'absent'}`;
    if (!output.ok) return `${call} → CONDITION_FAILED (at v${output.currentVersion})`;
    if ('version' in output) return `${call} → v${output.version}`;
    return `${call} → ${output.deleted ? 'deleted' : 'was absent'}`;
  },
  describeState: (s) => (s === null ? 'absent' : `${JSON.stringify(s.value)} v${s.version}`),
};
