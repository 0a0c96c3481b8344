import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { parseCommandLine } from '../src/config/cli';
import { envName, settingsFromEnv } from '../src/config/server-config';
import { parseHostPort } from '../src/config/address';
import { formatInitialCluster, parseInitialCluster } from '../src/config/initial-cluster';

const CLUSTER = '1=127.0.0.1:7001/127.0.0.1:8001,2=127.0.0.1:7002/127.0.0.1:8002,3=127.0.0.1:7003/127.0.0.1:8003';
const noFile = (path: string): string => {
  throw new Error(`ENOENT: ${path}`);
};

describe('server settings', () => {
  it('defaults listen addresses to the node\'s own entry in --initial-cluster', () => {
    const { config } = parseCommandLine(['--id', '2', '--data-dir', '/d', '--initial-cluster', CLUSTER], {}, noFile);
    expect(config.id).toBe(2);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8002 });
    expect(config.peerListen).toEqual({ host: '127.0.0.1', port: 7002 });
    expect(config.partitions).toBe(16);
    expect(config.replicationFactor).toBe(3);
    expect(config.clusterId).toBe('ringkv');
    expect(config.members.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(config.logMemoryMb).toBe(256);
  });

  it('takes the Raft logs\' memory budget from --log-memory-mb, RINGKV_LOG_MEMORY_MB or the file, within 16 MiB-1 TiB', () => {
    const base = ['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER];
    expect(parseCommandLine([...base, '--log-memory-mb', '64'], {}, noFile).config.logMemoryMb).toBe(64);
    expect(parseCommandLine(base, { RINGKV_LOG_MEMORY_MB: '1024' }, noFile).config.logMemoryMb).toBe(1024);
    expect(parseCommandLine([...base, '--config', '/c.json'], {}, () => JSON.stringify({ logMemoryMb: 32 })).config.logMemoryMb).toBe(32);
    expect(() => parseCommandLine([...base, '--log-memory-mb', '8'], {}, noFile)).toThrow('--log-memory-mb must be an integer between 16');
  });

  it('sizes the value cache from --cache-mb, RINGKV_CACHE_MB or the file, and refuses budgets past the heap', () => {
    const base = ['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER];
    expect(parseCommandLine(base, {}, noFile).config.cacheMb).toBe(64);
    expect(parseCommandLine([...base, '--cache-mb', '0'], {}, noFile).config.cacheMb).toBe(0);
    expect(parseCommandLine(base, { RINGKV_CACHE_MB: '512' }, noFile).config.cacheMb).toBe(512);
    expect(parseCommandLine([...base, '--config', '/c.json'], {}, () => JSON.stringify({ cacheMb: 8 })).config.cacheMb).toBe(8);
    expect(() => parseCommandLine([...base, '--cache-mb', '-1'], {}, noFile)).toThrow('--cache-mb must be an integer between 0');
    // This process's heap is what the server's would be (same flags): ask for more than it holds.
    expect(() => parseCommandLine([...base, '--cache-mb', String(1024 * 1024)], {}, noFile)).toThrow(/add up to more than this process's JavaScript heap .*max-old-space-size=/);
  });

  it('takes flags over environment over config file over defaults', () => {
    const file = JSON.stringify({ id: 1, dataDir: '/from-file', initialCluster: CLUSTER, partitions: 8, clusterId: 'file', tickMs: 50 });
    const env = { RINGKV_DATA_DIR: '/from-env', RINGKV_PARTITIONS: '32', RINGKV_CONFIG: '/etc/ringkv.json' };
    const { config } = parseCommandLine(['--partitions', '64'], env, (path) => {
      expect(path).toBe('/etc/ringkv.json');
      return file;
    });
    expect(config.partitions).toBe(64); // flag
    expect(config.dataDir).toBe('/from-env'); // env over file
    expect(config.clusterId).toBe('file'); // file over default
    expect(config.tickMs).toBe(50);
    expect(config.replicationFactor).toBe(3); // default
    // --config on the command line beats RINGKV_CONFIG.
    const other = parseCommandLine(['--config', '/other.json'], {}, (path) => (path === '/other.json' ? file : noFile(path)));
    expect(other.config.dataDir).toBe('/from-file');
  });

  it('names every environment variable RINGKV_<SETTING>', () => {
    expect(envName('replicationFactor')).toBe('RINGKV_REPLICATION_FACTOR');
    expect(settingsFromEnv({ RINGKV_INITIAL_CLUSTER: 'x', RINGKV_ID: '3', OTHER: 'y' })).toEqual({ initialCluster: 'x', id: '3' });
  });

  it.each([
    [['--data-dir', '/d', '--initial-cluster', CLUSTER], '--id is required'],
    [['--id', '1', '--initial-cluster', CLUSTER], '--data-dir is required'],
    [['--id', '1', '--data-dir', '/d'], '--initial-cluster is required'],
    [['--id', '4', '--data-dir', '/d', '--initial-cluster', CLUSTER], 'not one of the members'],
    [['--id', 'one', '--data-dir', '/d', '--initial-cluster', CLUSTER], 'not a positive integer'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--partitions', '0'], '--partitions must be an integer between 1'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--partitions', '3.5'], '--partitions must be an integer'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--partitions', '12'], '--partitions must be a power of two'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--replication-factor', '5'], 'more than the 3 members'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--cluster-id', 'a b'], '--cluster-id'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--listen', 'localhost'], 'is not host:port'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', CLUSTER, '--log-level', 'loud'], '--log-level must be one of'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', '1=127.0.0.1:7001'], 'is not id=peerHost:peerPort/apiHost:apiPort'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', '1=a:1/a:2,1=b:1/b:2'], 'lists node 1 twice'],
    [['--id', '1', '--data-dir', '/d', '--initial-cluster', '1=a:1/a:99999'], 'out of range'],
    [['--config', '/missing.json'], 'cannot read config file /missing.json'],
  ])('rejects %j with a message saying what to fix', (argv, message) => {
    expect(() => parseCommandLine(argv, {}, noFile)).toThrow(message);
  });

  it('rejects a config file that is not JSON or holds unknown settings', () => {
    expect(() => parseCommandLine(['--config', 'f'], {}, () => '{ nope')).toThrow('config file f is not valid JSON');
    expect(() => parseCommandLine(['--config', 'f'], {}, () => '{"dataDirectory": "/d"}')).toThrow('unknown setting "dataDirectory"');
  });

  it('reports unknown flags as usage errors', () => {
    expect(() => parseCommandLine(['--nope'], {}, noFile)).toThrow(CommanderError);
  });

  it('round-trips the member list and parses bracketed IPv6', () => {
    expect(formatInitialCluster(parseInitialCluster(CLUSTER))).toBe(CLUSTER);
    expect(parseHostPort('[::1]:7001', 'x')).toEqual({ host: '::1', port: 7001 });
  });
});
