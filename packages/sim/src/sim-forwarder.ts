/**
 * The api's Forwarder between simulated nodes: a request that reached a follower goes to the
 * partition's leader as one SimApi exchange marked forwarded, as the server's HTTP forwarder does.
 * A remote RingKV error comes back as the StoreError it carried; a lost connection, or no answer
 * within `timeoutMs` of the node's own clock (a cut link), is UNAVAILABLE with the leader as hint.
 */
import type { Forwarder, ForwardablePath, RingkvErrorData } from '@ringkv/api';
import { StoreError } from '@ringkv/multiraft';
import type { Clock, NodeId } from '@ringkv/stdx';
import type { SimApi } from './sim-api';

export class SimForwarder implements Forwarder {
  forwardedTotal = 0;

  constructor(
    private readonly api: SimApi,
    private readonly self: NodeId,
    private readonly clock: Clock,
    private readonly timeoutMs = 5_000,
  ) {}

  forward(leader: NodeId, path: ForwardablePath, input: unknown): Promise<unknown> {
    this.forwardedTotal++;
    const unavailable = (why: string): StoreError =>
      new StoreError('UNAVAILABLE', `forwarding to leader node ${leader} failed (${why}); retry`, { leaderHint: leader, retryAfterMs: 100 });
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = this.clock.setTimer(this.timeoutMs, () => {
        if (settled) return;
        settled = true;
        reject(unavailable(`no answer within ${this.timeoutMs} ms`));
      });
      this.api.exchange(this.self, leader, path, input, { forwarded: true }, (outcome) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimer(timer);
        if (outcome.kind === 'ok') return resolve(outcome.data);
        if (outcome.kind === 'lost') return reject(unavailable(outcome.why));
        const shape = outcome.shape as { message?: string; data?: { ringkv?: RingkvErrorData } };
        const ringkv = shape.data?.ringkv;
        if (ringkv === undefined) return reject(unavailable(`the leader failed: ${shape.message ?? 'unknown error'}`));
        const { code, ...data } = ringkv;
        reject(new StoreError(code, shape.message ?? code, data));
      });
    });
  }
}
