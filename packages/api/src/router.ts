/**
 * The tRPC routers: `kv` (data) and `cluster` (status, placement, health). Procedures validate
 * with zod, call the Store through its facade (KvService), and forward to the partition's leader
 * when the Store answers NOT_LEADER with a known leader (unless the request was itself forwarded).
 */
import { StoreError } from '@ringkv/multiraft';
import type { BatchOp, DeleteResult, KvService, PutResult, ReadOptions, ScanPartitionResult, SessionTag } from '@ringkv/multiraft';
import { nodeId } from '@ringkv/stdx';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { WireEntry } from './entries';
import { entryToWire, watchEventToWire, wireEntryBytes } from './entries';
import type { RingkvErrorData } from './errors';
import { internalError, ringkvDataOf, storeCall, toTRPCError } from './errors';
import type { AppContext, ForwardablePath, Forwarder } from './forwarder';
import {
  deleteInput,
  getInput,
  getManyInput,
  pipelineInput,
  putInput,
  scanInput,
  scanPartitionInput,
  watchInput,
  writeBatchInput,
} from './schemas';
import type { WireScanPartitionPage } from './scan-merge';
import { ANSWER_BYTES_MAX, KEY_SIZE_BYTES_MAX, VALUE_SIZE_BYTES_MAX } from './limits';
import { mergeScanPages } from './scan-merge';
import { fastPipelineInput, fastPutInput } from './fast-inputs';
import { mutation, parseWith, query, t } from './trpc';
import { WatchQueue } from './watch-queue';
import type { WireKey, WireValue } from './wire';
import { base64ToBytes, bytesToBase64, isBase64, keyFromWire, keyToWire, valueFromWire } from './wire';
import type { z } from 'zod';

export interface AppRouterDeps {
  /** The local Store. */
  readonly kv: KvService;
  /** Reaches other nodes for requests this node cannot serve; absent: answer NOT_LEADER. */
  readonly forwarder?: Forwarder;
}

export type WireBatchOutcome =
  | { readonly partition: number; readonly ok: true; readonly revision: number; readonly ops: readonly number[] }
  | {
      readonly partition: number;
      readonly ok: false;
      readonly ops: readonly number[];
      readonly error: { readonly code: string; readonly message: string; readonly data?: Record<string, unknown> };
    };

type BatchOpInput = z.output<typeof writeBatchInput>['ops'][number];

/**
 * One call's answer in a pipeline: its procedure's output, or the error it ended with, in the
 * shape a call's error has on its own (the message, tRPC's code and the RingKV error data).
 */
/** The procedures a kv.pipeline may call (the schema's list). */
export type PipelinedPath = z.output<typeof pipelineInput>['calls'][number]['path'];

export type PipelinedResult =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly error: { readonly message: string; readonly code: TRPC_ERROR_CODE_KEY; readonly ringkv?: RingkvErrorData } };

const ENTRIES_ALWAYS_FIT = Math.floor(ANSWER_BYTES_MAX / (VALUE_SIZE_BYTES_MAX + KEY_SIZE_BYTES_MAX));

/**
 * A pipeline's gets may each find a value of up to 1 MiB: past ANSWER_BYTES_MAX of keys and
 * values (the first get always kept), the later gets' answers are left out, each replaced by a
 * retryable UNAVAILABLE naming the limit (answerLimitBytes); the SDK sends it again at once, on
 * its own, to the same leader. Writes answer no values.
 */
