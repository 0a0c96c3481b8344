/**
 * A 3-member etcd cluster on loopback from Debian's `etcd-server` package (etcd 3.4), started
 * with temporary data directories and stopped (and its directories removed) when done; and a
 * driver over the `etcd3` npm client.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { KvDriver } from './driver';
import { StartFailed, freePorts, stopProcess, waitUntil } from './processes';

export const ETCD_BINARY = process.env.ETCD_BINARY ?? '/usr/bin/etcd';

export interface EtcdCluster {
  readonly clientUrls: readonly string[];
  readonly pids: readonly number[];
  readonly version: string;
  stop(): Promise<void>;
}

export async function etcdVersion(binary = ETCD_BINARY): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const match = /etcd Version: (\S+)/.exec(out);
      if (match === null) reject(new Error(`cannot read the etcd version from: ${out}`));
      else resolve(match[1]!);
    });
  });
}

export async function startEtcdCluster(members = 3, binary = ETCD_BINARY): Promise<EtcdCluster> {
  const version = await etcdVersion(binary);
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-bench-etcd-'));
  const ports = await freePorts(members * 2);
  const names = Array.from({ length: members }, (_, i) => `m${i + 1}`);
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[members + i]}`;
  const clientUrl = (i: number): string => `http://127.0.0.1:${ports[i]}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const children: ChildProcess[] = [];
  const logs: string[] = names.map(() => '');
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopProcess(c, 10_000)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    names.forEach((name, i) => {
      const child = spawn(
        binary,
        [
          `--name=${name}`,
          `--data-dir=${join(dir, name)}`,
          `--listen-client-urls=${clientUrl(i)}`,
          `--advertise-client-urls=${clientUrl(i)}`,
          `--listen-peer-urls=${peerUrl(i)}`,
          `--initial-advertise-peer-urls=${peerUrl(i)}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          `--initial-cluster-token=bench-${ports[0]}`,
          '--logger=zap',
          '--log-level=error',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr!.on('data', (d: Buffer) => {
        logs[i] = (logs[i]! + d.toString()).slice(-4000);
      });
      children.push(child);
    });
    const client = new Etcd3({ hosts: names.map((_, i) => clientUrl(i)), dialTimeout: 2_000 });
    try {
      await waitUntil(20_000, async () => {
        for (const child of children) if (child.exitCode !== null) throw new StartFailed(`etcd exited with ${child.exitCode}: ${logs.join('\n')}`);
        await client.put('bench/ready').value('1');
        return true;
      });
    } finally {
      client.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { clientUrls: names.map((_, i) => clientUrl(i)), pids: children.map((c) => c.pid ?? 0), version, stop };
}

export function etcdDriver(cluster: EtcdCluster): KvDriver {
  const client = new Etcd3({ hosts: [...cluster.clientUrls] });
  return {
    name: `etcd ${cluster.version}`,
    serverPids: cluster.pids,
    async put(key, value) {
      await client.put(key).value(value);
    },
    async get(key) {
      // etcd reads are linearizable unless asked to be serializable.
      await client.get(key).string();
    },
    async close() {
      client.close();
    },
  };
}
