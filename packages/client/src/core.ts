/** What both entries (Node and browser) export: the client core, its types and its seams. */
export { RingKVClient } from './client';
export type { ClientCoreOptions } from './client';
export { RingKVError, isRingKVError } from './errors';
export type { RingKVErrorCode, RingKVErrorData, ServerErrorCode } from './errors';
export type { ClientTransport, CallOptions, SubscriptionHandlers, TransportSubscription } from './transport';
export type { CancelListener, CancelSignal } from './cancel';
export { CancelToken, NEVER_CANCELLED } from './cancel';
export type { ClientEnvironment, RandomSource } from './environment';
export { realEnvironment, realRandom } from './environment';
export { SystemClock } from '@ringkv/stdx';
export type { BackoffOptions } from './backoff';
export type { Partitioner, PartitionerFactory, RouterOptions } from './router';
export type { Key, Value, JsonValue, WireKey, WireValue } from './values';
export { BATCH_OPS_MAX, BATCH_SIZE_BYTES_MAX, GET_MANY_KEYS_MAX, KEY_SIZE_BYTES_MAX, REQUEST_BODY_BYTES_MAX, VALUE_SIZE_BYTES_MAX } from './values';
export type * from './types';
export type * from './wire';
