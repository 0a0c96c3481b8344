/**
 * zod schemas for every procedure input. Sizes are measured the way the Store stores them (UTF-8
 * bytes of a string key, decoded bytes of base64, the JSON text of a JSON value), and an input
 * over a size limit carries `params.ringkv = 'TOO_LARGE'` (or is an array over its length limit)
 * so the error formatter can tell it from a malformed input.
 */
import { utf8Length } from '@ringkv/stdx';
import { z } from 'zod';
import {
  ANSWER_BYTES_MAX,
  BATCH_OPS_MAX,
  BATCH_SIZE_BYTES_MAX,
  CLIENT_ID_LENGTH_MAX,
  GET_MANY_KEYS_MAX,
  PIPELINE_CALLS_MAX,
  KEY_SIZE_BYTES_MAX,
  MAX_STALENESS_MS_MAX,
  SCAN_LIMIT_DEFAULT,
  SCAN_LIMIT_MAX,
  VALUE_SIZE_BYTES_MAX,
} from './limits';
import type { JsonValue, WireKey, WireValue } from './wire';
import { base64DecodedLength, isBase64 } from './wire';

export const TOO_LARGE_PARAM = { ringkv: 'TOO_LARGE' } as const;

const base64 = z.string().refine(isBase64, { message: 'must be base64 (RFC 4648, padded)' });

/**
 * A lone UTF-16 surrogate has no UTF-8 form: stored, it would read back from disk as U+FFFD while
 * the value cache still held the original, and two different string keys would share one key.
 * With the `u` flag a surrogate pair is one code point, so this class matches lone ones only.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const NOT_WELL_FORMED = 'must be well-formed Unicode text (it holds a lone UTF-16 surrogate, which has no UTF-8 form)';

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** True when every string of a JSON value, object keys included, is well-formed text. */
export function isWellFormedJson(value: JsonValue): boolean {
  if (typeof value === 'string') return isWellFormedText(value);
  if (Array.isArray(value)) return value.every(isWellFormedJson);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (!isWellFormedText(k) || !isWellFormedJson(v)) return false;
  }
  return true;
}

const text = z.string().refine(isWellFormedText, { message: NOT_WELL_FORMED });

export function wireKeySizeBytes(key: WireKey): number {
  return typeof key === 'string' ? utf8Length(key) : base64DecodedLength(key.bytes);
}

export function wireValueSizeBytes(value: WireValue): number {
  switch (value.type) {
    case 'string':
      return utf8Length(value.data);
    case 'bytes':
      return base64DecodedLength(value.data);
    case 'json':
      return utf8Length(JSON.stringify(value.data));
  }
}

export const keySchema = z
  .union([text, z.strictObject({ bytes: base64 })])
  .superRefine((key, ctx) => {
    const size = wireKeySizeBytes(key);
    if (size === 0) ctx.addIssue({ code: 'custom', message: 'a key cannot be empty' });
    else if (size > KEY_SIZE_BYTES_MAX) {
      ctx.addIssue({ code: 'custom', message: `key is ${size} bytes, over the ${KEY_SIZE_BYTES_MAX}-byte limit`, params: TOO_LARGE_PARAM });
    }
  });

const jsonSchema: z.ZodType<JsonValue> = z.json() as z.ZodType<JsonValue>;

export const valueSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('string'), data: text }),
    z.strictObject({ type: z.literal('json'), data: jsonSchema.refine(isWellFormedJson, { message: NOT_WELL_FORMED }) }),
    z.strictObject({ type: z.literal('bytes'), data: base64 }),
  ])
  .superRefine((value, ctx) => {
    const size = wireValueSizeBytes(value as WireValue);
    if (size > VALUE_SIZE_BYTES_MAX) {
      ctx.addIssue({ code: 'custom', message: `value is ${size} bytes, over the ${VALUE_SIZE_BYTES_MAX}-byte limit`, params: TOO_LARGE_PARAM });
    }
  });

export const consistencySchema = z.enum(['linearizable', 'lease', 'stale']).default('linearizable');

