/**
 * The cluster run's clients: each is the real SDK (`createClient` with the simulated transport,
 * a virtual clock and a seeded random source), so routing by the ring, the leader cache,
 * NOT_LEADER hints, retries with backoff and exactly-once sessions all run as in production.
 * Each client does one operation at a time, drawn from the seed: linearizable gets, puts,
 * conditional puts (ifVersion) and conditional deletes, and records every call and answer for
 * lincheck. An operation whose outcome the SDK could not learn (TIMEOUT, a lost connection) is
 * unknown, never assumed absent; a failed get is left out (it changed nothing).
 *
 * It also keeps what the end-of-run checks need: the last acknowledged write per key (for the
 * lost-write check) and when each partition last committed a write (liveness).
 */
import { createClient, isRingKVError, type RingKVClient } from '@ringkv/client';
import type { HistoryRecorder } from '@ringkv/lincheck';
import { nodeId, type NodeId, type Prng } from '@ringkv/stdx';
import type { Scheduler } from './scheduler';
import type { SimApi } from './sim-api';
import { SimClientTransport, simApiAddress } from './sim-client-transport';
import { SimClock } from './sim-clock';

/** The shortest deadline an operation is started with near the end of the client phase. */
const MIN_DEADLINE_MS = 200;

/** Network ids of clients start here, far from every node id. */
export const CLIENT_NETWORK_ID_BASE = 1_000;

export interface ClientWorkloadOptions {
  readonly clients: number;
  readonly keys: readonly string[];
  readonly nodes: number;
  /** No operation runs past this virtual time (the last ones get a shorter deadline). */
  readonly stopAtMs: number;
  /** The SDK's overall deadline per operation (retries included). */
  readonly deadlineMs: number;
  readonly attemptTimeoutMs: number;
}

/** The last acknowledged write of a key: its revision, and the value for a put. */
export interface AckedWrite {
  readonly kind: 'put' | 'delete';
  readonly value?: string;
  readonly revision: number;
  readonly atMs: number;
}

export interface ClientWorkloadStats {
  writesAcked: number;
  /** Writes whose outcome is unknown (the SDK gave up or lost the connection). */
  writesUnknown: number;
  conditionFailed: number;
  readsOk: number;
  readsFailed: number;
}

