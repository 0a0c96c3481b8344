/** The Store's tunables and limits, with defaults. Every queue and batch has a bound. */
import { assert } from '@ringkv/stdx';

export interface StoreConfig {
  /** One Raft tick. */
  readonly tickMs: number;
  /** Election timeout in ticks (randomized by the core within [n, 2n)). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** A write not applied within this is answered TIMEOUT (its outcome unknown; retry with the same seq). */
  readonly proposalTimeoutMs: number;
  /** A read not served within this is answered TIMEOUT. */
  readonly readTimeoutMs: number;
  /** Writes waiting for their entry to apply, over all partitions. */
  readonly inflightProposalsMax: number;
  /** Bytes of those writes' commands, over all partitions: a flood of large values waits at the
   *  door (a retryable UNAVAILABLE) instead of filling the node's memory. */
  readonly inflightProposalBytesMax: number;
  /** Reads waiting for a ReadIndex round or for apply, over all partitions. */
  readonly pendingReadsMax: number;
  /** Raft: bytes of entries per MsgApp. */
  readonly msgSizeBytesMax: number;
  /** Raft: MsgApps in flight per follower. */
  readonly inflightMsgsMax: number;
  /** Raft: bytes of proposed but uncommitted entries per group. */
  readonly uncommittedSizeBytesMax: number;
  /** A peer frame is split once its messages pass this size. */
  readonly frameSizeBytesSoftMax: number;
  /** Compact a group's log once it holds more entries than this past the applied index... */
  readonly compactionThresholdEntries: number;
  /** ...or more bytes than this. */
  readonly compactionThresholdBytes: number;
  /** Entries kept below the applied index at compaction, for slow followers and watches... */
  readonly compactionRetainEntries: number;
  /** ...and at most this many bytes of them. */
  readonly compactionRetainBytes: number;
  /** The in-memory Raft logs of all hosted partitions together: each partition's log is compacted
   *  once it passes its share of this (or compactionThresholdBytes, whichever is lower). */
  readonly logMemoryBytesMax: number;
  /** Snapshot chunk size on the wire. */
  readonly snapshotChunkBytes: number;
  /** Incoming snapshot transfers assembled at once. */
  readonly snapshotTransfersMax: number;
  /** A client session idle longer than this (log time) is forgotten. */
  readonly sessionTtlMs: number;
  /** How often (log time) the leader proposes forgetting idle sessions. */
  readonly sessionSweepIntervalMs: number;
  /** Keys deleted per background expiry command. */
  readonly expireBatchKeysMax: number;
  /** How often the leader checks whether the ring's preferred leader should take over. */
  readonly leaderBalanceIntervalMs: number;
  /** Watch events kept in memory per partition (on top of the log's own bound). */
  readonly watchHistoryEventsMax: number;
  /** Watchers per node. */
  readonly watchersMax: number;
}

export const DEFAULT_STORE_CONFIG: StoreConfig = {
  tickMs: 100,
  electionTicks: 10,
  heartbeatTicks: 1,
  proposalTimeoutMs: 5_000,
  readTimeoutMs: 5_000,
  inflightProposalsMax: 20_000,
  inflightProposalBytesMax: 256 * 1024 * 1024,
  pendingReadsMax: 50_000,
  msgSizeBytesMax: 1024 * 1024,
  inflightMsgsMax: 256,
  uncommittedSizeBytesMax: 64 * 1024 * 1024,
  frameSizeBytesSoftMax: 4 * 1024 * 1024,
  compactionThresholdEntries: 10_000,
  compactionThresholdBytes: 64 * 1024 * 1024,
  compactionRetainEntries: 1_000,
  compactionRetainBytes: 4 * 1024 * 1024,
  logMemoryBytesMax: 256 * 1024 * 1024,
  snapshotChunkBytes: 512 * 1024,
  snapshotTransfersMax: 8,
  sessionTtlMs: 10 * 60 * 1000,
  sessionSweepIntervalMs: 60 * 1000,
  expireBatchKeysMax: 256,
  leaderBalanceIntervalMs: 2_000,
  watchHistoryEventsMax: 100_000,
  watchersMax: 10_000,
};

export function resolveConfig(partial: Partial<StoreConfig> | undefined): StoreConfig {
  const config = { ...DEFAULT_STORE_CONFIG, ...partial };
  for (const [name, value] of Object.entries(config)) {
    assert(Number.isFinite(value) && value > 0, `store config ${name} must be a positive number, got ${String(value)}`);
  }
  assert(config.heartbeatTicks < config.electionTicks, 'store config: heartbeatTicks must be below electionTicks');
  assert(config.compactionRetainEntries < config.compactionThresholdEntries, 'store config: compactionRetainEntries must be below compactionThresholdEntries');
  assert(config.compactionRetainBytes < config.compactionThresholdBytes, 'store config: compactionRetainBytes must be below compactionThresholdBytes');
  assert(config.inflightProposalBytesMax >= config.msgSizeBytesMax * 8, 'store config: inflightProposalBytesMax must hold at least one largest write (8 x msgSizeBytesMax)');
  return config;
}
