/**
 * The `ringkv-server` command line (commander). Flags carry no defaults here: a flag that is not
 * given must fall through to the environment, then the config file, then the defaults
 * (server-config.ts), and commander's defaults would mask them.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { RawSettings, ServerConfig } from './server-config';
import { DEFAULTS, LOG_LEVELS, envName, resolveServerConfig, settingsFromEnv, settingsFromFile } from './server-config';

const EXAMPLE = `
Example: a 3-node cluster on one machine (run each line in its own terminal, with --id 1, 2, 3):
  ringkv-server --id 1 --data-dir ./data/node-1 \\
    --initial-cluster 1=127.0.0.1:7001/127.0.0.1:8001,2=127.0.0.1:7002/127.0.0.1:8002,3=127.0.0.1:7003/127.0.0.1:8003

Each member is id=PEER/API: PEER (host:port) carries Raft traffic between nodes, API (host:port)
is where clients connect (HTTP and WebSocket on one port). Every node must be given the same
--initial-cluster, --partitions, --replication-factor and --cluster-id.

Every flag can also come from an environment variable (${envName('dataDir')}, ${envName('initialCluster')}, ...)
or a JSON config file (--config, keys in camelCase: {"id": 1, "dataDir": "./data/node-1", ...}).
Precedence: flags > environment > config file > defaults.

Endpoints: /healthz (process up), /readyz (every partition has a known leader), /metrics
(Prometheus), /trpc (the API over HTTP), and WebSocket on the same port (the SDK uses it).`;

export interface CliResult {
  readonly config: ServerConfig;
}

export function buildProgram(): Command {
  return new Command('ringkv-server')
    .description('Runs one RingKV node: it hosts a Raft replica of every partition placed on it and serves the key-value API.')
    .option('--id <n>', 'this node\'s id (one of the ids in --initial-cluster)')
    .option('--data-dir <path>', 'where this node keeps its data; restart with the same directory to keep it')
    .option('--initial-cluster <members>', 'every member as id=peerHost:peerPort/apiHost:apiPort, comma-separated')
    .option('--listen <host:port>', 'where to serve the API (default: this node\'s API address in --initial-cluster)')
    .option('--peer-listen <host:port>', 'where to accept peer connections (default: this node\'s peer address in --initial-cluster)')
    .option('--partitions <n>', `partitions on the ring, a power of two (default ${DEFAULTS.partitions}); fixed when the cluster is created`)
    .option('--replication-factor <n>', `replicas per partition (default ${DEFAULTS.replicationFactor}, or fewer if there are fewer members)`)
    .option('--cluster-id <name>', `a name all members share; nodes of another cluster are refused (default "${DEFAULTS.clusterId}")`)
    .option('--config <file.json>', 'read settings from a JSON file (flags and environment variables override it)')
    .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default ${DEFAULTS.logLevel})`)
    .option('--tick-ms <ms>', `Raft tick; elections take 10-20 ticks (default ${DEFAULTS.tickMs})`)
    .option('--shutdown-handoff-ms <ms>', `on SIGTERM, how long to wait for leaderships to move away (default ${DEFAULTS.shutdownHandoffMs})`)
    .option('--log-memory-mb <MiB>', `memory the Raft logs of all partitions on this node may hold; each is compacted past its share (default ${DEFAULTS.logMemoryMb})`)
    .option('--cache-mb <MiB>', `memory for hot values in front of LevelDB, all partitions together; 0 turns the cache off (default ${DEFAULTS.cacheMb})`)
    .addHelpText('after', EXAMPLE)
    .showHelpAfterError('(run with --help to see every option)')
    .allowExcessArguments(false);
}

/**
 * Parses argv (without node and script) and the environment into a validated config.
 * Throws CommanderError for --help/--version and usage errors, Error for invalid settings.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CliResult {
  const program = buildProgram().exitOverride();
  program.parse([...argv], { from: 'user' });
  const opts = program.opts<RawSettings & { config?: string }>();
  const flags: RawSettings = {};
  for (const [key, value] of Object.entries(opts)) if (key !== 'config' && value !== undefined) (flags as Record<string, unknown>)[key] = value;
  const envSettings = settingsFromEnv(env);
  const configPath = opts.config ?? env['RINGKV_CONFIG'];
  let fileSettings: RawSettings = {};
  if (configPath !== undefined && configPath !== '') {
    let text: string;
    try {
      text = readFile(configPath);
    } catch (error) {
      throw new Error(`cannot read config file ${configPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    fileSettings = settingsFromFile(text, configPath);
  }
  return { config: resolveServerConfig(flags, envSettings, fileSettings) };
}

export { CommanderError };
