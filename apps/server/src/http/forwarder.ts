/**
 * The api's Forwarder over tRPC's HTTP link: a request that landed on a follower is sent to the
 * partition's leader as one HTTP call, marked forwarded so the leader never forwards it again.
 * A remote RingKV error comes back as the same StoreError (code and data); a node we cannot reach
 * becomes UNAVAILABLE, which the SDK retries.
 *
 * The calls go over node:http on a keep-alive agent (./http-fetch.ts), not Node's global fetch,
 * which took about 1.3x the time and 1.7x the CPU per call.
 *
 * Bounded per leader: at most `inFlightMax` calls at once (HTTP/1.1 runs one call per connection,
 * so a burst of a thousand requests on a follower would otherwise be a thousand sockets to the
 * leader), then up to `queuedMax` waiting in line (the wait counts against the call's
 * timeout); beyond that the request is refused at once with UNAVAILABLE and a retry hint, and
 * nothing is forwarded.
 */
import { Agent } from 'node:http';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, Forwarder, ForwardablePath, RingkvErrorData } from '@ringkv/api';
import { FORWARDED_HEADER } from '@ringkv/api';
import { StoreError } from '@ringkv/multiraft';
import type { NodeId } from '@ringkv/stdx';
import { httpFetch } from './http-fetch';

type Client = ReturnType<typeof createTRPCClient<AppRouter>>;

const KIND: Record<ForwardablePath, 'query' | 'mutate'> = {
  'kv.get': 'query',
  'kv.getMany': 'query',
  'kv.put': 'mutate',
  'kv.delete': 'mutate',
  'kv.writeBatch': 'mutate',
  'kv.scanPartition': 'query',
};

export const FORWARDS_IN_FLIGHT_MAX = 128;
export const FORWARDS_QUEUED_MAX = 4096;
/** The longest answer a leader may send to a forwarded call: a full getMany or scan page, with room. */
export const FORWARD_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

/** Calls to one leader: those in flight and those waiting for a slot. */
interface Lane {
  inFlight: number;
  readonly waiting: Array<() => void>;
}

export interface ForwarderLimits {
  /** Calls to one leader at once. */
  readonly inFlightMax?: number;
  /** Calls to one leader waiting for a slot. */
  readonly queuedMax?: number;
}

export class TrpcForwarder implements Forwarder {
  private readonly clients = new Map<number, Client>();
  private readonly lanes = new Map<number, Lane>();
  private readonly inFlightMax: number;
  private readonly queuedMax: number;
  private readonly agent: Agent;
  forwardedTotal = 0;

  constructor(
    private readonly apiAddressOf: (node: number) => string | undefined,
    private readonly timeoutMs: number,
    limits: ForwarderLimits = {},
  ) {
    this.inFlightMax = limits.inFlightMax ?? FORWARDS_IN_FLIGHT_MAX;
    this.queuedMax = limits.queuedMax ?? FORWARDS_QUEUED_MAX;
    // The lanes keep at most inFlightMax calls per leader, so at most that many sockets per leader.
    this.agent = new Agent({ keepAlive: true, maxSockets: this.inFlightMax });
  }

  /** Closes the idle connections to leaders (the node is stopping). */
  close(): void {
    this.agent.destroy();
  }

  async forward(leader: NodeId, path: ForwardablePath, input: unknown): Promise<unknown> {
    const client = this.clientFor(leader);
    const [namespace, procedure] = path.split('.') as [string, string];
    // The path is one of six known procedures; the typed proxy is indexed by name here.
    const target = (client as unknown as Record<string, Record<string, Record<string, (input: unknown, opts: object) => Promise<unknown>>>>)[namespace]![procedure]!;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const lane = await this.enter(leader);
    this.forwardedTotal++;
    try {
      return await target[KIND[path]]!(input, { signal });
    } catch (error) {
      throw toStoreError(error, leader);
    } finally {
      this.leave(lane);
    }
  }

  /** Calls to `leader` in flight and waiting (for metrics and tests). */
  load(leader: number): { inFlight: number; waiting: number } {
    const lane = this.lanes.get(leader);
    return { inFlight: lane?.inFlight ?? 0, waiting: lane?.waiting.length ?? 0 };
  }

  /** Takes a slot to `leader`, waiting in line if all are taken; refuses when the line is full. */
  private async enter(leader: number): Promise<Lane> {
    let lane = this.lanes.get(leader);
    if (lane === undefined) this.lanes.set(leader, (lane = { inFlight: 0, waiting: [] }));
    if (lane.inFlight < this.inFlightMax) {
      lane.inFlight++;
      return lane;
    }
    if (lane.waiting.length >= this.queuedMax) {
      throw new StoreError('UNAVAILABLE', `this node already has ${lane.inFlight} requests in flight and ${lane.waiting.length} waiting to be forwarded to leader node ${leader}, its limit; retry shortly or send requests to the leader`, {
        leaderHint: leader,
        retryAfterMs: 50,
      });
    }
    // In line until a call ends and hands its slot over (leave()). Every holder ends by its own
    // timeout, which started before this one's, so the line always moves; a call whose time ran
    // out while it waited fails at once on its aborted signal and hands the slot on.
    await new Promise<void>((resolve) => lane.waiting.push(resolve));
    return lane;
  }

  private leave(lane: Lane): void {
    const next = lane.waiting.shift();
    if (next !== undefined) next();
    else lane.inFlight--;
  }

  private clientFor(node: number): Client {
    let client = this.clients.get(node);
    if (client !== undefined) return client;
    const address = this.apiAddressOf(node);
    if (address === undefined) throw new StoreError('UNAVAILABLE', `node ${node} is not a known member; cannot forward to it`, { retryAfterMs: 100 });
    client = createTRPCClient<AppRouter>({
      // POST for queries too (the server allows the override): inputs such as a getMany of 1000
      // keys are too long for a URL.
      links: [
        httpLink({ url: `http://${address}/trpc`, methodOverride: 'POST', headers: { [FORWARDED_HEADER]: '1' }, fetch: httpFetch(this.agent, FORWARD_RESPONSE_BYTES_MAX) }),
      ],
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
