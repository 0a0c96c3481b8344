/** Input limits enforced by the zod schemas before anything reaches the Store. */
export const KEY_SIZE_BYTES_MAX = 1024;
export const VALUE_SIZE_BYTES_MAX = 1024 * 1024;
export const BATCH_OPS_MAX = 1000;
export const BATCH_SIZE_BYTES_MAX = 8 * 1024 * 1024;
export const GET_MANY_KEYS_MAX = 1000;
/** Calls in one kv.pipeline (each also within its own procedure's limits). */
export const PIPELINE_CALLS_MAX = 256;
export const SCAN_LIMIT_MAX = 1000;
export const SCAN_LIMIT_DEFAULT = 100;
export const CLIENT_ID_LENGTH_MAX = 128;
/** A stale read's bound; past a day it is no bound at all (leave maxStalenessMs out instead). */
export const MAX_STALENESS_MS_MAX = 24 * 3600 * 1000;
/** What the HTTP server should accept as a request body: one maximal batch plus JSON/base64 overhead. */
export const REQUEST_BODY_BYTES_MAX = 12 * 1024 * 1024;
/** About how many bytes of keys and values one read answer carries (the Store's limit). */
export { ANSWER_BYTES_MAX } from '@ringkv/multiraft';
