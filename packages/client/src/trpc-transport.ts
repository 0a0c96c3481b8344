/**
 * ClientTransport over tRPC's WebSocket link: one socket per node, opened on first use. tRPC's
 * wsLink batches the requests queued in one tick into one frame, which is where the SDK's
 * throughput comes from (../shared/TOOLCHAIN.md).
 *
 * Failures become RingKVErrors in one place: the server's `data.ringkv` as sent, a lost or
 * refused socket as UNAVAILABLE with `connection: true`. While a node's socket is known to be
 * down, calls to it fail at once instead of queueing until it returns, so the router moves on.
 */
import type { TRPCWebSocketClient } from '@trpc/client';
import { TRPCClientError, createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import type { AnyTRPCRouter, CombinedDataTransformer } from '@trpc/server';
import type { Unsubscribable } from '@trpc/server/observable';
import type { RingKVErrorCode, RingKVErrorData } from './errors';
import { RingKVError } from './errors';
import type { CallOptions, ClientTransport, SubscriptionHandlers, TransportSubscription } from './transport';
import type { CancelSignal } from './cancel';
import type { PipelinedPath, PipelinedResult } from '@ringkv/api';
import { SystemClock } from '@ringkv/stdx';
import type { ProcedurePath } from './wire';
import { isMutation } from './wire';
import { estimatedCallBytes, requestBytes } from './values';

/** The WebSocket class to use: the browser's global, or `ws` in Node. */
export type WebSocketClass = typeof WebSocket;

export interface TrpcTransportOptions {
  readonly WebSocket: WebSocketClass;
  /** Delay before reconnect attempt n to a node whose socket dropped. */
  readonly reconnectDelayMs?: (attempt: number) => number;
  /**
   * Send the gets queued for one node in the same tick as one `kv.pipeline` call, and its puts and
   * deletes as another (default true). Off only for a server without that procedure.
   */
  readonly pipelining?: boolean;
}

interface NodeConnection {
  readonly wsClient: TRPCWebSocketClient;
  readonly client: ReturnType<typeof createTRPCUntypedClient<AnyTRPCRouter>>;
  /** Set while the socket is down after having failed; cleared when it opens again. */
  down: boolean;
  /** Everything waiting on this node, failed at once when its socket goes down. */
  readonly subscriptions: Set<{ fail(error: RingKVError): void }>;
  readonly calls: Set<{ fail(error: RingKVError): void }>;
  /** Gets waiting for this tick's read pipeline. */
  readonly reads: PipelineQueue;
  /** Puts and deletes waiting for this tick's write pipeline. */
  readonly writes: PipelineQueue;
  /** Estimated bytes of the requests queued in tRPC's socket client for its next frame. */
  framedBytes: number;
  /** Requests held until the socket opens (socketOpen): tRPC would send all of them as one message. */
  waitingForOpen: Array<{ start(): void; fail(error: RingKVError): void }>;
  /** A zero-delay timer of sendWhenOpen is pending. */
  polling: boolean;
}

/** Calls waiting for the next pipeline to one node, and their estimated size. */
interface PipelineQueue {
  calls: QueuedCall[];
  bytes: number;
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
  /** A listener for the attempt's CancelSignal (a bound function: the token calls it bare). */
  readonly onCancel: (reason: RingKVError) => void;

  constructor(
    private readonly node: NodeConnection,
    private readonly endpoint: string,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: RingKVError) => void,
  ) {
    // Assigned, not a class field: esbuild's keepNames (tsx) names a field's closure with an
    // Object.defineProperty call per instance, one per call here.
    this.onCancel = (reason) => this.fail(reason);
  }

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

/** A get, put or delete waiting in a node's queue for this tick's pipeline. */
interface QueuedCall {
  readonly path: PipelinedPath;
  readonly input: unknown;
  readonly cancel: CancelSignal;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: RingKVError) => void;
}

/**
 * A pipeline holds at most this many calls (the api's PIPELINE_CALLS_MAX) and, by a cheap
 * estimate of their inputs, about this many bytes; a call estimated over PIPELINED_CALL_BYTES_MAX
 * (or whose size is not cheap to estimate: a JSON value) goes on its own, so a pipeline never
 * nears the server's message limit and a large value does not hold small calls up.
 */
const PIPELINE_CALLS_MAX = 256;
const PIPELINE_BYTES_MAX = 1024 * 1024;
const PIPELINED_CALL_BYTES_MAX = 64 * 1024;

/**
 * One `kv.pipeline` request in flight: settles each call from its slot of the answer, or all of
 * them with the request's failure. A call cancelled meanwhile settles alone with its reason (the
 * server still runs it, as it runs a cancelled call sent on its own); the request is dropped once
 * every call has settled.
 */
