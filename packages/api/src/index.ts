export { createAppRouter, createCallerFactory } from './router';
export type { AppRouter, AppRouterDeps, PipelinedPath, PipelinedResult, ServedBy, WireBatchOutcome } from './router';
export type { AppContext, Forwarder, ForwardablePath } from './forwarder';
export { FORWARDED_HEADER } from './forwarder';
export type { RingkvErrorData } from './errors';
export type { WireEntry, WireWatchEvent } from './entries';
export * from './limits';
export * from './wire';
