/**
 * How the SDK reaches a node. The Node and browser entries implement it over tRPC's WebSocket
 * link (one socket per node); the simulator implements it over its simulated network; the unit
 * tests over an in-memory fake cluster. Everything above it (routing, retries, sessions) is the
 * same code in all three.
 */
import type { CancelSignal } from './cancel';
import type { ProcedurePath } from './wire';

export interface CallOptions {
  /**
   * Fires when the attempt must stop (its deadline passed or the caller gave up). A call that
   * sees it should stop and reject with its reason; the SDK stops waiting either way.
   */
  readonly cancel: CancelSignal;
  /**
   * Send this call on its own, never in a pipeline: a retry (the pipeline's answer may be what
   * failed it, e.g. a pipeline of large values cut down to the server's answer limit).
   */
  readonly alone?: boolean;
}

export interface SubscriptionHandlers {
  onData(data: unknown): void;
  /** The subscription ended with an error (a RingKVError); no more events follow. */
  onError(error: unknown): void;
  /** The server ended the subscription normally. */
  onComplete(): void;
}

export interface TransportSubscription {
  unsubscribe(): void;
}

export interface ClientTransport {
  /**
   * Sends one request to the node at `endpoint` and resolves with its answer. Fails only with a
   * RingKVError: the server's code and data, or UNAVAILABLE with data.connection = true when the
   * node could not be reached (the request may or may not have arrived).
   */
  call(endpoint: string, path: ProcedurePath, input: unknown, options: CallOptions): Promise<unknown>;
  subscribe(endpoint: string, path: 'kv.watch', input: unknown, handlers: SubscriptionHandlers): TransportSubscription;
  /** Closes every connection. */
  close(): Promise<void>;
}
