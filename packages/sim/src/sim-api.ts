/**
 * One request/response exchange with a node's tRPC api over the simulated network, shared by the
 * SDK's simulated transport (client -> node) and the nodes' forwarder (node -> leader).
 *
 * The request travels like a frame (the network's current delay, its cuts, the receiver's
 * pauses), is JSON-encoded both ways as on the real wire (no tRPC transformer is configured), and
 * runs through tRPC's server-side caller on the target's router: zod validation, the error
 * formatter and the error shape are the real ones. What the caller sees:
 *
 * - an answer, or the error shape the server would have sent (`ApiErrorShape`);
 * - `lost` after a network delay: the connection broke (a drop, the node was down or crashed
 *   while the request was in flight). The request may or may not have run.
 * - nothing, while a link is cut: TCP keeps retransmitting into the partition, so only the
 *   caller's own timeout ends the wait. A partition that heals does not revive the exchange.
 */
import { getErrorShape, type TRPCError } from '@trpc/server';
import { createCallerFactory, type AppContext, type AppRouter } from '@ringkv/api';
import type { NodeId, Prng } from '@ringkv/stdx';
import type { Scheduler } from './scheduler';
import type { SimNetwork } from './sim-network';

/** A node's api as the network reaches it; undefined while the node is down or booting. */
export interface ApiEndpoint {
  readonly router: AppRouter;
  /** Changes at every restart: an exchange begun with one incarnation dies with it. */
  readonly incarnation: number;
  isPaused(): boolean;
  resumeAtSimMs(): number;
}

export type ApiOutcome =
  | { readonly kind: 'ok'; readonly data: unknown }
  | { readonly kind: 'error'; readonly shape: unknown }
  | { readonly kind: 'lost'; readonly why: string };

export interface ApiStats {
  requests: number;
  /** Requests a node passed on to a partition's leader (its forwarder). */
  forwarded: number;
  answered: number;
  lost: number;
  /** Requests or answers swallowed by a cut link (the caller times out). */
  silenced: number;
}

/** Procedures that change state; the rest are queries (the caller needs the kind for the error shape). */
const MUTATIONS: ReadonlySet<string> = new Set(['kv.put', 'kv.delete', 'kv.writeBatch']);

export class SimApi {
  readonly stats: ApiStats = { requests: 0, forwarded: 0, answered: 0, lost: 0, silenced: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly network: SimNetwork,
    private readonly prng: Prng,
    /** The api of node `id` as it is now (undefined while down). */
    private readonly endpointOf: (id: NodeId) => ApiEndpoint | undefined,
  ) {}

  /**
   * Sends `path(input)` from `from` (a node or a client's network id) to node `to`; `done` is
   * called at most once, never if a cut link swallows the request or the answer.
   */
  exchange(from: NodeId, to: NodeId, path: string, input: unknown, ctx: AppContext, done: (outcome: ApiOutcome) => void): void {
    this.stats.requests++;
    if (ctx.forwarded === true) this.stats.forwarded++;
    const wire = input === undefined ? undefined : JSON.stringify(input);
    const target = this.endpointOf(to);
    if (target === undefined) return this.lose(`node ${to} refused the connection (it is down)`, done);
    if (this.network.isCut(from, to)) return this.silence();
    if (this.prng.chance(this.network.faults.dropRate)) return this.lose(`the connection to node ${to} broke before the request arrived`, done);
    this.scheduler.after(this.delayMs(), `api ${from}>${to} ${path}`, () => this.arrive(from, to, target.incarnation, path, wire, ctx, done));
  }

  private arrive(from: NodeId, to: NodeId, incarnation: number, path: string, wire: string | undefined, ctx: AppContext, done: (outcome: ApiOutcome) => void): void {
    const target = this.endpointOf(to);
    if (target === undefined || target.incarnation !== incarnation) return this.lose(`node ${to} crashed while the request was in flight`, done);
    if (this.network.isCut(from, to)) return this.silence();
    if (target.isPaused()) {
      this.scheduler.at(target.resumeAtSimMs(), `api ${from}>${to} late`, () => this.arrive(from, to, incarnation, path, wire, ctx, done));
      return;
    }
    this.scheduler.record(`api ${from}>${to} ${path} ${wire?.length ?? 0}`);
    const input: unknown = wire === undefined ? undefined : JSON.parse(wire);
    const caller = createCallerFactory(target.router)(ctx) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
    const [namespace, procedure] = path.split('.') as [string, string];
    const type = MUTATIONS.has(path) ? 'mutation' : 'query';
    let run: Promise<unknown>;
    try {
      run = caller[namespace]![procedure]!(input);
    } catch (error) {
      run = Promise.reject(error);
    }
    run.then(
      (data) => this.answer(from, to, incarnation, { kind: 'ok', data: roundTrip(data) }, done),
      (error: unknown) => {
        const shape = getErrorShape({ config: target.router._def._config, error: error as TRPCError, type, path, input, ctx });
        this.answer(from, to, incarnation, { kind: 'error', shape: roundTrip(shape) }, done);
      },
    );
  }

  private answer(from: NodeId, to: NodeId, incarnation: number, outcome: ApiOutcome, done: (outcome: ApiOutcome) => void): void {
    // The answer leaves a node that is still the one that got the request, over the reverse link.
    const target = this.endpointOf(to);
    if (target === undefined || target.incarnation !== incarnation) return this.lose(`node ${to} crashed before answering`, done);
    if (this.network.isCut(to, from)) return this.silence();
    if (this.prng.chance(this.network.faults.dropRate)) return this.lose(`the connection to node ${to} broke before the answer arrived`, done);
    this.scheduler.after(this.delayMs(), `api ${to}>${from} answer`, () => {
      if (this.network.isCut(to, from)) return this.silence();
      this.stats.answered++;
      done(outcome);
    });
  }

  private lose(why: string, done: (outcome: ApiOutcome) => void): void {
    this.stats.lost++;
    this.scheduler.after(this.delayMs(), 'api lost', () => done({ kind: 'lost', why }));
  }

  private silence(): void {
    this.stats.silenced++;
  }

  private delayMs(): number {
    const f = this.network.faults;
    return this.prng.chance(f.longDelayRate) ? f.delayMsMax * 10 : this.prng.range(f.delayMsMin, f.delayMsMax);
  }
}

/** What the receiver gets after JSON encoding (undefined fields vanish, as on the wire). */
function roundTrip(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
