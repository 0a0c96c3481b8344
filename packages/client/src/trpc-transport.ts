/**
 * ClientTransport over tRPC's WebSocket link: one socket per node, opened on first use. tRPC's
 * wsLink batches the requests queued in one tick into one frame, which is where the SDK's
 * throughput comes from (../shared/TOOLCHAIN.md).
 *
 * Failures become RingKVErrors in one place: the server's `data.ringkv` as sent, a lost or
 * refused socket as UNAVAILABLE with `connection: true`. While a node's socket is known to be
 * down, calls to it fail at once instead of queueing until it returns, so the router moves on.
 */
import type { TRPCClientError, TRPCWebSocketClient } from '@trpc/client';
import { createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import type { AnyTRPCRouter, CombinedDataTransformer } from '@trpc/server';
import type { Unsubscribable } from '@trpc/server/observable';
import type { RingKVErrorCode, RingKVErrorData } from './errors';
import { RingKVError } from './errors';
import type { CallOptions, ClientTransport, SubscriptionHandlers, TransportSubscription } from './transport';
import type { ProcedurePath } from './wire';
import { isMutation } from './wire';

/** The WebSocket class to use: the browser's global, or `ws` in Node. */
export type WebSocketClass = typeof WebSocket;

export interface TrpcTransportOptions {
  readonly WebSocket: WebSocketClass;
  /** Delay before reconnect attempt n to a node whose socket dropped. */
  readonly reconnectDelayMs?: (attempt: number) => number;
}

interface NodeConnection {
  readonly wsClient: TRPCWebSocketClient;
  readonly client: ReturnType<typeof createTRPCUntypedClient<AnyTRPCRouter>>;
  /** Set while the socket is down after having failed; cleared when it opens again. */
  down: boolean;
  /** Everything waiting on this node, failed at once when its socket goes down. */
  readonly subscriptions: Set<{ fail(error: RingKVError): void }>;
  readonly calls: Set<{ fail(error: RingKVError): void }>;
}

/** No transformer: the api speaks plain JSON (what tRPC's own client uses when none is given). */
const IDENTITY: CombinedDataTransformer = {
  input: { serialize: (data: unknown) => data, deserialize: (data: unknown) => data },
  output: { serialize: (data: unknown) => data, deserialize: (data: unknown) => data },
};

/**
 * One query or mutation in flight: the observer of its tRPC request, settled once by the first of
 * the answer, an error, a lost socket (`fail`) or the attempt's cancellation (`onCancel`).
 */
class PendingCall {
  settled = false;
  subscription: Unsubscribable | undefined = undefined;
  /** A listener for the attempt's CancelSignal (a bound field: the token calls it bare). */
  readonly onCancel = (reason: RingKVError): void => this.fail(reason);

  constructor(
    private readonly node: NodeConnection,
    private readonly endpoint: string,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: RingKVError) => void,
  ) {}

  next(envelope: { result: { type?: string; data?: unknown } }): void {
    if (this.settle()) this.resolve(envelope.result.data);
  }

  error(error: unknown): void {
    if (this.settle()) this.reject(toRingKVError(error, this.endpoint));
  }

  /** The request ended without an answer (tRPC does that for one it dropped). */
  complete(): void {
    if (this.settle()) this.reject(new RingKVError('ABORTED', `the request to ${this.endpoint} was aborted`, { endpoint: this.endpoint }));
  }

  /** Rejects now (socket lost, attempt cancelled) and drops the request from tRPC's queue. */
  fail(error: RingKVError): void {
    if (!this.settle()) return;
    this.subscription?.unsubscribe();
    this.reject(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.node.calls.delete(this);
    return true;
  }
}

const SERVER_CODES: ReadonlySet<string> = new Set(['NOT_LEADER', 'UNAVAILABLE', 'CONDITION_FAILED', 'TIMEOUT', 'TOO_LARGE', 'BAD_REQUEST', 'COMPACTED']);

/** "host:port" becomes ws://host:port; ws://, wss://, http:// and https:// URLs are kept (http → ws). */
export function webSocketUrl(endpoint: string): string {
  if (endpoint.startsWith('ws://') || endpoint.startsWith('wss://')) return endpoint;
  if (endpoint.startsWith('http://')) return `ws://${endpoint.slice('http://'.length)}`;
  if (endpoint.startsWith('https://')) return `wss://${endpoint.slice('https://'.length)}`;
  return `ws://${endpoint}`;
}

export class TrpcTransport implements ClientTransport {
  private readonly nodes = new Map<string, NodeConnection>();
  private closed = false;

  constructor(private readonly options: TrpcTransportOptions) {}

  call(endpoint: string, path: ProcedurePath, input: unknown, options: CallOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(new RingKVError('CLOSED', 'the client is closed'));
    const node = this.connection(endpoint);
    if (node.down) return Promise.reject(new RingKVError('UNAVAILABLE', `cannot reach ${endpoint}: its socket is down`, { endpoint, connection: true }));
    const { cancel } = options;
    if (cancel.cancelled) return Promise.reject(cancel.reason);
    return new Promise((resolve, reject) => {
      const call = new PendingCall(node, endpoint, resolve, reject);
      node.calls.add(call);
      // Straight to the socket client's request observable: no link chain, no promise adapter,
      // no AbortController (tRPC's own promise adapter builds one and a DOMException per call).
      // Unsubscribing drops a request still queued and ignores a late answer.
      call.subscription = node.wsClient
        .request({ op: { id: 0, type: isMutation(path) ? 'mutation' : 'query', path, input, signal: null }, transformer: IDENTITY })
        .subscribe(call);
      if (call.settled) call.subscription.unsubscribe();
      else cancel.listen(call.onCancel);
    });
  }

  subscribe(endpoint: string, path: 'kv.watch', input: unknown, handlers: SubscriptionHandlers): TransportSubscription {
    if (this.closed) {
      queueMicrotask(() => handlers.onError(new RingKVError('CLOSED', 'the client is closed')));
      return { unsubscribe: () => undefined };
    }
    const node = this.connection(endpoint);
    let ended = false;
    const entry = {
      fail: (error: RingKVError) => {
        if (ended) return;
        ended = true;
        unsubscribable.unsubscribe();
        node.subscriptions.delete(entry);
        handlers.onError(error);
      },
    };
    const unsubscribable = node.client.subscription(path, input, {
      onData: (data: unknown) => {
        if (!ended) handlers.onData(data);
      },
      onError: (error: unknown) => entry.fail(toRingKVError(error, endpoint)),
      onComplete: () => {
        if (ended) return;
        ended = true;
        node.subscriptions.delete(entry);
        handlers.onComplete();
      },
    });
    node.subscriptions.add(entry);
    if (node.down) queueMicrotask(() => entry.fail(new RingKVError('UNAVAILABLE', `cannot reach ${endpoint}: its socket is down`, { endpoint, connection: true })));
    return {
      unsubscribe: () => {
        if (ended) return;
        ended = true;
        node.subscriptions.delete(entry);
        unsubscribable.unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    await Promise.all(nodes.map((n) => n.wsClient.close()));
  }

  private connection(endpoint: string): NodeConnection {
    const existing = this.nodes.get(endpoint);
    if (existing !== undefined) return existing;
    const wsClient = createWSClient({
      url: webSocketUrl(endpoint),
      WebSocket: this.options.WebSocket,
      retryDelayMs: this.options.reconnectDelayMs ?? ((attempt) => Math.min(1_000, 50 * 2 ** attempt)),
    });
    const node: NodeConnection = {
      wsClient,
      client: createTRPCUntypedClient<AnyTRPCRouter>({ links: [wsLink({ client: wsClient })] }),
      down: false,
      subscriptions: new Set(),
      calls: new Set(),
    };
    // A socket that failed marks the node down until it opens again. tRPC would resend a
    // subscription once the node is back; failing it instead lets the watch move to another
    // replica now and resume from its last revision.
    wsClient.connectionState.subscribe({
      next: (state) => {
        if (state.state === 'pending') node.down = false;
        else if (state.state === 'connecting' && state.error !== null) {
          node.down = true;
          const error = new RingKVError('UNAVAILABLE', `lost the connection to ${endpoint}: ${state.error.message}`, { endpoint, connection: true });
          for (const sub of [...node.subscriptions]) sub.fail(error);
          for (const call of [...node.calls]) call.fail(error);
        }
      },
    });
    this.nodes.set(endpoint, node);
    return node;
  }
}

/** Maps whatever tRPC threw onto a RingKVError (the one place that knows tRPC's error shapes). */
export function toRingKVError(error: unknown, endpoint: string): RingKVError {
  if (error instanceof RingKVError) return error;
  const e = error as Partial<TRPCClientError<AnyTRPCRouter>> & { cause?: unknown; message?: string };
  const data = (e.data ?? undefined) as { ringkv?: { code?: string } & Record<string, unknown>; code?: string } | undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const ringkv = data?.ringkv;
  if (ringkv !== undefined && typeof ringkv.code === 'string' && SERVER_CODES.has(ringkv.code)) {
    const { code, ...rest } = ringkv;
    return new RingKVError(code as RingKVErrorCode, message, { ...(rest as RingKVErrorData), endpoint });
  }
  const cause = e.cause as { name?: unknown; type?: unknown } | undefined;
  const causeName = cause?.name;
  // A request failed by its socket closing carries the socket's close or error event as its cause.
  const socketEvent = cause?.type === 'close' || cause?.type === 'error';
  if (data === undefined && (causeName === 'TRPCWebSocketClosedError' || socketEvent || /WebSocket|ECONNREFUSED|connection/i.test(message))) {
    return new RingKVError('UNAVAILABLE', `connection to ${endpoint} failed: ${message}`, { endpoint, connection: true });
  }
  if (causeName === 'AbortError' || /aborted/i.test(message)) {
    return new RingKVError('ABORTED', `the request to ${endpoint} was aborted`, { endpoint });
  }
  switch (data?.code) {
    case 'BAD_REQUEST':
    case 'PARSE_ERROR':
    case 'NOT_FOUND':
    case 'METHOD_NOT_SUPPORTED':
      return new RingKVError('BAD_REQUEST', message, { endpoint });
    case 'PAYLOAD_TOO_LARGE':
      return new RingKVError('TOO_LARGE', message, { endpoint });
    case 'TIMEOUT':
      return new RingKVError('TIMEOUT', message, { endpoint });
    case 'SERVICE_UNAVAILABLE':
      return new RingKVError('UNAVAILABLE', message, { endpoint });
    default:
      return new RingKVError('INTERNAL', `${endpoint} failed: ${message}`, { endpoint });
  }
}
