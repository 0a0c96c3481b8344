/**
 * The cluster's members as one string: `id=peerHost:peerPort/apiHost:apiPort,...`, e.g.
 * `1=127.0.0.1:7001/127.0.0.1:8001,2=127.0.0.1:7002/127.0.0.1:8002`. The peer address carries
 * Raft traffic between nodes; the API address is where clients (and nodes forwarding a request
 * to a partition's leader) reach a node.
 */
import type { HostPort } from './address';
import { formatHostPort, parseHostPort } from './address';

export interface Member {
  readonly id: number;
  readonly peer: HostPort;
  readonly api: HostPort;
}

export const MEMBERS_MAX = 1000;

export function parseInitialCluster(text: string): Member[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new Error('--initial-cluster is empty; list every member as id=peerHost:peerPort/apiHost:apiPort, comma-separated');
  if (parts.length > MEMBERS_MAX) throw new Error(`--initial-cluster lists ${parts.length} members; at most ${MEMBERS_MAX}`);
  const members: Member[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    const slash = part.indexOf('/');
    if (eq < 0 || slash < 0) throw new Error(`--initial-cluster: "${part}" is not id=peerHost:peerPort/apiHost:apiPort (e.g. 1=127.0.0.1:7001/127.0.0.1:8001)`);
    const id = parseNodeId(part.slice(0, eq), '--initial-cluster');
    members.push({
      id,
      peer: parseHostPort(part.slice(eq + 1, slash), `--initial-cluster member ${id} peer address`),
      api: parseHostPort(part.slice(slash + 1), `--initial-cluster member ${id} API address`),
    });
  }
  const seen = new Set<number>();
  for (const m of members) {
    if (seen.has(m.id)) throw new Error(`--initial-cluster lists node ${m.id} twice`);
    seen.add(m.id);
  }
  return members.sort((a, b) => a.id - b.id);
}

export function formatInitialCluster(members: readonly Member[]): string {
  return members.map((m) => `${m.id}=${formatHostPort(m.peer)}/${formatHostPort(m.api)}`).join(',');
}

export function parseNodeId(text: string, what: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new Error(`${what}: node id "${text}" is not a positive integer`);
  const id = Number(trimmed);
  if (id < 1 || id > 0xffffffff) throw new Error(`${what}: node id ${id} must be between 1 and 4294967295`);
  return id;
}
