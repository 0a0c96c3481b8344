/**
 * RingKV's history format: JSON lines, one record per client operation. The simulator and the e2e
 * suites write it (see HistoryRecorder); the checker reads it. README.md documents it.
 */

export type RingKvClient = string | number;

export interface ConditionFailed {
  readonly ok: false;
  readonly code: 'CONDITION_FAILED';
  /** The key's version when the condition was evaluated (0: the key did not exist). */
  readonly currentVersion: number;
}

export type GetOutput =
  | { readonly found: false }
  | { readonly found: true; readonly value: string; readonly version: number };
export type PutOutput = { readonly ok: true; readonly version: number } | ConditionFailed;
export type DeleteOutput = { readonly ok: true; readonly deleted: boolean } | ConditionFailed;

export interface PutInput {
  readonly value: string;
  /** Write only if the key's version is this (0: only if the key does not exist). */
  readonly ifVersion?: number;
}
export interface DeleteInput {
  readonly ifVersion?: number;
}

interface RecordTimes {
  readonly client: RingKvClient;
  readonly key: string;
  /** True when the client never learnt the outcome (timeout, connection lost): output is null. */
  readonly unknown: boolean;
  readonly callMs: number;
  /** null when unknown: the operation may take effect at any time after callMs, or never. */
  readonly returnMs: number | null;
}

export type RingKvRecord =
  | (RecordTimes & { readonly op: 'get'; readonly input: Record<string, never>; readonly output: GetOutput | null })
  | (RecordTimes & { readonly op: 'put'; readonly input: PutInput; readonly output: PutOutput | null })
  | (RecordTimes & { readonly op: 'delete'; readonly input: DeleteInput; readonly output: DeleteOutput | null });

export type RingKvOpName = RingKvRecord['op'];

/** The model's view of an operation's input: the op name and its arguments together. */
export type KvInput =
  | { readonly op: 'get' }
  | ({ readonly op: 'put' } & PutInput)
  | ({ readonly op: 'delete' } & DeleteInput);

export type KvOutput = GetOutput | PutOutput | DeleteOutput;