function boundPipelineAnswer(calls: ReadonlyArray<{ readonly path: PipelinedPath }>, results: PipelinedResult[]): PipelinedResult[] {
  // Values are at most 1 MiB and keys 1 KiB: this many found entries fit, whatever their sizes,
  // and then nothing is measured (a JSON value's size would take a JSON.stringify).
  let found = 0;
  for (const result of results) if (result.ok && (result.data as { entry?: unknown }).entry != null) found++;
  if (found <= ENTRIES_ALWAYS_FIT) return results;
  let bytes = 0;
  let kept = 0;
  return results.map((result, i) => {
    if (calls[i]!.path !== 'kv.get' || !result.ok) return result;
    const entry = (result.data as { entry: WireEntry | null }).entry;
    if (entry === null) return result;
    bytes += wireEntryBytes(entry);
    if (bytes <= ANSWER_BYTES_MAX || kept === 0) {
      kept++;
      return result;
    }
    return {
      ok: false,
      error: {
        message: `left out of a pipeline whose answer would carry more than ${ANSWER_BYTES_MAX} bytes of keys and values; send this get on its own`,
        code: 'SERVICE_UNAVAILABLE',
        ringkv: { code: 'UNAVAILABLE', retryAfterMs: 0, answerLimitBytes: ANSWER_BYTES_MAX },
      },
    };
  });
}

function batchOpFromWire(op: BatchOpInput): BatchOp {
  const key = keyFromWire(op.key as WireKey);
  if (op.op === 'put') {
    return { op: 'put', key, value: valueFromWire(op.value as WireValue), ifVersion: op.ifVersion, ttlMs: op.ttlMs };
  }
  return { op: 'delete', key, ifVersion: op.ifVersion };
}

function prefixFromWire(prefix: WireKey | ''): Uint8Array {
  return prefix === '' ? new Uint8Array(0) : keyFromWire(prefix);
}

/** The read options of an input, maxStalenessMs only when given (it is forwarded as is). */
function readOptions(input: { consistency: ReadOptions['consistency']; maxStalenessMs?: number | undefined }): ReadOptions {
  return input.maxStalenessMs === undefined ? { consistency: input.consistency } : { consistency: input.consistency, maxStalenessMs: input.maxStalenessMs };
}

/** A scan cursor is the base64 of the last key returned: every partition resumes after it. */
function cursorToKey(cursor: string): Uint8Array {
  if (!isBase64(cursor)) throw toTRPCError(new StoreError('BAD_REQUEST', 'the scan cursor is malformed; pass the cursor of the previous page as is'));
  return base64ToBytes(cursor);
}

/**
 * On an answer a node got by forwarding the call to the partition's leader (any single-partition
 * call: a get, put, delete or scanPartition; a getMany or writeBatch of one partition's keys): who
 * that leader is, so a smart client sends its next call to it directly. Without it a client whose
 * placement named a former leader went through that node (an extra hop each call) until its
 * placement aged out (the SDK reloads it every 5 s).
 */
export interface ServedBy {
  readonly leaderHint?: number;
  readonly leaderAddress?: string;
}

/** The ServedBy fields of an answer, alone. */
function servedByOf(answer: ServedBy): ServedBy {
  return answer.leaderHint === undefined ? {} : { leaderHint: answer.leaderHint, ...(answer.leaderAddress === undefined ? {} : { leaderAddress: answer.leaderAddress }) };
}

