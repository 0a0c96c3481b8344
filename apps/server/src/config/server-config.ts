/**
 * Everything a node needs to start, merged from four sources with a fixed precedence:
 * command-line flags > RINGKV_* environment variables > the JSON config file > defaults.
 * Each source is first turned into the same `RawSettings` (strings or numbers, all optional), so
 * the merge and the validation are one code path and every error names where a value came from.
 */
import { getHeapStatistics } from 'node:v8';
import type { HostPort } from './address';
import { parseHostPort } from './address';
import type { Member } from './initial-cluster';
import { parseInitialCluster, parseNodeId } from './initial-cluster';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  readonly id: number;
  readonly dataDir: string;
  /** Where this node serves HTTP + WebSocket (defaults to its API address in the cluster list). */
  readonly listen: HostPort;
  /** Where this node accepts peer connections (defaults to its peer address in the cluster list). */
  readonly peerListen: HostPort;
  readonly members: readonly Member[];
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly clusterId: string;
  readonly logLevel: LogLevel;
  /** One Raft tick; elections take 10-20 ticks. */
  readonly tickMs: number;
  /** How long a graceful stop waits for leaderships to move away. */
  readonly shutdownHandoffMs: number;
  /** MiB the in-memory Raft logs of all hosted partitions may hold together (compaction keeps them under). */
  readonly logMemoryMb: number;
  /** MiB of hot values this node keeps in memory in front of LevelDB (all partitions together). */
  readonly cacheMb: number;
}

/** The settings one source may give; every field is optional and still unvalidated. */
export interface RawSettings {
  id?: string | number;
  dataDir?: string;
  listen?: string;
  peerListen?: string;
  initialCluster?: string;
  partitions?: string | number;
  replicationFactor?: string | number;
  clusterId?: string;
  logLevel?: string;
  tickMs?: string | number;
  shutdownHandoffMs?: string | number;
  logMemoryMb?: string | number;
  cacheMb?: string | number;
}

export const SETTING_NAMES: ReadonlyArray<keyof RawSettings> = [
  'id',
  'dataDir',
  'listen',
  'peerListen',
  'initialCluster',
  'partitions',
  'replicationFactor',
  'clusterId',
  'logLevel',
  'tickMs',
  'shutdownHandoffMs',
  'logMemoryMb',
  'cacheMb',
];

/** RINGKV_DATA_DIR for dataDir, and so on. */
export function envName(setting: keyof RawSettings): string {
  return `RINGKV_${setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const out: RawSettings = {};
  for (const name of SETTING_NAMES) {
    const value = env[envName(name)];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** The config file is JSON with the same names as the flags, in camelCase. */
export function settingsFromFile(text: string, path: string): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`config file ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`config file ${path} must hold a JSON object`);
  const out: RawSettings = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(SETTING_NAMES as readonly string[]).includes(key)) {
      throw new Error(`config file ${path}: unknown setting "${key}" (known: ${SETTING_NAMES.join(', ')})`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`config file ${path}: "${key}" must be a string or a number`);
    (out as Record<string, string | number>)[key] = value;
  }
  return out;
}

export const DEFAULTS = {
  partitions: 16,
  replicationFactor: 3,
  clusterId: 'ringkv',
  logLevel: 'info' as LogLevel,
  tickMs: 100,
  shutdownHandoffMs: 3_000,
  logMemoryMb: 256,
  cacheMb: 64,
};

export const PARTITIONS_MAX = 4096;

