export * from './types';
export { RawNode, type RaftConfig } from './rawnode';
export { encodeConfChange, decodeConfChange } from './confchange/codec';
export {
  ProposalDroppedError,
  CompactedError,
  UnavailableError,
  SnapshotTemporarilyUnavailableError,
  SnapshotOutOfDateError,
  ConfChangeError,
} from './errors';
export { MemoryStorage } from './storage-memory';