export class PendingPipeline {
  private unsettled: number;
  private readonly settled: boolean[];
  subscription: Unsubscribable | undefined = undefined;

  constructor(
    private readonly node: NodeConnection,
    private readonly endpoint: string,
    private readonly calls: readonly QueuedCall[],
  ) {
    this.unsettled = calls.length;
    this.settled = calls.map(() => false);
    calls.forEach((call, i) => call.cancel.listen((reason) => this.settleOne(i, reason)));
  }

  next(envelope: { result: { type?: string; data?: unknown } }): void {
    const results = (envelope.result.data as { results?: unknown } | undefined)?.results;
    if (!Array.isArray(results) || results.length !== this.calls.length) {
      this.fail(new RingKVError('INTERNAL', `${this.endpoint} answered a pipeline of ${this.calls.length} calls with a malformed answer`, { endpoint: this.endpoint }));
      return;
    }
    (results as PipelinedResult[]).forEach((result, i) => {
      if (result.ok) this.settleOne(i, undefined, result.data);
      else this.settleOne(i, toRingKVError({ message: result.error.message, data: { code: result.error.code, ringkv: result.error.ringkv } }, this.endpoint));
    });
  }

  error(error: unknown): void {
    this.fail(toRingKVError(error, this.endpoint));
  }

  /** tRPC completes every request after its answer: then there is nothing left to fail, and no
   *  error (and its stack trace, ~5 % of the SDK's CPU under puts) is built for nothing. */
  complete(): void {
    if (this.done) return;
    this.fail(new RingKVError('ABORTED', `the request to ${this.endpoint} was aborted`, { endpoint: this.endpoint }));
  }

  /** Rejects every call not settled yet (socket lost, request failed). */
  fail(error: RingKVError): void {
    for (let i = 0; i < this.calls.length; i++) this.settleOne(i, error);
  }

  private settleOne(i: number, error: RingKVError | undefined, data?: unknown): void {
    if (this.settled[i]) return;
    this.settled[i] = true;
    const call = this.calls[i]!;
    if (error === undefined) call.resolve(data);
    else call.reject(error);
    if (--this.unsettled > 0) return;
    this.node.calls.delete(this);
    this.subscription?.unsubscribe();
  }

  get done(): boolean {
    return this.unsettled === 0;
  }
}

/** Flushes a pipeline on the next turn of the event loop (a zero-delay timer: setImmediate where there is one). */
const NEXT_TURN = new SystemClock();

/** The parts of tRPC's WebSocket client (11.25.2, pinned) that sendQueuedNow reaches into. */
interface WsClientInternals {
  readonly activeConnection?: { isOpen(): boolean; readonly ws: unknown };
  readonly requestManager?: {
    hasOutgoingRequests(): boolean;
    flush(ws: unknown): Array<{ message: unknown; callbacks: { error(error: unknown): void } }>;
    delete(message: unknown): void;
  };
  send?(messages: unknown[]): void;
}

/**
 * Puts the requests tRPC's WebSocket client has queued on the socket now. Its own flush waits
 * for `setTimeout(0)` first, which Node clamps to 1 ms and which then fires on the next timers
 * phase: measured on a 3-node cluster, a lone get through the SDK took 1.68 ms (p50) where the
 * same tRPC message written on a raw socket took 0.12 ms. The transport calls this only for a
 * lone call (the only one its tick queued for that node) to a node with nothing else in flight,
 * as Nagle's algorithm sends at once on an idle connection. Everything else keeps tRPC's wait,
 * which gathers the calls of the next millisecond into one frame: under load that batching is
 * worth more than the millisecond (at 64 clients, sending every call or pipeline at once gave
 * 0.89x puts, 0.92x gets and 0.85x mix, 3 pairs each; idle pipelines at once still cost 0.89x
 * puts). tRPC's later flush then finds nothing to send.
 *
 * This is the body of tRPC's flush for an open socket (a send that throws fails its requests the
 * same way); a socket still opening is left to tRPC. It reaches into tRPC 11.25.2's internals
 * (pinned): if an upgrade renames them, calls fall back to tRPC's own, slower flush, and
 * trpc-transport.test.ts fails.
 */
