export * from './interfaces';
export * from './errors';
export type { StorageDb } from './db';
export { openDiskDb, openMemoryDb } from './db';
export { logEntrySizeBytes } from './group-log';
export type { LogEngineStats, OpenLogEngineOptions } from './log-engine';
export { LevelRaftLogEngine, openLogEngine, openMemoryLogEngine } from './log-engine';
export type { KvEngineOptions, OpenKvEngineOptions } from './kv-engine';
export { DEFAULT_CACHE_SIZE_BYTES, LevelKvEngine, openKvEngine, openMemoryKvEngine } from './kv-engine';
export {
  CLIENT_ID_SIZE_BYTES_MAX,
  EXPORT_CHUNK_SIZE_BYTES_MAX,
  EXPORT_CHUNK_SIZE_BYTES_MIN,
  IMPORT_SIZE_BYTES_MAX,
  SCAN_LIMIT_MAX,
  SESSION_ANSWER_SIZE_BYTES_MAX,
  valueSizeBytes,
} from './limits';
export {
  MsgpackReader,
  arrayHeaderSizeBytes,
  binHeaderSizeBytes,
  binSizeBytes,
  numberSizeBytes,
  strHeaderSizeBytes,
  uintSizeBytes,
  writeArrayHeader,
  writeBin,
  writeBinHeader,
  writeNumber,
  writeStrHeader,
  writeUint,
  writeUtf8,
} from './kv-msgpack';
export { keySlot } from './key-slot';
export type { OpenSegmentLogOptions, SegmentLogOptions, SegmentLogStats } from './segment-log/engine';
export { DEFAULT_SEGMENT_BYTES, SegmentRaftLogEngine, openSegmentLogEngine, segmentName } from './segment-log/engine';
export type { SegmentDirectory, SegmentFile } from './segment-log/files';
export { DiskSegmentDirectory, MemorySegmentDirectory, SegmentFileImage } from './segment-log/files';
export { copyLogs } from './segment-log/migrate';
