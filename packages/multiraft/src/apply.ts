/**
 * The state machine: what a committed command does to a partition. One ApplyRound stages the
 * commands of every partition applied in a round into ONE KvApplyBatch; an overlay of what the
 * round already changed makes later commands in the round see earlier ones.
 *
 * Decisions use only the command and the stored state (the command's wallMs for time), so every
 * replica reaches the same state and the same answers.
 */
import type { GroupId } from '@ringkv/stdx';
import { groupId, toHex } from '@ringkv/stdx';
import type { KvApplyBatch, KvEngine, KvRecord, SessionRecord } from '@ringkv/storage';
import type { Answer, Command, CommandOp, WriteResult } from './commands';
import { decodeAnswer, encodeAnswer } from './commands';
import type { WatchEvent } from './facade';

export interface ApplyEffects {
  /** Changes for watchers, in order. */
  readonly events: WatchEvent[];
  /** Records written with a TTL (for the expiry index). */
  readonly expiring: Array<{ key: Uint8Array; modRevision: number; expiresAtMs: number }>;
  /** Keys whose TTL record went away (deleted or overwritten). */
  readonly unexpiring: Uint8Array[];
}

function isLive(record: KvRecord | undefined, nowMs: number): record is KvRecord {
  return record !== undefined && (record.expiresAtMs === undefined || record.expiresAtMs > nowMs);
}

export class ApplyRound {
  readonly batch: KvApplyBatch;
  private readonly records = new Map<string, KvRecord | null>();
  private readonly sessions = new Map<string, SessionRecord | null>();

  constructor(
    private readonly kv: KvEngine,
    private readonly sessionTtlMs: number,
  ) {
    this.batch = kv.newApplyBatch();
  }

  private async record(partition: GroupId, key: Uint8Array): Promise<KvRecord | undefined> {
    const k = `${partition}/${toHex(key)}`;
    const staged = this.records.get(k);
    if (staged !== undefined) return staged ?? undefined;
    return this.kv.get(partition, key);
  }

  private async session(partition: GroupId, clientId: string): Promise<SessionRecord | undefined> {
    const k = `${partition}/${clientId}`;
    const staged = this.sessions.get(k);
    if (staged !== undefined) return staged ?? undefined;
    return this.kv.getSession(partition, clientId);
  }

  private put(partition: GroupId, key: Uint8Array, record: KvRecord): void {
    this.records.set(`${partition}/${toHex(key)}`, record);
    this.batch.put(partition, key, record);
  }

  private del(partition: GroupId, key: Uint8Array): void {
    this.records.set(`${partition}/${toHex(key)}`, null);
    this.batch.delete(partition, key);
  }

  private setSession(partition: GroupId, clientId: string, session: SessionRecord): void {
    this.sessions.set(`${partition}/${clientId}`, session);
    this.batch.setSession(partition, clientId, session);
  }

  /** Applies one command at `index`; returns the answer for a client write. */
  async apply(partition: number, index: number, command: Command, effects: ApplyEffects): Promise<Answer | undefined> {
    const p = groupId(partition);
    switch (command.type) {
      case 'write':
        return this.applyWrite(p, index, command, effects);
      case 'expire':
        for (const { key, modRevision } of command.keys) {
          const current = await this.record(p, key);
          // Only the record that expired: a key rewritten since keeps its new value.
          if (current === undefined || current.modRevision !== modRevision || isLive(current, command.wallMs)) continue;
          this.del(p, key);
          effects.unexpiring.push(key);
          effects.events.push({ type: 'delete', partition, key, version: 0, modRevision: index });
        }
        return undefined;
      case 'expireSessions': {
        const stored = await this.kv.listSessions(p);
        const all = new Map(stored.map((s) => [s.clientId, s.session as SessionRecord | null]));
        for (const [k, s] of this.sessions) if (k.startsWith(`${p}/`)) all.set(k.slice(`${p}/`.length), s);
        for (const [clientId, s] of all) {
          if (s !== null && s.lastSeenMs + this.sessionTtlMs <= command.wallMs) {
            this.sessions.set(`${p}/${clientId}`, null);
            this.batch.deleteSession(p, clientId);
          }
        }
        return undefined;
      }
    }
  }

  private async applyWrite(p: GroupId, index: number, command: Extract<Command, { type: 'write' }>, effects: ApplyEffects): Promise<Answer> {
    const session = await this.session(p, command.clientId);
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
    const answer = await this.applyOps(p, index, command.wallMs, command.kind, command.ops, effects);
    this.setSession(p, command.clientId, { lastSeq: command.seq, answer: encodeAnswer(answer), lastSeenMs: command.wallMs });
    return answer;
  }

  /** All ops or none: conditions are checked against the state as the earlier ops leave it. */
  private async applyOps(
    p: GroupId,
    index: number,
    wallMs: number,
    kind: Extract<Command, { type: 'write' }>['kind'],
    ops: readonly CommandOp[],
    effects: ApplyEffects,
  ): Promise<Answer> {
    const local = new Map<string, { key: Uint8Array; before: KvRecord | undefined; after: KvRecord | undefined }>();
    let lastPut: KvRecord | undefined;
    let deleted = false;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const hex = toHex(op.key);
      const seen = local.get(hex);
      const stored = seen !== undefined ? seen.after : await this.record(p, op.key);
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
      if (op.op === 'put') {
        const record: KvRecord = {
          value: op.value,
          version: currentVersion + 1,
          createRevision: live?.createRevision ?? index,
          modRevision: index,
          ...(op.ttlMs === undefined ? {} : { expiresAtMs: wallMs + op.ttlMs }),
        };
        local.set(hex, { key: op.key, before, after: record });
        lastPut = record;
      } else {
        if (live !== undefined) deleted = true;
        local.set(hex, { key: op.key, before, after: undefined });
      }
    }
    for (const { key, before, after } of local.values()) {
      if (after !== undefined) {
        this.put(p, key, after);
        effects.events.push({ type: 'put', partition: p, key, value: after.value, version: after.version, modRevision: index });
        if (after.expiresAtMs !== undefined) effects.expiring.push({ key, modRevision: index, expiresAtMs: after.expiresAtMs });
        else if (before?.expiresAtMs !== undefined) effects.unexpiring.push(key);
      } else if (before !== undefined) {
        this.del(p, key);
        effects.events.push({ type: 'delete', partition: p, key, version: 0, modRevision: index });
        if (before.expiresAtMs !== undefined) effects.unexpiring.push(key);
      }
    }
    let result: WriteResult;
    if (kind === 'put') {
      const r = lastPut!;
      result = { version: r.version, createRevision: r.createRevision, modRevision: r.modRevision };
    } else if (kind === 'delete') result = { deleted, revision: index };
    else result = { revision: index };
    return { ok: true, result };
  }
}

function describeKey(key: Uint8Array): string {
  const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
