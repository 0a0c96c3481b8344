/**
 * The api's Forwarder over tRPC's HTTP link: a request that landed on a follower is sent to the
 * partition's leader as one HTTP call, marked forwarded so the leader never forwards it again.
 * A remote RingKV error comes back as the same StoreError (code and data); a node we cannot reach
 * becomes UNAVAILABLE, which the SDK retries.
 */
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, Forwarder, ForwardablePath, RingkvErrorData } from '@ringkv/api';
import { FORWARDED_HEADER } from '@ringkv/api';
import { StoreError } from '@ringkv/multiraft';
import type { NodeId } from '@ringkv/stdx';

type Client = ReturnType<typeof createTRPCClient<AppRouter>>;

const KIND: Record<ForwardablePath, 'query' | 'mutate'> = {
  'kv.get': 'query',
  'kv.getMany': 'query',
  'kv.put': 'mutate',
  'kv.delete': 'mutate',
  'kv.writeBatch': 'mutate',
  'kv.scanPartition': 'query',
};

export class TrpcForwarder implements Forwarder {
  private readonly clients = new Map<number, Client>();
  forwardedTotal = 0;

  constructor(
    private readonly apiAddressOf: (node: number) => string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async forward(leader: NodeId, path: ForwardablePath, input: unknown): Promise<unknown> {
    const client = this.clientFor(leader);
    this.forwardedTotal++;
    const [namespace, procedure] = path.split('.') as [string, string];
    // The path is one of six known procedures; the typed proxy is indexed by name here.
    const target = (client as unknown as Record<string, Record<string, Record<string, (input: unknown, opts: object) => Promise<unknown>>>>)[namespace]![procedure]!;
    try {
      return await target[KIND[path]]!(input, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw toStoreError(error, leader);
    }
  }

  private clientFor(node: number): Client {
    let client = this.clients.get(node);
    if (client !== undefined) return client;
    const address = this.apiAddressOf(node);
    if (address === undefined) throw new StoreError('UNAVAILABLE', `node ${node} is not a known member; cannot forward to it`, { retryAfterMs: 100 });
    client = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `http://${address}/trpc`, headers: { [FORWARDED_HEADER]: '1' } })],
    });
    this.clients.set(node, client);
    return client;
  }
}

function toStoreError(error: unknown, leader: number): StoreError {
  if (error instanceof TRPCClientError) {
    const ringkv = (error.data as { ringkv?: RingkvErrorData } | undefined)?.ringkv;
    if (ringkv !== undefined) {
      const { code, ...data } = ringkv;
      return new StoreError(code, error.message, data);
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreError('UNAVAILABLE', `forwarding to leader node ${leader} failed (${reason}); retry`, { leaderHint: leader, retryAfterMs: 100 });
}
