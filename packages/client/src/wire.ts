/**
 * The requests and answers as they travel between the SDK and a node's tRPC api, derived from the
 * api's router type (`import type` only: no server code reaches the SDK or a browser bundle). A
 * change to the api's shapes is a compile error here, not a surprise at run time.
 */
import type { AppRouter } from '@ringkv/api';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;

export type QueryPath = 'kv.get' | 'kv.getMany' | 'kv.scan' | 'kv.scanPartition' | 'cluster.status' | 'cluster.placement' | 'cluster.health';
export type MutationPath = 'kv.put' | 'kv.delete' | 'kv.writeBatch';
export type ProcedurePath = QueryPath | MutationPath;

const MUTATIONS: ReadonlySet<string> = new Set<MutationPath>(['kv.put', 'kv.delete', 'kv.writeBatch']);

export function isMutation(path: ProcedurePath): path is MutationPath {
  return MUTATIONS.has(path);
}

export type Consistency = 'linearizable' | 'lease' | 'stale';

export type WirePlacement = Outputs['cluster']['placement'];
export type ClusterStatus = Outputs['cluster']['status'];
export type ClusterHealth = Outputs['cluster']['health'];

export type WireGetInput = Inputs['kv']['get'];
export type WireGetOutput = Outputs['kv']['get'];
export type WireEntry = NonNullable<WireGetOutput['entry']>;
export type WireGetManyInput = Inputs['kv']['getMany'];
export type WireGetManyOutput = Outputs['kv']['getMany'];
export type WirePutInput = Inputs['kv']['put'];
export type WirePutOutput = Outputs['kv']['put'];
export type WireDeleteInput = Inputs['kv']['delete'];
export type WireDeleteOutput = Outputs['kv']['delete'];
export type WireWriteBatchInput = Inputs['kv']['writeBatch'];
export type WireBatchOp = WireWriteBatchInput['ops'][number];
export type WireWriteBatchOutput = Outputs['kv']['writeBatch'];
export type WireScanInput = Inputs['kv']['scan'];
export type WireScanOutput = Outputs['kv']['scan'];
export type WireScanPartitionInput = Inputs['kv']['scanPartition'];
export type WireScanPartitionOutput = Outputs['kv']['scanPartition'];
export type WireWatchInput = Inputs['kv']['watch'];
export type WireWatchEvent = Outputs['kv']['watch'] extends AsyncIterable<infer E> ? E : never;