function integer(value: string | number, what: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${what} must be an integer between ${min} and ${max}, got "${value}"`);
  return n;
}

/** Merges the sources (earlier wins) and validates the result; throws an Error a user can act on. */
export function resolveServerConfig(flags: RawSettings, env: RawSettings, file: RawSettings, heapLimitBytes = getHeapStatistics().heap_size_limit): ServerConfig {
  const pick = <K extends keyof RawSettings>(name: K): RawSettings[K] => flags[name] ?? env[name] ?? file[name];
  const id = pick('id');
  if (id === undefined) throw new Error('--id is required (this node\'s id, one of the ids in --initial-cluster)');
  const nodeId = parseNodeId(String(id), '--id');
  const dataDir = pick('dataDir');
  if (dataDir === undefined || dataDir.trim() === '') throw new Error('--data-dir is required (where this node keeps its data; reuse it to restart with the same data)');
  const initialCluster = pick('initialCluster');
  if (initialCluster === undefined) {
    throw new Error('--initial-cluster is required: every member as id=peerHost:peerPort/apiHost:apiPort, e.g. 1=127.0.0.1:7001/127.0.0.1:8001,2=...');
  }
  const members = parseInitialCluster(initialCluster);
  const self = members.find((m) => m.id === nodeId);
  if (self === undefined) throw new Error(`--id ${nodeId} is not one of the members in --initial-cluster (${members.map((m) => m.id).join(', ')})`);
  const listenText = pick('listen');
  const peerListenText = pick('peerListen');
  const partitions = integer(pick('partitions') ?? DEFAULTS.partitions, '--partitions', 1, PARTITIONS_MAX);
  // The ring maps keys to partitions by masking a hash, so the count is a power of two.
  if ((partitions & (partitions - 1)) !== 0) throw new Error(`--partitions must be a power of two (1, 2, 4, ... ${PARTITIONS_MAX}), got ${partitions}`);
  const replicationFactor = integer(pick('replicationFactor') ?? Math.min(DEFAULTS.replicationFactor, members.length), '--replication-factor', 1, 7);
  if (replicationFactor > members.length) {
    throw new Error(`--replication-factor ${replicationFactor} is more than the ${members.length} members in --initial-cluster`);
  }
  const clusterId = pick('clusterId') ?? DEFAULTS.clusterId;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(clusterId)) throw new Error(`--cluster-id "${clusterId}" must be 1-64 letters, digits, '.', '_' or '-'`);
  const logLevel = pick('logLevel') ?? DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const config: ServerConfig = {
    id: nodeId,
    dataDir,
    listen: listenText === undefined ? self.api : parseHostPort(listenText, '--listen'),
    peerListen: peerListenText === undefined ? self.peer : parseHostPort(peerListenText, '--peer-listen'),
    members,
    partitions,
    replicationFactor,
    clusterId,
    logLevel: logLevel as LogLevel,
    tickMs: integer(pick('tickMs') ?? DEFAULTS.tickMs, '--tick-ms', 5, 10_000),
    shutdownHandoffMs: integer(pick('shutdownHandoffMs') ?? DEFAULTS.shutdownHandoffMs, '--shutdown-handoff-ms', 0, 60_000),
    logMemoryMb: integer(pick('logMemoryMb') ?? DEFAULTS.logMemoryMb, '--log-memory-mb', 16, 1024 * 1024),
    cacheMb: integer(pick('cacheMb') ?? DEFAULTS.cacheMb, '--cache-mb', 0, 1024 * 1024),
  };
  checkMemoryBudget(config, heapLimitBytes);
  return config;
}

/**
 * The value cache and the in-memory Raft logs live in the JavaScript heap, whose size Node fixes
 * at start: budgets that add up past it would end in an out-of-memory crash once they fill, so
 * they are refused at start, with the way to give the process a larger heap (half the heap or
 * less leaves room for everything else).
 */
function checkMemoryBudget(config: ServerConfig, heapLimitBytes: number): void {
  const heapMb = Math.floor(heapLimitBytes / (1024 * 1024));
  const budgetMb = config.cacheMb + config.logMemoryMb;
  if (budgetMb > heapMb) {
    throw new Error(
      `--cache-mb ${config.cacheMb} and --log-memory-mb ${config.logMemoryMb} add up to more than this process's JavaScript heap (${heapMb} MiB): ` +
        `lower them, or give node a larger heap (NODE_OPTIONS=--max-old-space-size=${budgetMb * 2})`,
    );
  }
}
