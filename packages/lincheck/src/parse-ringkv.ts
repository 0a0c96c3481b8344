import type { History, Operation } from './operation';
import { kvModel } from './models/kv-model';
import type { KvState } from './models/kv-model';
import type { KvInput, KvOutput, RingKvRecord } from './ringkv-history';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalVersion(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${where}: ifVersion must be an integer >= 0`);
  return v;
}

function checkOutput(op: RingKvRecord['op'], output: unknown, where: string): KvOutput {
  if (!isObject(output)) throw new Error(`${where}: output must be an object or null`);
  const isVersion = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (op === 'get') {
    if (output.found === false) return { found: false };
    if (output.found === true && typeof output.value === 'string' && isVersion(output.version)) {
      return { found: true, value: output.value, version: output.version as number };
    }
    throw new Error(`${where}: get output must be {"found":false} or {"found":true,"value":string,"version":n}`);
  }
  if (output.ok === false) {
    if (output.code === 'CONDITION_FAILED' && isVersion(output.currentVersion)) {
      return { ok: false, code: 'CONDITION_FAILED', currentVersion: output.currentVersion as number };
    }
    throw new Error(`${where}: a failed ${op} must be {"ok":false,"code":"CONDITION_FAILED","currentVersion":n}`);
  }
  if (op === 'put' && output.ok === true && isVersion(output.version)) return { ok: true, version: output.version as number };
  if (op === 'delete' && output.ok === true && typeof output.deleted === 'boolean') return { ok: true, deleted: output.deleted };
  throw new Error(`${where}: unexpected ${op} output ${JSON.stringify(output)}`);
}

/** Validates one parsed JSON record and turns it into a checker operation. */
export function operationFromRecord(raw: unknown, where: string): Operation<KvInput, KvOutput> {
  if (!isObject(raw)) throw new Error(`${where}: a record must be a JSON object`);
  const { client, op, key, input, output, unknown, callMs, returnMs } = raw;
  if (typeof client !== 'string' && typeof client !== 'number') throw new Error(`${where}: client must be a string or number`);
  if (op !== 'get' && op !== 'put' && op !== 'delete') throw new Error(`${where}: op must be get, put or delete`);
  if (typeof key !== 'string') throw new Error(`${where}: key must be a string`);
  if (typeof unknown !== 'boolean') throw new Error(`${where}: unknown must be true or false`);
  if (typeof callMs !== 'number' || !Number.isFinite(callMs)) throw new Error(`${where}: callMs must be a number`);
  const args = input === undefined ? {} : input;
  if (!isObject(args)) throw new Error(`${where}: input must be an object`);
  let kvInput: KvInput;
  if (op === 'get') kvInput = { op };
  else {
    const ifVersion = optionalVersion(args.ifVersion, where);
    if (op === 'put') {
      if (typeof args.value !== 'string') throw new Error(`${where}: put input needs a string value`);
      kvInput = ifVersion === undefined ? { op, value: args.value } : { op, value: args.value, ifVersion };
    } else {
      kvInput = ifVersion === undefined ? { op } : { op, ifVersion };
    }
  }
  if (unknown) {
    if (output !== null && output !== undefined) throw new Error(`${where}: an unknown outcome must have output null`);
    return { client: String(client), key, input: kvInput, output: null, callTime: callMs, returnTime: Infinity };
  }
  if (typeof returnMs !== 'number' || !Number.isFinite(returnMs)) throw new Error(`${where}: a known outcome needs returnMs`);
  if (returnMs < callMs) throw new Error(`${where}: returnMs ${returnMs} is before callMs ${callMs}`);
  return { client: String(client), key, input: kvInput, output: checkOutput(op, output, where), callTime: callMs, returnTime: returnMs };
}

/** Parses RingKV's JSON-lines history (README.md); blank lines are ignored. */
export function parseRingKvHistory(text: string): History<KvState, KvInput, KvOutput> {
  const operations: Operation<KvInput, KvOutput>[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`, { cause: e });
    }
    operations.push(operationFromRecord(raw, where));
  });
  return { model: kvModel, operations };
}

/** The same, from records already in memory (e.g. `HistoryRecorder.records()` in the simulator). */
export function ringKvHistoryFromRecords(records: readonly RingKvRecord[]): History<KvState, KvInput, KvOutput> {
  return { model: kvModel, operations: records.map((r, i) => operationFromRecord(r, `record ${i}`)) };
}