export const sessionSchema = z.strictObject({
  clientId: text.min(1).max(CLIENT_ID_LENGTH_MAX),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Up to ~10 years; a longer TTL is almost certainly a unit mistake. */
const ttlMs = z.number().int().min(1).max(10 * 365 * 24 * 3600 * 1000);
const revision = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const partition = z.number().int().min(0).max(1_000_000);

/** How stale a 'stale' read may be (ms); see the Store's replica-freshness.ts for the definition. */
const maxStalenessMs = z.number().int().min(1).max(MAX_STALENESS_MS_MAX).optional();

const boundOnlyWhenStale = {
  check: (input: { consistency: string; maxStalenessMs?: number | undefined }) => input.maxStalenessMs === undefined || input.consistency === 'stale',
  message: "maxStalenessMs applies only to consistency 'stale' (the other levels are never stale)",
};

export const getInput = z
  .strictObject({ key: keySchema, consistency: consistencySchema, maxStalenessMs })
  .refine(boundOnlyWhenStale.check, { message: boundOnlyWhenStale.message });

export const getManyInput = z
  .strictObject({
    keys: z.array(keySchema).min(1).max(GET_MANY_KEYS_MAX),
    consistency: consistencySchema,
    maxStalenessMs,
  })
  .refine(boundOnlyWhenStale.check, { message: boundOnlyWhenStale.message });

export const putInput = z.strictObject({
  key: keySchema,
  value: valueSchema,
  ifVersion: version.optional(),
  ttlMs: ttlMs.optional(),
  session: sessionSchema,
});

export const deleteInput = z.strictObject({ key: keySchema, ifVersion: version.optional(), session: sessionSchema });

export const batchOpSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('put'), key: keySchema, value: valueSchema, ifVersion: version.optional(), ttlMs: ttlMs.optional() }),
  z.strictObject({ op: z.literal('delete'), key: keySchema, ifVersion: version.optional() }),
]);

export const writeBatchInput = z
  .strictObject({
    ops: z.array(batchOpSchema).min(1).max(BATCH_OPS_MAX),
    session: sessionSchema,
  })
  .superRefine((input, ctx) => {
    let total = 0;
    for (const op of input.ops) {
      total += wireKeySizeBytes(op.key as WireKey);
      if (op.op === 'put') total += wireValueSizeBytes(op.value as WireValue);
    }
    if (total > BATCH_SIZE_BYTES_MAX) {
      ctx.addIssue({ code: 'custom', message: `batch is ${total} bytes, over the ${BATCH_SIZE_BYTES_MAX}-byte limit`, params: TOO_LARGE_PARAM });
    }
  });

/**
 * Independent gets, puts and deletes in one request. Each call's input is checked against its
 * own procedure's schema when it runs (so one bad call fails alone); here only the shape.
 */
/** The procedures a kv.pipeline may call. */
export const PIPELINED_PATHS = ['kv.get', 'kv.put', 'kv.delete'] as const;

export const pipelineInput = z.strictObject({
  calls: z
    .array(z.strictObject({ path: z.enum(PIPELINED_PATHS), input: z.unknown() }))
    .min(1)
    .max(PIPELINE_CALLS_MAX),
});

export const scanInput = z.strictObject({
  prefix: z.union([z.literal(''), keySchema]),
  limit: z.number().int().min(1).max(SCAN_LIMIT_MAX).default(SCAN_LIMIT_DEFAULT),
  cursor: z.string().max(4096).optional(),
  consistency: consistencySchema,
  maxStalenessMs,
}).refine(boundOnlyWhenStale.check, { message: boundOnlyWhenStale.message });

/** One partition's part of a scan; the node that answers a scan forwards these to leaders. */
export const scanPartitionInput = z.strictObject({
  partition,
  prefix: z.union([z.literal(''), keySchema]),
  after: keySchema.optional(),
  limit: z.number().int().min(1).max(SCAN_LIMIT_MAX),
  /** The page stops after the record that brings it to this many bytes of keys and values. */
  bytesMax: z.number().int().min(1).max(ANSWER_BYTES_MAX).optional(),
  consistency: consistencySchema,
  maxStalenessMs,
}).refine(boundOnlyWhenStale.check, { message: boundOnlyWhenStale.message });

/** A prefix watch may be narrowed to one partition (how the SDK fans it out over the cluster). */
export const watchInput = z
  .strictObject({
    key: keySchema.optional(),
    prefix: z.union([z.literal(''), keySchema]).optional(),
    partition: partition.optional(),
    fromRevision: revision.optional(),
  })
  .refine((w) => (w.key === undefined) !== (w.prefix === undefined), { message: 'give exactly one of key and prefix' })
  .refine((w) => w.partition === undefined || w.prefix !== undefined, { message: 'partition narrows a prefix watch; a key watch has its own partition' });
