/**
 * The state machine: what a committed command does to a partition. One ApplyRound stages the
 * commands of every partition applied in a round into ONE KvApplyBatch; an overlay of what the
 * round already changed makes later commands in the round see earlier ones.
 *
 * Decisions use only the command and the stored state (the command's wallMs for time), so every
 * replica reaches the same state and the same answers.
 *
 * Most commands read only state that is in memory (staged earlier in the round, or in the
 * engine's value and session caches), so tryApply applies them synchronously: no promise, no
 * microtask, no garbage per entry. Only a command that reads something the caches do not hold
 * goes through apply(), which loads it from LevelDB first (and whose reads can throw the
 * engine's CorruptionError, which quarantines the partition).
 */
import type { GroupId } from '@ringkv/stdx';
import { assert, groupId } from '@ringkv/stdx';
import type { KvApplyBatch, KvEngine, KvRecord, KvRecordMeta, SessionRecord } from '@ringkv/storage';
import { NOT_CACHED } from '@ringkv/storage';
import type { Answer, Command, CommandOp, WriteResult } from './commands';
import { decodeAnswer, encodeAnswer } from './commands';
import type { WatchEvent } from './facade';
import { KeyOverlay } from './key-overlay';

export interface ApplyEffects {
  /** Changes for watchers, in order. */
  readonly events: WatchEvent[];
  /** Records written with a TTL (for the expiry index). */
  readonly expiring: Array<{ key: Uint8Array; modRevision: number; expiresAtMs: number }>;
  /** Keys whose TTL record went away (deleted or overwritten). */
  readonly unexpiring: Uint8Array[];
}

function isLive<R extends KvRecordMeta>(record: R | undefined, nowMs: number): record is R {
  return record !== undefined && (record.expiresAtMs === undefined || record.expiresAtMs > nowMs);
}

/** tryApply's answer when the command reads state that is not in memory (call apply()). */
export const NEEDS_IO: unique symbol = Symbol('NEEDS_IO');

/** A read tryApply could not answer from memory. */
const UNKNOWN: unique symbol = Symbol('UNKNOWN');

type WriteCommand = Extract<Command, { type: 'write' }>;

export class ApplyRound {
  readonly batch: KvApplyBatch;
  /** The round's view of records it read or changed: null = absent (or deleted this round). A
   *  record read from disk holds no value (only a write reads one, and it needs no value). */
  private readonly records = new KeyOverlay<KvRecordMeta | null>();
  /** Per partition, the sessions the round read or changed: null = absent (or expired this round). */
  private readonly sessions = new Map<GroupId, Map<string, SessionRecord | null>>();

  constructor(
    private readonly kv: KvEngine,
    private readonly sessionTtlMs: number,
  ) {
    this.batch = kv.newApplyBatch();
  }

  /**
   * Applies one command at `index` if everything it reads is in memory, and returns the answer
   * for a client write (undefined for the Store's own commands). Otherwise changes nothing and
   * returns NEEDS_IO: then call apply().
   */
  tryApply(partition: number, index: number, command: Command, effects: ApplyEffects): Answer | undefined | typeof NEEDS_IO {
    const p = groupId(partition);
    switch (command.type) {
      case 'write':
        return this.applyWrite(p, index, command, effects);
      case 'expire': {
        // Every read before any change, so NEEDS_IO leaves nothing half staged.
        for (const { key } of command.keys) if (this.record(p, key) === UNKNOWN) return NEEDS_IO;
        for (const { key, modRevision } of command.keys) {
          // Only the record that expired: a key rewritten since keeps its new value.
          const record = this.record(p, key);
          assert(record !== UNKNOWN, 'an expired key was known a moment ago');
          if (record === undefined || record.modRevision !== modRevision || isLive(record, command.wallMs)) continue;
          this.del(p, key);
          effects.unexpiring.push(key);
          effects.events.push({ type: 'delete', partition, key, version: 0, modRevision: index });
        }
        return undefined;
      }
      case 'expireSessions':
        return NEEDS_IO; // lists the partition's session table from LevelDB
    }
  }

