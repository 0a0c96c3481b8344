/**
 * The SDK's ClientTransport over the simulated network: `createClient({ transport, environment })`
 * with this and a virtual clock runs the real routing, retry and session code against the
 * simulated nodes. Every call is one SimApi exchange from the client's own network id (so
 * partitions can put a client on one side) to the node named by the endpoint.
 *
 * Failures become RingKVErrors exactly as the WebSocket transport makes them: the server's error
 * shape goes through tRPC's TRPCClientError and the SDK's own `toRingKVError`; a broken
 * connection is UNAVAILABLE with `connection: true`. A call whose cancel token fires rejects at
 * once with its reason (its late answer is ignored). Watches are not simulated: `subscribe` fails with UNAVAILABLE.
 */
import { TRPCClientError } from '@trpc/client';
import { RingKVError, toRingKVError, type CallOptions, type ClientTransport, type ProcedurePath, type SubscriptionHandlers, type TransportSubscription } from '@ringkv/client';
import { nodeId, type NodeId } from '@ringkv/stdx';
import type { SimApi } from './sim-api';

/** The api address the simulator gives node `id` (the Store's cluster config names it too). */
export function simApiAddress(id: number): string {
  return `sim://n${id}/api`;
}

function nodeOfAddress(endpoint: string): NodeId | undefined {
  const m = /^sim:\/\/n(\d+)\/api$/.exec(endpoint);
  return m === null ? undefined : nodeId(Number(m[1]));
}

export class SimClientTransport implements ClientTransport {
  private closed = false;

  constructor(
    private readonly api: SimApi,
    /** This client's id on the simulated network (distinct from every node's). */
    readonly networkId: NodeId,
  ) {}

  call(endpoint: string, path: ProcedurePath, input: unknown, options: CallOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(new RingKVError('CLOSED', 'the client is closed'));
    const to = nodeOfAddress(endpoint);
    if (to === undefined) return Promise.reject(new RingKVError('UNAVAILABLE', `no simulated node at ${endpoint}`, { endpoint, connection: true }));
    const { cancel } = options;
    if (cancel.cancelled) return Promise.reject(cancel.reason);
    return new Promise((resolve, reject) => {
      let settled = false;
      cancel.listen((reason) => {
        if (settled) return;
        settled = true;
        reject(reason);
      });
      this.api.exchange(this.networkId, to, path, input, {}, (outcome) => {
        if (settled) return;
        settled = true;
        if (outcome.kind === 'ok') resolve(outcome.data);
        else if (outcome.kind === 'lost') reject(new RingKVError('UNAVAILABLE', `connection to ${endpoint} failed: ${outcome.why}`, { endpoint, connection: true }));
        else reject(toRingKVError(TRPCClientError.from({ error: outcome.shape }), endpoint));
      });
    });
  }

  subscribe(endpoint: string, _path: 'kv.watch', _input: unknown, handlers: SubscriptionHandlers): TransportSubscription {
    queueMicrotask(() => handlers.onError(new RingKVError('UNAVAILABLE', `watches are not simulated (${endpoint})`, { endpoint })));
    return { unsubscribe: () => undefined };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