export function createAppRouter(deps: AppRouterDeps) {
  const { kv, forwarder } = deps;

  /**
   * Runs `local`; on NOT_LEADER with a known leader, forwards `input` to it on `path`. A
   * StoreError from either becomes the TRPCError with its code. One async frame on the path
   * every request takes (the local call), the rest only on NOT_LEADER. A forwarded answer (an
   * object) also names the leader that served it (ServedBy).
   */
  async function localOrForward<T>(ctx: AppContext, path: ForwardablePath, input: unknown, local: () => Promise<T>): Promise<T> {
    try {
      return await local();
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      if (error.code !== 'NOT_LEADER') throw toTRPCError(error);
      const leader = error.data.leaderHint;
      const withAddress =
        leader !== undefined && leader > 0
          ? new StoreError(error.code, error.message, { ...error.data, leaderAddress: kv.apiAddressOf(leader) })
          : error;
      if (forwarder === undefined || ctx.forwarded === true || leader === undefined || leader <= 0 || leader === kv.nodeId) {
        throw toTRPCError(withAddress);
      }
      const answer = await storeCall(() => forwarder.forward(nodeId(leader), path, input) as Promise<T>);
      if (typeof answer !== 'object' || answer === null) return answer;
      const address = kv.apiAddressOf(leader);
      return { ...answer, leaderHint: leader, ...(address === undefined ? {} : { leaderAddress: address }) } satisfies ServedBy;
    }
  }

  async function writePartition(
    ctx: AppContext,
    partition: number,
    ops: readonly BatchOpInput[],
    indexes: readonly number[],
    session: SessionTag,
  ): Promise<{ outcome: WireBatchOutcome; servedBy: ServedBy }> {
    try {
      const out = await localOrForward(
        ctx,
        'kv.writeBatch',
        { ops, session },
        async (): Promise<{ partitions: readonly WireBatchOutcome[] } & ServedBy> => {
          const result = await kv.writeBatch(partition, ops.map(batchOpFromWire), session);
          return { partitions: [{ partition, ok: true as const, revision: result.revision, ops: ops.map((_, i) => i) }] };
        },
      );
      const only = out.partitions[0];
      if (out.partitions.length !== 1 || only === undefined) throw internalError('a forwarded single-partition batch came back with several outcomes');
      if (!only.ok) throw new StoreError(only.error.code as StoreError['code'], only.error.message, (only.error.data ?? {}) as StoreError['data']);
      return { outcome: { partition, ok: true, revision: only.revision, ops: indexes }, servedBy: servedByOf(out) };
    } catch (error) {
      const data = error instanceof StoreError ? error : error instanceof Error && error.cause instanceof StoreError ? error.cause : undefined;
      if (data === undefined) throw error;
      return { outcome: { partition, ok: false, ops: indexes, error: { code: data.code, message: data.message, data: { ...data.data } } }, servedBy: {} };
    }
  }

  // What a smart client sends a leader (a get, put or delete, a getMany or writeBatch of one
  // partition's keys): a forwarded answer names that leader.
  function getOne(ctx: AppContext, input: z.output<typeof getInput>) {
    return localOrForward(
      ctx,
      'kv.get',
      input,
      async (): Promise<{ entry: WireEntry | null; revision: number } & ServedBy> => {
        const key = keyFromWire(input.key as WireKey);
        const result = await kv.get(key, readOptions(input));
        return { entry: result.record === null ? null : entryToWire(key, result.record), revision: result.revision };
      },
    );
  }

  function putOne(ctx: AppContext, input: z.output<typeof putInput>) {
    return localOrForward(
      ctx,
      'kv.put',
      input,
      (): Promise<PutResult & ServedBy> =>
        kv.put({
          key: keyFromWire(input.key as WireKey),
          value: valueFromWire(input.value as WireValue),
          ifVersion: input.ifVersion,
          ttlMs: input.ttlMs,
          session: input.session,
        }),
    );
  }

  function deleteOne(ctx: AppContext, input: z.output<typeof deleteInput>) {
    return localOrForward(
      ctx,
      'kv.delete',
      input,
      (): Promise<DeleteResult & ServedBy> => kv.delete({ key: keyFromWire(input.key as WireKey), ifVersion: input.ifVersion, session: input.session }),
    );
  }

  /** One call of a pipeline: validated with its procedure's schema, answered in its slot. */
  async function runPipelined(ctx: AppContext, call: z.output<typeof pipelineInput>['calls'][number]): Promise<PipelinedResult> {
    try {
      switch (call.path) {
        case 'kv.get':
          return { ok: true, data: await getOne(ctx, parseWith(getInput, call.input)) };
        case 'kv.put':
          return { ok: true, data: await putOne(ctx, parseWith(putInput, call.input, fastPutInput)) };
        case 'kv.delete':
          return { ok: true, data: await deleteOne(ctx, parseWith(deleteInput, call.input)) };
      }
    } catch (error) {
      // The procedures fail with TRPCErrors (localOrForward converts the Store's). Anything else is
      // a bug on the server: it fails the whole pipeline as INTERNAL_SERVER_ERROR (and is logged as
      // one), as it would have failed the call on its own.
      if (!(error instanceof TRPCError)) throw error;
      const ringkv = ringkvDataOf(error);
      return { ok: false, error: { message: error.message, code: error.code, ...(ringkv === undefined ? {} : { ringkv }) } };
    }
  }

  const kvRouter = t.router({
    get: query(getInput, ({ ctx, input }) => getOne(ctx, input)),

    getMany: query(getManyInput, async ({ ctx, input }) => {
      const byPartition = new Map<number, number[]>();
      input.keys.forEach((key, i) => {
        const p = kv.partitionOf(keyFromWire(key as WireKey));
        const list = byPartition.get(p);
        if (list === undefined) byPartition.set(p, [i]);
        else list.push(i);
      });
      const entries: Array<WireEntry | null> = new Array(input.keys.length).fill(null);
      let servedBy: ServedBy = {};
      await Promise.all(
        [...byPartition.values()].map(async (indexes) => {
          const keys = indexes.map((i) => input.keys[i]!);
          const sub = await localOrForward(
            ctx,
            'kv.getMany',
            { keys, ...readOptions(input) },
            async (): Promise<{ entries: Array<WireEntry | null> } & ServedBy> => {
              const bytes = keys.map((k) => keyFromWire(k as WireKey));
              const { records } = await kv.getMany(bytes, readOptions(input));
              return { entries: records.map((r, j) => (r === null ? null : entryToWire(bytes[j]!, r))) };
            },
          );
          indexes.forEach((i, j) => (entries[i] = sub.entries[j] ?? null));
          // One partition's keys (what the SDK sends each leader): the answer names who served it.
          if (byPartition.size === 1) servedBy = servedByOf(sub);
        }),
      );
      // Each partition's part is bounded where it is read; keys of many partitions add up here.
      if (byPartition.size > 1) {
        const bytes = entries.reduce((sum, e) => sum + (e === null ? 0 : wireEntryBytes(e)), 0);
        if (bytes > ANSWER_BYTES_MAX) {
          throw toTRPCError(new StoreError('TOO_LARGE', `the ${input.keys.length} keys asked for hold about ${bytes} bytes of keys and values, over the ${ANSWER_BYTES_MAX} one answer carries; ask for fewer keys at once`, { answerLimitBytes: ANSWER_BYTES_MAX }));
        }
      }
      return { entries, ...servedBy };
    }),

    put: mutation(putInput, ({ ctx, input }) => putOne(ctx, input), fastPutInput),

    delete: mutation(deleteInput, ({ ctx, input }) => deleteOne(ctx, input)),

    /**
     * Several independent gets, puts and deletes in one call: each is validated and run exactly
     * as its own procedure would run it (forwarding included), concurrently, and answered in its
     * slot with its result or its error, so one failing call never fails the others. Not atomic
     * (that is writeBatch): a pipeline only saves the per-call cost of a request, which the SDK
     * pays once for the calls to one node that it has queued in the same tick.
     */
    pipeline: mutation(
      pipelineInput,
      async ({ ctx, input }) => ({
        results: boundPipelineAnswer(input.calls, await Promise.all(input.calls.map((call) => runPipelined(ctx, call)))),
      }),
      fastPipelineInput,
    ),

    /** Atomic within a partition; across partitions one outcome per partition, in partition order. */
    writeBatch: mutation(writeBatchInput, async ({ ctx, input }) => {
      const byPartition = new Map<number, number[]>();
      input.ops.forEach((op, i) => {
        const p = kv.partitionOf(keyFromWire(op.key as WireKey));
        const list = byPartition.get(p);
        if (list === undefined) byPartition.set(p, [i]);
        else list.push(i);
      });
      const parts = await Promise.all(
        [...byPartition.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([p, indexes]) => writePartition(ctx, p, indexes.map((i) => input.ops[i]!), indexes, input.session)),
      );
      // One partition's ops (what the SDK sends each leader): the answer names who served it.
      return { partitions: parts.map((part) => part.outcome), ...(parts.length === 1 ? parts[0]!.servedBy : {}) };
    }),

    /**
     * Every partition's matches merged in key order (bytewise), at most `limit` per page and about
     * ANSWER_BYTES_MAX bytes (each partition reads its share of that; a page holds at least one
     * entry when any is left).
     */
    scan: query(scanInput, async ({ ctx, input }) => {
      const after = input.cursor === undefined ? undefined : cursorToKey(input.cursor);
      const prefix = input.prefix;
      const bytesMax = Math.max(1, Math.floor(ANSWER_BYTES_MAX / kv.partitionCount));
      const pages = await Promise.all(
        Array.from({ length: kv.partitionCount }, (_, partition) =>
          scanOnePartition(ctx, { partition, prefix, after, limit: input.limit, bytesMax, ...readOptions(input) }),
        ),
      );
      return mergeScanPages(pages, input.limit);
    }),

    /** One partition's part of a scan (what `scan` forwards to a partition's leader). */
    scanPartition: query(scanPartitionInput, ({ ctx, input }) =>
      scanOnePartition(ctx, { ...input, after: input.after === undefined ? undefined : keyFromWire(input.after as WireKey) }),
    ),

    watch: t.procedure.input(watchInput).subscription(async function* ({ input, signal }) {
      const queue = new WatchQueue();
      const handle = kv.watch(
        {
          key: input.key === undefined ? undefined : keyFromWire(input.key as WireKey),
          prefix: input.prefix === undefined ? undefined : prefixFromWire(input.prefix as WireKey | ''),
          partition: input.partition,
          fromRevision: input.fromRevision,
        },
        { onEvent: (event) => queue.push(event), onError: (error) => queue.fail(error) },
      );
      try {
        for await (const event of queue.drain(signal)) yield watchEventToWire(event);
      } catch (error) {
        if (error instanceof StoreError) throw toTRPCError(error);
        throw error;
      } finally {
        handle.cancel();
      }
    }),
  });

  async function scanOnePartition(
    ctx: AppContext,
    input: { partition: number; prefix: WireKey | ''; after: Uint8Array | undefined; limit: number; bytesMax?: number | undefined } & ReadOptions,
  ): Promise<WireScanPartitionPage> {
    const forwardInput = {
      partition: input.partition,
      prefix: input.prefix,
      limit: input.limit,
      ...(input.bytesMax === undefined ? {} : { bytesMax: input.bytesMax }),
      ...readOptions(input),
      ...(input.after === undefined ? {} : { after: { bytes: bytesToBase64(input.after) } }),
    };
    return localOrForward(ctx, 'kv.scanPartition', forwardInput, async () => {
      const result: ScanPartitionResult = await kv.scanPartition({
        partition: input.partition,
        prefix: prefixFromWire(input.prefix),
        after: input.after,
        limit: input.limit,
        ...(input.bytesMax === undefined ? {} : { bytesMax: input.bytesMax }),
        ...readOptions(input),
      });
      return {
        partition: result.partition,
        entries: result.items.map((item) => entryToWire(item.key, item.record)),
        revision: result.revision,
        ...(result.resumeAfter === undefined ? {} : { resumeAfter: keyToWire(result.resumeAfter) }),
      };
    });
  }

  const clusterRouter = t.router({
    status: t.procedure.query(() => kv.status()),
    placement: t.procedure.query(() => kv.placement()),
    health: t.procedure.query(() => kv.health()),
  });

  return t.router({ kv: kvRouter, cluster: clusterRouter });
}

export type AppRouter = ReturnType<typeof createAppRouter>;

/** For in-process callers (tests, the simulator): `createCaller(router)(ctx)`. */
export const createCallerFactory = t.createCallerFactory;