export class ClientWorkload {
  readonly stats: ClientWorkloadStats = { writesAcked: 0, writesUnknown: 0, conditionFailed: 0, readsOk: 0, readsFailed: 0 };
  /** Last acknowledged write per key (highest revision). */
  readonly acked = new Map<string, AckedWrite>();
  /** Keys with a delete of unknown outcome: their absence at the end proves nothing lost. */
  readonly maybeDeleted = new Set<string>();
  /** Failures the workload must never see (the server classified none of them as retryable). */
  readonly unexpected: string[] = [];
  readonly networkIds: NodeId[];
  private valueSeq = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly root: Prng,
    private readonly api: SimApi,
    private readonly recorder: HistoryRecorder,
    private readonly options: ClientWorkloadOptions,
  ) {
    this.networkIds = Array.from({ length: options.clients }, (_, c) => nodeId(CLIENT_NETWORK_ID_BASE + c));
  }

  /** Starts every client at `startMs`. */
  install(startMs: number): void {
    const endpoints = Array.from({ length: this.options.nodes }, (_, i) => simApiAddress(i + 1));
    for (let c = 0; c < this.options.clients; c++) {
      const prng = this.root.fork(`client${c}`);
      const clock = new SimClock(this.scheduler, { label: `c${c}`, driftPpm: 0, wallStartMs: 1_750_000_000_000 });
      const client = createClient({
        endpoints: prng.shuffle(endpoints),
        transport: new SimClientTransport(this.api, this.networkIds[c]!),
        environment: { clock, random: prng.fork('sdk') },
        deadlineMs: this.options.deadlineMs,
        attemptTimeoutMs: this.options.attemptTimeoutMs,
      });
      const versions = new Map<string, number>();
      const next = (): void => {
        const delayMs = prng.range(5, 40);
        if (this.scheduler.nowMs + delayMs + MIN_DEADLINE_MS > this.options.stopAtMs) return;
        this.scheduler.after(delayMs, `client${c}`, () => void this.step(c, client, prng, versions).finally(next));
      };
      this.scheduler.at(startMs, `client${c}`, next);
    }
  }

  private async step(c: number, client: RingKVClient, prng: Prng, versions: Map<string, number>): Promise<void> {
    const clientId = `sim-client-${c}`;
    // Clients keep working until stopAtMs (the liveness window needs their writes), each call
    // within the SDK's deadline but never past stopAtMs.
    const deadlineMs = Math.min(this.options.deadlineMs, this.options.stopAtMs - this.scheduler.nowMs);
    const key = prng.pick(this.options.keys);
    const known = versions.get(key) ?? 0;
    const roll = prng.next();
    if (roll < 0.35) {
      const handle = this.recorder.callGet(clientId, key);
      try {
        const entry = await client.get(key, { consistency: 'linearizable', deadlineMs });
        if (entry !== null && typeof entry.value !== 'string') throw new Error(`get ${key} returned a ${typeof entry.value} value; the workload writes strings only`);
        this.recorder.ok(handle, entry === null ? { found: false } : { found: true, value: entry.value as string, version: entry.version });
        versions.set(key, entry?.version ?? 0);
        this.stats.readsOk++;
      } catch (error) {
        this.recorder.discard(handle);
        this.stats.readsFailed++;
        this.expectRetryable(error, `get ${key}`);
      }
      return;
    }
    if (roll < 0.85) {
      // Plain puts, and puts conditional on the version this client last saw (often stale: the
      // CONDITION_FAILED answers are part of the history too).
      const ifVersion = roll < 0.65 ? undefined : known;
      const value = `v${++this.valueSeq}`;
      const handle = this.recorder.callPut(clientId, key, ifVersion === undefined ? { value } : { value, ifVersion });
      try {
        const r = await client.put(key, value, ifVersion === undefined ? { deadlineMs } : { ifVersion, deadlineMs });
        this.recorder.ok(handle, { ok: true, version: r.version });
        versions.set(key, r.version);
        this.ack(key, { kind: 'put', value, revision: r.modRevision, atMs: this.scheduler.nowMs });
      } catch (error) {
        this.writeFailed(handle, key, error, versions, `put ${key}`);
      }
      return;
    }
    const handle = this.recorder.callDelete(clientId, key, { ifVersion: known });
    try {
      const r = await client.delete(key, { ifVersion: known, deadlineMs });
      this.recorder.ok(handle, { ok: true, deleted: r.deleted });
      versions.set(key, 0);
      if (r.deleted) this.ack(key, { kind: 'delete', revision: r.revision, atMs: this.scheduler.nowMs });
    } catch (error) {
      this.writeFailed(handle, key, error, versions, `delete ${key}`);
      if (!(isRingKVError(error) && error.code === 'CONDITION_FAILED')) this.maybeDeleted.add(key);
    }
  }

  private writeFailed(handle: ReturnType<HistoryRecorder['callPut']>, key: string, error: unknown, versions: Map<string, number>, what: string): void {
    if (isRingKVError(error) && error.code === 'CONDITION_FAILED' && error.data.currentVersion !== undefined) {
      this.recorder.ok(handle, { ok: false, code: 'CONDITION_FAILED', currentVersion: error.data.currentVersion });
      versions.set(key, error.data.currentVersion);
      this.stats.conditionFailed++;
      return;
    }
    this.recorder.unknown(handle);
    this.stats.writesUnknown++;
    this.expectRetryable(error, what);
  }

  private ack(key: string, write: AckedWrite): void {
    this.stats.writesAcked++;
    const before = this.acked.get(key);
    if (before === undefined || write.revision > before.revision) this.acked.set(key, write);
  }

  /** The SDK gives up with TIMEOUT (or a last UNAVAILABLE); anything else is a bug somewhere. */
  private expectRetryable(error: unknown, what: string): void {
    if (isRingKVError(error) && (error.retryable || error.code === 'CONDITION_FAILED')) return;
    this.unexpected.push(`${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}
