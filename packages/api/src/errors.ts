/**
 * The one place where failures become the api's error shape. Every error a client sees carries
 * `error.data.ringkv = { code, ...StoreErrorData }` with a RingKV code, whether it came from the
 * Store (a StoreError), from input validation (zod), or from tRPC itself (unknown procedure).
 */
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { StoreError } from '@ringkv/multiraft';
import type { StoreErrorCode, StoreErrorData } from '@ringkv/multiraft';
import { z } from 'zod';
import { TOO_LARGE_PARAM } from './schemas';

export type RingkvErrorData = { readonly code: StoreErrorCode } & StoreErrorData;

const TRPC_CODE: Record<StoreErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_LEADER: 'PRECONDITION_FAILED',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  CONDITION_FAILED: 'CONFLICT',
  TIMEOUT: 'TIMEOUT',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  BAD_REQUEST: 'BAD_REQUEST',
  COMPACTED: 'NOT_FOUND',
};

/** A StoreError thrown inside a procedure, as tRPC carries it (the cause keeps code and data). */
export function toTRPCError(error: StoreError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.message, cause: error });
}

function isTooLargeIssue(issue: z.core.$ZodIssue): boolean {
  const params = (issue as { params?: { ringkv?: string } }).params;
  if (params?.ringkv === TOO_LARGE_PARAM.ringkv) return true;
  if (issue.code === 'too_big' && issue.origin === 'array') return true;
  if (issue.code === 'invalid_union') return issue.errors.some((branch) => branch.some(isTooLargeIssue));
  return false;
}

/** The RingKV error data for any error a procedure ended with; undefined for an unclassified bug. */
export function ringkvDataOf(error: TRPCError): RingkvErrorData | undefined {
  const cause = error.cause;
  if (cause instanceof StoreError) return { code: cause.code, ...cause.data };
  if (cause instanceof z.ZodError) {
    return { code: cause.issues.some(isTooLargeIssue) ? 'TOO_LARGE' : 'BAD_REQUEST' };
  }
  switch (error.code) {
    case 'PAYLOAD_TOO_LARGE':
      return { code: 'TOO_LARGE' };
    case 'TIMEOUT':
      return { code: 'TIMEOUT' };
    case 'SERVICE_UNAVAILABLE':
      return { code: 'UNAVAILABLE' };
    case 'PARSE_ERROR':
    case 'BAD_REQUEST':
    case 'NOT_FOUND':
    case 'METHOD_NOT_SUPPORTED':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return { code: 'BAD_REQUEST' };
    default:
      // An unclassified failure is a bug on the server: it keeps tRPC's INTERNAL_SERVER_ERROR and
      // no RingKV code, so no client mistakes it for something a retry fixes.
      return undefined;
  }
}

/** Runs a resolver, turning a StoreError into the TRPCError with the matching code. */
export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StoreError) throw toTRPCError(error);
    throw error;
  }
}

/** A forwarded call came back in a shape this node does not understand (a peer bug or version skew). */
export function internalError(message: string): TRPCError {
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message });
}
