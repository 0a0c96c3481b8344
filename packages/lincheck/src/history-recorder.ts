import type {
  DeleteInput,
  DeleteOutput,
  GetOutput,
  PutInput,
  PutOutput,
  RingKvClient,
  RingKvRecord,
} from './ringkv-history';

type Pending =
  | { readonly op: 'get'; readonly input: Record<string, never> }
  | { readonly op: 'put'; readonly input: PutInput }
  | { readonly op: 'delete'; readonly input: DeleteInput };

interface Slot {
  readonly client: RingKvClient;
  readonly key: string;
  readonly callMs: number;
  readonly call: Pending;
  /** undefined while pending; 'unknown' once given up on; 'discarded' if certainly not applied. */
  outcome: { readonly output: GetOutput | PutOutput | DeleteOutput; readonly returnMs: number } | 'unknown' | 'discarded' | undefined;
}

/** Identifies one recorded call; pass it back to complete the operation. */
export type CallHandle = number & { readonly __callHandle: unique symbol };

/**
 * Records client operations as they are called and answered, and writes RingKV's JSON-lines
 * history. Times come from the injected clock, so the simulator can record virtual time.
 *
 * Rules for the caller: record the call before sending the request, and the answer after it
 * arrives. An operation that timed out or lost its connection is `unknown` (it may still take
 * effect). `discard` only when the operation certainly had no effect (e.g. rejected before it was
 * proposed). Anything still pending when the history is written is written as unknown.
 */
export class HistoryRecorder {
  private readonly slots: Slot[] = [];

  constructor(private readonly nowMs: () => number) {}

  private slot(handle: CallHandle): Slot {
    const s = this.slots[handle];
    if (s === undefined) throw new Error(`HistoryRecorder: no call with handle ${handle}`);
    if (s.outcome !== undefined) throw new Error(`HistoryRecorder: call ${handle} (${s.call.op} ${s.key}) was already completed`);
    return s;
  }

  private record(client: RingKvClient, key: string, call: Pending): CallHandle {
    this.slots.push({ client, key, callMs: this.nowMs(), call, outcome: undefined });
    return (this.slots.length - 1) as CallHandle;
  }

  callGet(client: RingKvClient, key: string): CallHandle {
    return this.record(client, key, { op: 'get', input: {} });
  }

  callPut(client: RingKvClient, key: string, input: PutInput): CallHandle {
    return this.record(client, key, { op: 'put', input });
  }

  callDelete(client: RingKvClient, key: string, input: DeleteInput = {}): CallHandle {
    return this.record(client, key, { op: 'delete', input });
  }

  /** The operation returned this output (for put/delete: success, or CONDITION_FAILED). */
  ok(handle: CallHandle, output: GetOutput | PutOutput | DeleteOutput): void {
    const s = this.slot(handle);
    const kind = 'found' in output ? 'get' : 'version' in output ? 'put' : 'deleted' in output ? 'delete' : undefined;
    if (kind !== undefined && kind !== s.call.op) throw new Error(`HistoryRecorder: ${s.call.op} call completed with a ${kind} output`);
    if (kind === undefined && s.call.op === 'get') throw new Error('HistoryRecorder: a get cannot fail with CONDITION_FAILED');
    s.outcome = { output, returnMs: this.nowMs() };
  }

  /** The client never learnt whether the operation took effect. */
  unknown(handle: CallHandle): void {
    this.slot(handle).outcome = 'unknown';
  }

  /** The operation certainly did not take effect (and, for a get, returned nothing): leave it out. */
  discard(handle: CallHandle): void {
    this.slot(handle).outcome = 'discarded';
  }

  records(): RingKvRecord[] {
    const out: RingKvRecord[] = [];
    for (const s of this.slots) {
      if (s.outcome === 'discarded') continue;
      const known = s.outcome !== undefined && s.outcome !== 'unknown' ? s.outcome : undefined;
      const common = {
        client: s.client,
        key: s.key,
        unknown: known === undefined,
        callMs: s.callMs,
        returnMs: known?.returnMs ?? null,
      };
      // The outputs were checked against the op in ok(), so these casts only restore that knowledge.
      if (s.call.op === 'get') out.push({ ...common, op: 'get', input: s.call.input, output: (known?.output ?? null) as GetOutput | null });
      else if (s.call.op === 'put') out.push({ ...common, op: 'put', input: s.call.input, output: (known?.output ?? null) as PutOutput | null });
      else out.push({ ...common, op: 'delete', input: s.call.input, output: (known?.output ?? null) as DeleteOutput | null });
    }
    return out;
  }

  toJsonLines(): string {
    return this.records().map((r) => `${JSON.stringify(r)}\n`).join('');
  }
}
