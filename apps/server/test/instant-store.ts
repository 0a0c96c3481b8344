/**
 * A Store facade that answers at once from memory (one partition's worth of semantics: versions
 * and revisions, no Raft), for measuring and testing the request path on its own: the request-path
 * benchmark and the api-server tests serve the real router over it.
 */
import type { KvRecord, KvService } from '@ringkv/multiraft';
import { nodeId, toHex } from '@ringkv/stdx';

const PARTITIONS = 16;

function unsupported(): never {
  throw new Error('not supported by the instant store');
}

export class InstantStore implements KvService {
  readonly nodeId = nodeId(1);
  readonly partitionCount = PARTITIONS;
  private readonly records = new Map<string, KvRecord>();
  private revision = 0;
  /** Writes that reached the Store (bad input must never get here). */
  writes = 0;

  partitionOf(key: Uint8Array): number {
    return (key[0] ?? 0) % PARTITIONS;
  }
  apiAddressOf(): string | undefined {
    return undefined;
  }
  async get(key: Uint8Array) {
    return { partition: this.partitionOf(key), record: this.records.get(toHex(key)) ?? null, revision: this.revision };
  }
  async put(request: { key: Uint8Array; value: KvRecord['value'] }) {
    this.writes++;
    const id = toHex(request.key);
    const current = this.records.get(id);
    this.revision++;
    const record: KvRecord = { value: request.value, version: (current?.version ?? 0) + 1, createRevision: current?.createRevision ?? this.revision, modRevision: this.revision };
    this.records.set(id, record);
    return { version: record.version, createRevision: record.createRevision, modRevision: record.modRevision };
  }
  delete = unsupported;
  writeBatch = unsupported;
  getMany = unsupported;
  scanPartition = unsupported;
  watch = unsupported;
  status = unsupported;
  placement = unsupported;
  health() {
    return { ok: true, nodeId: 1, partitionsHosted: PARTITIONS, partitionsWithLeader: PARTITIONS, partitionsLed: PARTITIONS };
  }
}