  /** Applies one command at `index`, reading from LevelDB first what is not staged this round
   *  (through the engine's caches). The path for a command tryApply answered NEEDS_IO. */
  async apply(partition: number, index: number, command: Command, effects: ApplyEffects): Promise<Answer | undefined> {
    const p = groupId(partition);
    if (command.type === 'expireSessions') {
      await this.expireSessions(p, command.wallMs);
      return undefined;
    }
    await this.load(p, command);
    const answer = this.tryApply(partition, index, command, effects);
    assert(answer !== NEEDS_IO, () => `partition ${p}: a command still reads unknown state after loading it`);
    return answer;
  }

  /** Reads into the round's overlay every record and session `command` may read that the round
   *  has not staged (the engine answers from its caches where it can). */
  private async load(p: GroupId, command: Exclude<Command, { type: 'expireSessions' }>): Promise<void> {
    if (command.type === 'write') {
      const staged = this.sessionsOf(p);
      if (staged.get(command.clientId) === undefined) staged.set(command.clientId, (await this.kv.getSession(p, command.clientId)) ?? null);
      for (const op of command.ops) await this.loadRecord(p, op.key);
    } else {
      for (const { key } of command.keys) await this.loadRecord(p, key);
    }
  }

  private async loadRecord(p: GroupId, key: Uint8Array): Promise<void> {
    if (this.records.get(p, key) === undefined) this.records.set(p, key, (await this.kv.getMeta(p, key)) ?? null);
  }

  private async expireSessions(p: GroupId, wallMs: number): Promise<void> {
    const stored = await this.kv.listSessions(p);
    const all = new Map(stored.map((s) => [s.clientId, s.session as SessionRecord | null]));
    const staged = this.sessionsOf(p);
    for (const [clientId, s] of staged) all.set(clientId, s);
    for (const [clientId, s] of all) {
      if (s !== null && s.lastSeenMs + this.sessionTtlMs <= wallMs) {
        staged.set(clientId, null);
        this.batch.deleteSession(p, clientId);
      }
    }
  }

  private record(partition: GroupId, key: Uint8Array): KvRecordMeta | undefined | typeof UNKNOWN {
    const staged = this.records.get(partition, key);
    if (staged !== undefined) return staged ?? undefined;
    const cached = this.kv.getCached(partition, key);
    return cached === NOT_CACHED ? UNKNOWN : cached;
  }

  private session(partition: GroupId, clientId: string): SessionRecord | undefined | typeof UNKNOWN {
    const staged = this.sessions.get(partition)?.get(clientId);
    if (staged !== undefined) return staged ?? undefined;
    const cached = this.kv.getSessionCached(partition, clientId);
    return cached === NOT_CACHED ? UNKNOWN : cached;
  }

  private sessionsOf(partition: GroupId): Map<string, SessionRecord | null> {
    let staged = this.sessions.get(partition);
    if (staged === undefined) this.sessions.set(partition, (staged = new Map()));
    return staged;
  }

  private put(partition: GroupId, key: Uint8Array, record: KvRecord): void {
    this.records.set(partition, key, record);
    this.batch.put(partition, key, record);
  }

  private del(partition: GroupId, key: Uint8Array): void {
    this.records.set(partition, key, null);
    this.batch.delete(partition, key);
  }

  private applyWrite(p: GroupId, index: number, command: WriteCommand, effects: ApplyEffects): Answer | typeof NEEDS_IO {
    const session = this.session(p, command.clientId);
    if (session === UNKNOWN) return NEEDS_IO;
    const active = session !== undefined && session.lastSeenMs + this.sessionTtlMs > command.wallMs ? session : undefined;
    if (active !== undefined && command.seq === active.lastSeq) return decodeAnswer(active.answer);
    if (active !== undefined && command.seq < active.lastSeq) {
      // Not saved: the session's answer stays the one for lastSeq.
      return {
        ok: false,
        code: 'BAD_REQUEST',
        message: `session ${command.clientId}: sequence ${command.seq} is older than the last applied ${active.lastSeq}; a session may have one write in flight and never reuses a sequence`,
        data: { partition: p },
      };
    }
    const answer = this.applyOps(p, index, command.wallMs, command.kind, command.ops, effects);
    if (answer === NEEDS_IO) return NEEDS_IO;
    const saved: SessionRecord = { lastSeq: command.seq, answer: encodeAnswer(answer), lastSeenMs: command.wallMs };
    this.sessionsOf(p).set(command.clientId, saved);
    this.batch.setSession(p, command.clientId, saved);
    return answer;
  }

