export * from './errors';
export * from './transport';
export * from './facade';
export { Store, META_PARTITION } from './store';
export type { ClusterConfig, ClusterNode, StoreLogger, StoreOptions } from './store';
export { DEFAULT_STORE_CONFIG } from './config';
export type { StoreConfig } from './config';
export { MemoryNetwork } from './memory-transport';
export type { MemoryTransport } from './memory-transport';
