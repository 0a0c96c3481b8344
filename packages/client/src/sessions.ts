/**
 * Client sessions for exactly-once writes. Every write carries (clientId, seq); the server applies
 * a (clientId, seq) at most once and answers a duplicate with the first answer. For that to hold:
 * - a session has at most ONE write in flight, so its sequence numbers reach the server in order;
 * - a retry reuses the write's own (clientId, seq), never a fresh one;
 * - a write whose outcome stayed unknown (deadline passed mid-flight) retires its session: an old
 *   attempt may still be travelling, and a later seq on the same clientId must not overtake it.
 * The pool holds as many sessions as the client's write concurrency; writers beyond that wait.
 */
import { assert } from '@ringkv/stdx';
import type { RandomSource } from './environment';
import { abortReason } from './environment';
import { RingKVError } from './errors';

export interface SessionTag {
  readonly clientId: string;
  readonly seq: number;
}

export class Session {
  private nextSeq = 1;
  private inFlight = false;
  private retired = false;

  constructor(readonly clientId: string) {}

  /** Starts a write: claims the next sequence number. The session must be idle. */
  begin(): SessionTag {
    assert(!this.inFlight, `session ${this.clientId} already has a write in flight`);
    assert(!this.retired, `session ${this.clientId} is retired`);
    this.inFlight = true;
    return { clientId: this.clientId, seq: this.nextSeq++ };
  }

  /** Ends the write begun last. `outcomeKnown` false retires the session for good. */
  end(outcomeKnown: boolean): void {
    assert(this.inFlight, `session ${this.clientId} has no write in flight`);
    this.inFlight = false;
    if (!outcomeKnown) this.retired = true;
  }

  get busy(): boolean {
    return this.inFlight;
  }

  get isRetired(): boolean {
    return this.retired;
  }
}

/** 128 random bits as hex: unique across processes when the source is seeded from crypto. */
export function newClientId(random: RandomSource): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += random.nextU32().toString(16).padStart(8, '0');
  return id;
}

export class SessionPool {
  private readonly idle: Session[] = [];
  private readonly waiters: Array<{ resolve: (s: Session) => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = [];
  private created = 0;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly random: RandomSource,
  ) {
    assert(Number.isInteger(size) && size >= 1 && size <= 65_536, `session pool size must be in [1, 65536], got ${size}`);
  }

  /** How many sessions exist right now (idle or busy); never more than `size`. */
  get liveCount(): number {
    return this.created;
  }

  /** An idle (or new) session now, or undefined when all `size` are busy or the pool is closed. */
  tryAcquire(): Session | undefined {
    if (this.closed) return undefined;
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    if (this.created < this.size) {
      this.created++;
      return new Session(newClientId(this.random));
    }
    return undefined;
  }

  /** An idle session, waiting (FIFO) if all `size` sessions are busy. */
  acquire(signal?: AbortSignal): Promise<Session> {
    if (this.closed) return Promise.reject(new RingKVError('CLOSED', 'the client is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { resolve, reject };
      if (signal !== undefined) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Returns a session after its write ended; a retired one is replaced by a fresh session. */
  release(session: Session): void {
    assert(!session.busy, 'released a session with a write in flight');
    let next: Session | undefined = session;
    if (session.isRetired) {
      this.created--;
      next = undefined;
    }
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      if (next !== undefined) this.idle.push(next);
      return;
    }
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    if (next === undefined) {
      this.created++;
      next = new Session(newClientId(this.random));
    }
    waiter.resolve(next);
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new RingKVError('CLOSED', 'the client is closed'));
  }
}