  /** All ops or none: conditions are checked against the state as the earlier ops leave it.
   *  Reads everything before staging anything, so NEEDS_IO (or a failed condition) stages nothing. */
  private applyOps(p: GroupId, index: number, wallMs: number, kind: WriteCommand['kind'], ops: readonly CommandOp[], effects: ApplyEffects): Answer | typeof NEEDS_IO {
    // A batch's own changes so far, for a key it names twice (a single op needs none).
    const local = ops.length > 1 ? new KeyOverlay<{ before: KvRecordMeta | undefined; after: KvRecord | undefined }>() : undefined;
    let single: { key: Uint8Array; before: KvRecordMeta | undefined; after: KvRecord | undefined } | undefined;
    let lastPut: KvRecord | undefined;
    let deleted = false;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const seen = local?.get(p, op.key);
      const stored = seen !== undefined ? seen.after : this.record(p, op.key);
      if (stored === UNKNOWN) return NEEDS_IO;
      const live = isLive(stored, wallMs) ? stored : undefined;
      const currentVersion = live?.version ?? 0;
      if (op.ifVersion !== undefined && op.ifVersion !== currentVersion) {
        return {
          ok: false,
          code: 'CONDITION_FAILED',
          message: `key ${describeKey(op.key)} is at version ${currentVersion}, not ${op.ifVersion}${ops.length > 1 ? ` (batch op ${i}; nothing in the batch was applied)` : ''}`,
          data: { partition: p, currentVersion },
        };
      }
      const before = seen !== undefined ? seen.before : stored;
      let after: KvRecord | undefined;
      if (op.op === 'put') {
        after =
          op.ttlMs === undefined
            ? { value: op.value, version: currentVersion + 1, createRevision: live?.createRevision ?? index, modRevision: index }
            : { value: op.value, version: currentVersion + 1, createRevision: live?.createRevision ?? index, modRevision: index, expiresAtMs: wallMs + op.ttlMs };
        lastPut = after;
      } else if (live !== undefined) deleted = true;
      if (local !== undefined) local.set(p, op.key, { before, after });
      else single = { key: op.key, before, after };
    }
    if (local !== undefined) for (const { key, value } of local.entries()) this.stage(p, index, key, value.before, value.after, effects);
    else this.stage(p, index, single!.key, single!.before, single!.after, effects);
    let result: WriteResult;
    if (kind === 'put') {
      const r = lastPut!;
      result = { version: r.version, createRevision: r.createRevision, modRevision: r.modRevision };
    } else if (kind === 'delete') result = { deleted, revision: index };
    else result = { revision: index };
    return { ok: true, result };
  }

  private stage(p: GroupId, index: number, key: Uint8Array, before: KvRecordMeta | undefined, after: KvRecord | undefined, effects: ApplyEffects): void {
    // A watch event lives as long as the log holds its entry: it shares the value cache's copy of
    // the key when there is one (an update of a cached key) instead of keeping the command's view.
    const eventKey = this.kv.cachedKey(p, key) ?? key;
    if (after !== undefined) {
      this.put(p, key, after);
      effects.events.push({ type: 'put', partition: p, key: eventKey, value: after.value, version: after.version, modRevision: index });
      if (after.expiresAtMs !== undefined) effects.expiring.push({ key, modRevision: index, expiresAtMs: after.expiresAtMs });
      else if (before?.expiresAtMs !== undefined) effects.unexpiring.push(key);
    } else if (before !== undefined) {
      this.del(p, key);
      effects.events.push({ type: 'delete', partition: p, key: eventKey, version: 0, modRevision: index });
      if (before.expiresAtMs !== undefined) effects.unexpiring.push(key);
    }
  }
}

function describeKey(key: Uint8Array): string {
  const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
