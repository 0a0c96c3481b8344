/**
 * The first frame on every peer connection says who is calling whom in which cluster, so a node
 * from another cluster (or one configured with the wrong ids) is refused before a single Raft
 * message is trusted. The acceptor answers with an ack that carries the refusal reason, so both
 * sides can log why.
 *
 *   hello: magic "RKVP" | u16 version | u32 sender node | u32 expected receiver node | u16 len | cluster id (utf8)
 *   ack:   magic "RKVA" | u16 version | u8 accepted (1/0) | u16 len | reason (utf8)
 */
export const PROTOCOL_VERSION = 1;
const HELLO_MAGIC = 0x524b5650; // "RKVP"
const ACK_MAGIC = 0x524b5641; // "RKVA"
/** Frames before the handshake completes are small; a bigger one is not one of ours. */
export const HANDSHAKE_FRAME_BYTES_MAX = 1024;

export interface Hello {
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly clusterId: string;
}

export interface Ack {
  readonly accepted: boolean;
  readonly reason: string;
}

export function encodeHello(hello: Omit<Hello, 'version'>): Buffer {
  const cluster = Buffer.from(hello.clusterId, 'utf8');
  const out = Buffer.allocUnsafe(16 + cluster.length);
  out.writeUInt32BE(HELLO_MAGIC, 0);
  out.writeUInt16BE(PROTOCOL_VERSION, 4);
  out.writeUInt32BE(hello.from, 6);
  out.writeUInt32BE(hello.to, 10);
  out.writeUInt16BE(cluster.length, 14);
  cluster.copy(out, 16);
  return out;
}

/** Returns the hello, or a string saying why the bytes are not one. */
export function decodeHello(payload: Buffer): Hello | string {
  if (payload.length < 16 || payload.readUInt32BE(0) !== HELLO_MAGIC) return 'the first frame is not a RingKV peer handshake (wrong magic)';
  const length = payload.readUInt16BE(14);
  if (payload.length !== 16 + length) return 'the handshake frame is malformed (cluster id length does not match)';
  return {
    version: payload.readUInt16BE(4),
    from: payload.readUInt32BE(6),
    to: payload.readUInt32BE(10),
    clusterId: payload.subarray(16).toString('utf8'),
  };
}

export function encodeAck(ack: Ack): Buffer {
  const reason = Buffer.from(ack.reason.slice(0, 400), 'utf8');
  const out = Buffer.allocUnsafe(9 + reason.length);
  out.writeUInt32BE(ACK_MAGIC, 0);
  out.writeUInt16BE(PROTOCOL_VERSION, 4);
  out.writeUInt8(ack.accepted ? 1 : 0, 6);
  out.writeUInt16BE(reason.length, 7);
  reason.copy(out, 9);
  return out;
}

export function decodeAck(payload: Buffer): Ack | string {
  if (payload.length < 9 || payload.readUInt32BE(0) !== ACK_MAGIC) return 'the peer did not answer with a RingKV handshake ack';
  const length = payload.readUInt16BE(7);
  if (payload.length !== 9 + length) return 'the handshake ack is malformed';
  return { accepted: payload.readUInt8(6) === 1, reason: payload.subarray(9).toString('utf8') };
}

/** Why the acceptor refuses a hello, or undefined to accept it. */
export function refusalReason(hello: Hello, self: { clusterId: string; nodeId: number; knownPeers: ReadonlySet<number> }): string | undefined {
  if (hello.version !== PROTOCOL_VERSION) return `protocol version ${hello.version} is not supported (this node speaks ${PROTOCOL_VERSION})`;
  if (hello.clusterId !== self.clusterId) return `cluster id "${hello.clusterId}" does not match this node's cluster id "${self.clusterId}"`;
  if (hello.to !== self.nodeId) return `the caller expected node ${hello.to} at this address, but this is node ${self.nodeId} (check --initial-cluster)`;
  if (hello.from === self.nodeId) return `the caller claims this node's own id ${self.nodeId}`;
  if (!self.knownPeers.has(hello.from)) return `node ${hello.from} is not a member of this cluster (members: ${[...self.knownPeers].join(',')})`;
  return undefined;
}
