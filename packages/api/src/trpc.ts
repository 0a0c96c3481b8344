/**
 * The tRPC root (context, error formatter) and the procedure builders the routers use.
 *
 * Why `query`/`mutation` here instead of `t.procedure.input(schema).query(...)`: tRPC runs every
 * `.input()` as a middleware, and each middleware step copies the call's options object twice
 * with a generic spread helper (`_objectSpread2`, the hottest tRPC function in a node's profile).
 * These builders validate with the same zod schema inside the resolver (one middleware, the
 * resolver, instead of two) and throw what tRPC's input middleware throws on bad input: a
 * BAD_REQUEST TRPCError whose cause is the ZodError, so the error formatter classifies it the same
 * way. The procedure's TYPE is the one `.input(schema)` would give, so `inferRouterInputs<AppRouter>`
 * (the SDK's wire types) is unchanged. The raw input comes from `getRawInput`, which every tRPC
 * adapter and `createCaller` pass in the call options (tRPC's ProcedureCallOptions) and the
 * resolver's options keep; @trpc/server is pinned, and test/procedures.test.ts (caller) and
 * apps/server/test/api-server.test.ts (WebSocket and HTTP) fail if that ever changes.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import type { z } from 'zod';
import { ringkvDataOf } from './errors';
import type { AppContext } from './forwarder';

export const t = initTRPC.context<AppContext>().create({
  errorFormatter({ shape, error }) {
    const ringkv = ringkvDataOf(error);
    return ringkv === undefined ? shape : { ...shape, data: { ...shape.data, ringkv } };
  },
});

export interface ResolverOptions<S extends z.ZodType> {
  readonly ctx: AppContext;
  readonly input: z.output<S>;
  readonly signal: AbortSignal | undefined;
}

/**
 * What every adapter and `createCaller` hand a procedure (tRPC's ProcedureCallOptions): the raw
 * input arrives through `getRawInput`, which the resolver's options keep.
 */
interface RawInputOptions {
  readonly getRawInput?: () => Promise<unknown>;
}

/**
 * Parses `raw` with `schema`, failing as tRPC's own input validation does (BAD_REQUEST caused by
 * the ZodError), with a message a person can read: each issue as `path: message`, instead of
 * the issues' JSON.
 */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, fast?: FastParse<S>): z.output<S> {
  const early = fast?.(raw);
  if (early !== undefined) return early;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', message: describeIssues(parsed.error.issues), cause: parsed.error });
  return parsed.data;
}

/**
 * A hand check of an input's common shape (fast-inputs.ts): what `schema` would return for it,
 * or undefined to let `schema` decide.
 */
export type FastParse<S extends z.ZodType> = (raw: unknown) => z.output<S> | undefined;

/** At most this many issues are spelled out; the rest are counted. */
const ISSUES_SHOWN_MAX = 5;

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, ISSUES_SHOWN_MAX).map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.map(String).join('.')}: ${issue.message}`));
  const more = issues.length - shown.length;
  return `invalid input: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/** Parses a call's raw input with `schema`. */
async function parseInput<S extends z.ZodType>(schema: S, opts: object, fast: FastParse<S> | undefined): Promise<z.output<S>> {
  const getRawInput = (opts as RawInputOptions).getRawInput;
  if (getRawInput === undefined) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'tRPC passed no raw input to the resolver' });
  return parseWith(schema, await getRawInput(), fast);
}

/** The resolver tRPC calls: parses the raw input with `schema`, then runs `resolve`. */
function validated<S extends z.ZodType, R>(schema: S, resolve: (opts: ResolverOptions<S>) => Promise<R>, fast?: FastParse<S>) {
  return async (opts: { ctx: AppContext; signal: AbortSignal | undefined }): Promise<R> =>
    resolve({ ctx: opts.ctx, input: await parseInput(schema, opts, fast), signal: opts.signal });
}

/** A query validated by `schema`, typed as `t.procedure.input(schema).query(resolve)`. */
export function query<S extends z.ZodType, R>(schema: S, resolve: (opts: ResolverOptions<S>) => Promise<R>) {
  const _typed = () => t.procedure.input(schema).query(({ ctx, input, signal }) => resolve({ ctx, input: input as z.output<S>, signal }));
  return t.procedure.query(validated(schema, resolve)) as unknown as ReturnType<typeof _typed>;
}

/**
 * A mutation validated by `schema` (answered early by `fast` for the input's common shape), typed
 * as `t.procedure.input(schema).mutation(resolve)`.
 */
export function mutation<S extends z.ZodType, R>(schema: S, resolve: (opts: ResolverOptions<S>) => Promise<R>, fast?: FastParse<S>) {
  const _typed = () => t.procedure.input(schema).mutation(({ ctx, input, signal }) => resolve({ ctx, input: input as z.output<S>, signal }));
  return t.procedure.mutation(validated(schema, resolve, fast)) as unknown as ReturnType<typeof _typed>;
}