export function sendQueuedNow(wsClient: TRPCWebSocketClient): void {
  const c = wsClient as unknown as WsClientInternals;
  const connection = c.activeConnection;
  const manager = c.requestManager;
  if (connection === undefined || manager === undefined || c.send === undefined) return;
  if (!connection.isOpen() || !manager.hasOutgoingRequests()) return;
  const requests = manager.flush(connection.ws);
  try {
    c.send(requests.map((request) => request.message));
  } catch (error) {
    // As tRPC's flush does: the requests fail, each through its own observer.
    for (const request of requests) {
      manager.delete(request.message);
      request.callbacks.error(TRPCClientError.from(error instanceof Error ? error : new Error(String(error))));
    }
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

/**
 * tRPC's socket client sends every request queued in one tick as ONE WebSocket message, and the
 * server closes a connection whose message passes its limit (12 MiB), failing every call on it:
 * a few large writes to one node in the same tick did that. So a frame is sent early, before a
 * request would take it past this many (estimated) bytes, and once it reaches them; a single
 * request larger than this goes in a frame of its own. Small traffic never comes near it.
 */
export const FRAME_BYTES_MAX = 4 * 1024 * 1024;

/** Sends the node's queued frame now, and starts counting the next one. */
function sendFrameNow(node: NodeConnection): void {
  sendQueuedNow(node.wsClient);
  node.framedBytes = 0;
}

function makeRoomInFrame(node: NodeConnection, bytes: number): void {
  if (!hasQueuedRequests(node.wsClient)) node.framedBytes = 0;
  else if (node.framedBytes > 0 && node.framedBytes + bytes > FRAME_BYTES_MAX) sendFrameNow(node);
}

function queuedInFrame(node: NodeConnection, bytes: number): void {
  node.framedBytes += bytes;
  if (node.framedBytes >= FRAME_BYTES_MAX) sendFrameNow(node);
}

/**
 * Whether the node's socket is open (true when tRPC's internals cannot tell). While it opens, tRPC
 * queues every request and sends them all as ONE message once it opens: 9 writes of 1.5 MiB made
 * on a new client went as a 13.8 MB message, past the server's 12 MiB, which closed the socket
 * and failed them all (80 puts of 1 MiB from a new client: 35 ended in TIMEOUT). So the transport
 * holds its requests until the socket opens, then sends them in frames like any others.
 */
function socketOpen(node: NodeConnection): boolean {
  const connection = (node.wsClient as unknown as WsClientInternals).activeConnection;
  return connection === undefined || connection.isOpen();
}

/** Runs `start` now if the node's socket is open, else once it opens (in the order asked);
 *  `fail` settles the call if the socket never opens or the client closes first. */
function whenOpen(node: NodeConnection, start: () => void, fail: (error: RingKVError) => void): void {
  if (node.waitingForOpen.length === 0 && socketOpen(node)) {
    start();
    return;
  }
  node.waitingForOpen.push({ start, fail });
  // Reported open but not usable yet (sendWhenOpen): nothing else would start it.
  if (node.wsClient.connectionState.get().state === 'pending') sendWhenOpen(node);
}

/**
 * Starts what waited for the node's socket, in order and in frames (sendFrameNow works on an open
 * socket), once tRPC has reported it open (its 'pending' state). tRPC does so a few microtasks
 * before its own isOpen() says so, and its flush of what it queued waits a zero-delay timer for
 * that: so does this, up to ~50 turns of the event loop, after which the calls fail (retryable).
 */
function sendWhenOpen(node: NodeConnection): void {
  if (node.polling) return;
  const attempt = (tries: number): void => {
    node.polling = false;
    if (node.waitingForOpen.length === 0 || node.down) return;
    if (socketOpen(node)) {
      for (const w of node.waitingForOpen.splice(0)) w.start();
    } else if (tries < 50) {
      node.polling = true;
      NEXT_TURN.setTimer(0, () => attempt(tries + 1));
    } else {
      const error = new RingKVError('UNAVAILABLE', 'the socket reported open but did not become usable', { connection: true });
      for (const w of node.waitingForOpen.splice(0)) w.fail(error);
    }
  };
  attempt(0);
}

/** Whether tRPC's socket client holds requests for its next frame (true when it cannot tell). */
function hasQueuedRequests(wsClient: TRPCWebSocketClient): boolean {
  const manager = (wsClient as unknown as WsClientInternals).requestManager;
  return manager === undefined ? true : manager.hasOutgoingRequests();
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
    // A request's own cost (tRPC's envelope, parse and dispatch, an AbortSignal, a WebSocket
    // message each way) is paid once per pipeline instead of once per call. Gets: 65 vs 83 µs of
    // server CPU per linearizable get (bench, 4 alternating runs). Writes: 311-361 vs 367-395 µs
    // per put, higher throughput in 4 of 4 alternating pairs of put and of mix (tools/bench
    // README). Reads and writes go in separate pipelines, so a get never waits for a write's
    // replication; the writes of one pipeline, to one node's partitions, commit in the same rounds.
    if (this.options.pipelining !== false && options.alone !== true && (path === 'kv.get' || path === 'kv.put' || path === 'kv.delete')) {
      const bytes = estimatedCallBytes(input);
      if (bytes !== undefined && bytes <= PIPELINED_CALL_BYTES_MAX) {
        const queue = path === 'kv.get' ? node.reads : node.writes;
        return new Promise((resolve, reject) => this.enqueue(node, queue, endpoint, { path, input, cancel, resolve, reject }, bytes));
      }
    }
    return this.send(node, endpoint, path, input, cancel);
  }

  /** Queues a call for one of the node's pipelines of this tick; a full pipeline goes at once. */
  private enqueue(node: NodeConnection, queue: PipelineQueue, endpoint: string, call: QueuedCall, bytes: number): void {
    if (queue.calls.length > 0 && (queue.calls.length >= PIPELINE_CALLS_MAX || queue.bytes + bytes > PIPELINE_BYTES_MAX)) this.flush(node, queue, endpoint);
    queue.calls.push(call);
    queue.bytes += bytes;
    if (queue.calls.length === 1) NEXT_TURN.setTimer(0, () => this.flush(node, queue, endpoint));
  }

  /** Sends a queue's calls: one on its own, several as one kv.pipeline. */
  private flush(node: NodeConnection, queue: PipelineQueue, endpoint: string): void {
    const queued = queue.calls.filter((call) => {
      if (call.cancel.cancelled) call.reject(call.cancel.reason!);
      return !call.cancel.cancelled;
    });
    const bytes = queue.bytes;
    queue.calls = [];
    queue.bytes = 0;
    if (queued.length === 0) return;
    if (this.closed || node.down) {
      const error = this.closed ? new RingKVError('CLOSED', 'the client is closed') : new RingKVError('UNAVAILABLE', `cannot reach ${endpoint}: its socket is down`, { endpoint, connection: true });
      for (const call of queued) call.reject(error);
      return;
    }
    if (queued.length === 1) {
      const only = queued[0]!;
      this.send(node, endpoint, only.path, only.input, only.cancel).then(only.resolve, only.reject);
      return;
    }
    const pipeline = new PendingPipeline(node, endpoint, queued);
    node.calls.add(pipeline);
    const input = { calls: queued.map((call) => ({ path: call.path, input: call.input })) };
    whenOpen(
      node,
      () => {
        if (pipeline.done) return; // every call cancelled, or the socket failed, while it waited
        makeRoomInFrame(node, bytes);
        pipeline.subscription = node.wsClient
          .request({ op: { id: 0, type: 'mutation', path: 'kv.pipeline', input, signal: null }, transformer: IDENTITY })
          .subscribe(pipeline);
        // Failed while subscribing (before `subscription` was set): drop the request now.
        if (pipeline.done) pipeline.subscription.unsubscribe();
        else queuedInFrame(node, bytes);
      },
      (error) => pipeline.fail(error),
    );
  }

  /** Sends one call on its own. */
  private send(node: NodeConnection, endpoint: string, path: ProcedurePath, input: unknown, cancel: CancelSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call = new PendingCall(node, endpoint, resolve, reject);
      node.calls.add(call);
      // Listened to from the start: a call cancelled while it waits for the socket is never sent.
      cancel.listen(call.onCancel);
      whenOpen(
        node,
        () => {
          if (call.settled) return; // cancelled, or the socket failed, while it waited for the socket
          const bytes = requestBytes(path, input);
          makeRoomInFrame(node, bytes);
          // Straight to the socket client's request observable: no link chain, no promise adapter,
          // no AbortController (tRPC's own promise adapter builds one and a DOMException per call).
          // Unsubscribing drops a request still queued and ignores a late answer.
          call.subscription = node.wsClient
            .request({ op: { id: 0, type: isMutation(path) ? 'mutation' : 'query', path, input, signal: null }, transformer: IDENTITY })
            .subscribe(call);
          if (call.settled) call.subscription.unsubscribe();
          else if (node.calls.size === 1) sendFrameNow(node);
          else queuedInFrame(node, bytes);
        },
        (error) => call.fail(error),
      );
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
    // Calls still waiting for a socket were never handed to tRPC, whose close fails its own queue.
    for (const n of nodes) for (const w of n.waitingForOpen.splice(0)) w.fail(new RingKVError('CLOSED', 'the client is closed'));
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
      reads: { calls: [], bytes: 0 },
      writes: { calls: [], bytes: 0 },
      framedBytes: 0,
      waitingForOpen: [],
      polling: false,
    };
    // A socket that failed marks the node down until it opens again. tRPC would resend a
    // subscription once the node is back; failing it instead lets the watch move to another
    // replica now and resume from its last revision.
    wsClient.connectionState.subscribe({
      next: (state) => {
        if (state.state === 'pending') {
          node.down = false;
          sendWhenOpen(node);
        } else if (state.state === 'connecting' && state.error !== null) {
          node.down = true;
          node.waitingForOpen.length = 0; // their calls fail just below
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
