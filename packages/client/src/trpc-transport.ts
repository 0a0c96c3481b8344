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
import type { AnyTRPCRouter } from '@trpc/server';
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

  async call(endpoint: string, path: ProcedurePath, input: unknown, options: CallOptions): Promise<unknown> {
    if (this.closed) throw new RingKVError('CLOSED', 'the client is closed');
    const node = this.connection(endpoint);
    if (node.down) throw new RingKVError('UNAVAILABLE', `cannot reach ${endpoint}: its socket is down`, { endpoint, connection: true });
    // tRPC queues a request while its socket reconnects; a request to a node that went down
    // fails now instead, and its queued copy is aborted.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    let failCall!: (error: RingKVError) => void;
    const lost = new Promise<never>((_, reject) => {
      failCall = (error) => {
        reject(error);
        controller.abort(error);
      };
    });
    const entry = { fail: failCall };
    node.calls.add(entry);
    try {
      const request = isMutation(path)
        ? node.client.mutation(path, input, { signal: controller.signal })
        : node.client.query(path, input, { signal: controller.signal });
      return await Promise.race([request, lost]);
    } catch (error) {
      throw toRingKVError(error, endpoint);
    } finally {
      node.calls.delete(entry);
      options.signal.removeEventListener('abort', onAbort);
    }
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
  const causeName = (e.cause as { name?: string } | undefined)?.name;
  if (data === undefined && (causeName === 'TRPCWebSocketClosedError' || /WebSocket|ECONNREFUSED|connection/i.test(message))) {
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
