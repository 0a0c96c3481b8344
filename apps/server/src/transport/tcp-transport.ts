/**
 * PeerTransport over TCP. Each node dials every peer once for its outbound frames and accepts
 * the peers' connections for inbound frames (one connection per direction per pair). Every
 * connection starts with a handshake (handshake.ts). Delivery is best effort, as Raft expects:
 * frames for a peer that is down, or whose queue is full, are dropped and counted, and `send`
 * never throws.
 */
import net from 'node:net';
import type { NodeId } from '@ringkv/stdx';
import type { PeerFrame, PeerTransport } from '@ringkv/multiraft';
import { Backoff } from './backoff';
import { FrameDecoder, FrameTooLargeError, drainFrames, encodeFrameHeader } from './frame-decoder';
import { HANDSHAKE_FRAME_BYTES_MAX, decodeAck, decodeHello, encodeAck, encodeHello, refusalReason } from './handshake';
import type { HostPort } from '../config/address';
import { formatHostPort } from '../config/address';

export interface TransportLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface TcpTransportOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where this node accepts peer connections (port 0: pick one; see `address()`). */
  readonly listen: HostPort;
  /** Every other member's peer address. */
  readonly peers: ReadonlyMap<number, HostPort>;
  readonly logger: TransportLogger;
  /** The largest frame accepted from a peer; a peer announcing more is disconnected. */
  readonly frameSizeBytesMax?: number;
  /** Frames waiting per peer while its socket is busy or connecting; more are dropped. */
  readonly queueFramesMax?: number;
  /** Bytes waiting per peer (our queue plus the socket's buffer); more are dropped. */
  readonly queueBytesMax?: number;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** A connection whose handshake has not completed by then is closed. */
  readonly handshakeTimeoutMs?: number;
  /** Inbound connections open at once (peers dial one each; the rest is strangers and reconnects
   *  not yet noticed closed); more are closed as they arrive. */
  readonly inboundConnectionsMax?: number;
  /** Jitter source for reconnect delays. */
  readonly random?: () => number;
}

export interface TransportStats {
  framesSent: number;
  framesReceived: number;
  framesDropped: number;
  bytesSent: number;
  bytesReceived: number;
  connectionsRefused: number;
  protocolErrors: number;
}

const DEFAULTS = {
  frameSizeBytesMax: 16 * 1024 * 1024,
  queueFramesMax: 1024,
  queueBytesMax: 32 * 1024 * 1024,
  reconnectMinMs: 50,
  reconnectMaxMs: 2_000,
  handshakeTimeoutMs: 5_000,
  inboundConnectionsMax: 1024,
};

const KEEPALIVE_MS = 5_000;

type LinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/** The outbound side to one peer: a socket, its state and a bounded queue. */
class PeerLink {
  state: LinkState = 'idle';
  socket: net.Socket | undefined;
  queue: Buffer[] = [];
  queueBytes = 0;
  timer: NodeJS.Timeout | undefined;
  /** Set once a refusal was logged, so a peer that keeps refusing is not logged every retry. */
  lastRefusal = '';
  /** Whether the last failure was logged (a down peer is logged once, not every retry). */
  downLogged = false;

  constructor(
    readonly id: number,
    readonly address: HostPort,
    readonly backoff: Backoff,
  ) {}
}

export class TcpTransport implements PeerTransport {
  private readonly options: Required<TcpTransportOptions>;
  private readonly links = new Map<number, PeerLink>();
  private readonly inbound = new Set<net.Socket>();
  private readonly knownPeers: ReadonlySet<number>;
  private server: net.Server | undefined;
  private handler: (from: NodeId, frame: PeerFrame) => void = () => undefined;
  private closed = false;
  readonly stats: TransportStats = {
    framesSent: 0,
    framesReceived: 0,
    framesDropped: 0,
    bytesSent: 0,
    bytesReceived: 0,
    connectionsRefused: 0,
    protocolErrors: 0,
  };

  constructor(options: TcpTransportOptions) {
    this.options = { ...DEFAULTS, random: Math.random, ...options };
    this.knownPeers = new Set(options.peers.keys());
    for (const [id, address] of options.peers) {
      if (id === options.nodeId) continue;
      const backoff = new Backoff({ minMs: this.options.reconnectMinMs, maxMs: this.options.reconnectMaxMs, random: this.options.random });
      this.links.set(id, new PeerLink(id, address, backoff));
    }
  }

  /** Starts listening and dialing every peer; resolves once the listener is bound. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    // Connections before their handshake live up to handshakeTimeoutMs: without a bound, anything
    // that can reach the peer port could hold any number of them.
    server.maxConnections = this.options.inboundConnectionsMax;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.logger.error({ err: error }, 'peer listener error'));
    for (const link of this.links.values()) this.connect(link);
  }

  /** The bound peer address (the real port when listening on port 0). */
  address(): HostPort {
    const bound = this.server?.address();
    if (bound === null || bound === undefined || typeof bound === 'string') throw new Error('the peer transport is not listening');
    return { host: bound.address, port: bound.port };
  }

  onReceive(handler: (from: NodeId, frame: PeerFrame) => void): void {
    this.handler = handler;
  }

  isReachable(to: NodeId): boolean {
    return this.links.get(to)?.state === 'open';
  }

  send(to: NodeId, frame: PeerFrame): void {
    const link = this.links.get(to);
    if (link === undefined || this.closed || link.state === 'backoff' || link.state === 'closed') {
      this.stats.framesDropped++;
      return;
    }
    if (frame.length > this.options.frameSizeBytesMax) {
      // The peer would disconnect us for it; dropping here keeps the connection for the rest.
      this.options.logger.error({ peer: to, bytes: frame.length }, 'outbound peer frame over the frame size limit dropped');
      this.stats.framesDropped++;
      return;
    }
    const payload = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const pendingBytes = link.queueBytes + (link.socket?.writableLength ?? 0);
    if (link.queue.length >= this.options.queueFramesMax || pendingBytes + payload.length > this.options.queueBytesMax) {
      this.stats.framesDropped++;
      return;
    }
    if (link.state === 'open' && link.queue.length === 0 && !link.socket!.writableNeedDrain) {
      this.write(link, payload);
      return;
    }
    link.queue.push(payload);
    link.queueBytes += payload.length;
    if (link.state === 'idle') this.connect(link);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) {
      link.state = 'closed';
      if (link.timer !== undefined) clearTimeout(link.timer);
      link.socket?.destroy();
      link.queue = [];
      link.queueBytes = 0;
    }
    for (const socket of this.inbound) socket.destroy();
    this.inbound.clear();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- outbound -----------------------------------------------------------------------------

  private connect(link: PeerLink): void {
    if (this.closed) return;
    link.state = 'connecting';
    const socket = net.connect({ host: link.address.host, port: link.address.port });
    link.socket = socket;
    socket.setNoDelay(true);
    // A peer whose machine vanished without closing the socket is noticed within seconds.
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const decoder = new FrameDecoder(HANDSHAKE_FRAME_BYTES_MAX);
    const handshakeTimer = setTimeout(() => this.linkFailed(link, socket, 'the peer did not answer the handshake in time'), this.options.handshakeTimeoutMs);
    socket.on('connect', () => {
      this.writeRaw(socket, encodeHello({ from: this.options.nodeId, to: link.id, clusterId: this.options.clusterId }));
    });
    socket.on('data', (chunk: Buffer) =>
      drainFrames(
        decoder,
        chunk,
        (payload) => {
          if (link.state !== 'connecting') {
            // After the ack the acceptor never writes; anything else is a protocol error.
            this.stats.protocolErrors++;
            this.linkFailed(link, socket, 'the peer sent data on an outbound connection after the handshake');
            return false;
          }
          clearTimeout(handshakeTimer);
          const ack = decodeAck(payload);
          if (typeof ack === 'string' || !ack.accepted) {
            const reason = typeof ack === 'string' ? ack : ack.reason;
            this.stats.connectionsRefused++;
            if (link.lastRefusal !== reason) this.options.logger.error({ peer: link.id, address: formatHostPort(link.address), reason }, 'peer refused our connection');
            link.lastRefusal = reason;
            link.downLogged = true;
            this.linkFailed(link, socket, reason);
            return false;
          }
          link.state = 'open';
          link.lastRefusal = '';
          link.downLogged = false;
          link.backoff.reset();
          this.options.logger.info({ peer: link.id, address: formatHostPort(link.address) }, 'peer connected');
          this.flush(link);
          return true;
        },
        (error) => {
          this.stats.protocolErrors++;
          this.linkFailed(link, socket, error instanceof Error ? error.message : String(error));
        },
      ),
    );
    socket.on('drain', () => this.flush(link));
    socket.on('error', (error) => this.linkFailed(link, socket, error.message));
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      this.linkFailed(link, socket, 'connection closed');
    });
  }

  /** Drops the link's socket and queue and schedules a reconnect (unless closed). */
  private linkFailed(link: PeerLink, socket: net.Socket, reason: string): void {
    if (link.socket !== socket) return; // a stale socket's late event
    link.socket = undefined;
    socket.destroy();
    if (link.state === 'closed') return;
    if (link.state === 'open' || !link.downLogged) {
      this.options.logger.warn({ peer: link.id, address: formatHostPort(link.address), reason }, 'peer unreachable; dropping its frames until it is back');
      link.downLogged = true;
    }
    this.stats.framesDropped += link.queue.length;
    link.queue = [];
    link.queueBytes = 0;
    link.state = 'backoff';
    const delayMs = link.backoff.nextDelayMs();
    link.timer = setTimeout(() => {
      link.timer = undefined;
      if (link.state === 'backoff') this.connect(link);
    }, delayMs);
  }

  /** A peer just dialed us, so it is up: skip the rest of our backoff towards it. */
  private peerIsBack(id: number): void {
    const link = this.links.get(id);
    if (link === undefined || link.state !== 'backoff') return;
    if (link.timer !== undefined) clearTimeout(link.timer);
    link.timer = undefined;
    link.backoff.reset();
    this.connect(link);
  }

  private flush(link: PeerLink): void {
    const socket = link.socket;
    if (link.state !== 'open' || socket === undefined) return;
    while (link.queue.length > 0 && !socket.writableNeedDrain) {
      const payload = link.queue.shift()!;
      link.queueBytes -= payload.length;
      this.write(link, payload);
    }
  }

  private write(link: PeerLink, payload: Buffer): void {
    this.writeRaw(link.socket!, payload);
    this.stats.framesSent++;
    this.stats.bytesSent += payload.length;
  }

  private writeRaw(socket: net.Socket, payload: Buffer): void {
    socket.cork();
    socket.write(encodeFrameHeader(payload.length));
    socket.write(payload);
    socket.uncork();
  }

  // ---- inbound ------------------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const decoder = new FrameDecoder(HANDSHAKE_FRAME_BYTES_MAX);
    let from: number | undefined;
    const refuse = (reason: string, fields: object = {}) => {
      this.options.logger.warn({ remote, ...fields, reason }, 'peer connection refused');
      this.stats.connectionsRefused++;
      this.writeRaw(socket, encodeAck({ accepted: false, reason }));
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
      from = -1;
    };
    const handshakeTimer = setTimeout(() => {
      if (from === undefined) {
        this.options.logger.warn({ remote }, 'peer connection closed: no handshake in time');
        socket.destroy();
      }
    }, this.options.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      if (from === -1) return; // refused: ignore whatever else it sends while we close
      drainFrames(
        decoder,
        chunk,
        (payload) => {
          if (from === undefined) {
            clearTimeout(handshakeTimer);
            const hello = decodeHello(payload);
            if (typeof hello === 'string') {
              this.stats.protocolErrors++;
              refuse(hello);
              return false;
            }
            const reason = refusalReason(hello, { clusterId: this.options.clusterId, nodeId: this.options.nodeId, knownPeers: this.knownPeers });
            if (reason !== undefined) {
              refuse(reason, { claimedNode: hello.from, claimedCluster: hello.clusterId });
              return false;
            }
            from = hello.from;
            decoder.frameSizeBytesMax = this.options.frameSizeBytesMax;
            this.writeRaw(socket, encodeAck({ accepted: true, reason: '' }));
            this.peerIsBack(hello.from);
            return true;
          }
          if (from === -1) return false;
          this.stats.framesReceived++;
          this.stats.bytesReceived += payload.length;
          try {
            this.handler(from as NodeId, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
          } catch (error) {
            this.options.logger.error({ peer: from, err: error }, 'peer frame handler threw');
          }
          return true;
        },
        (error) => {
          this.stats.protocolErrors++;
          const message = error instanceof FrameTooLargeError && from === undefined ? `${error.message} before the handshake (not a RingKV peer?)` : error instanceof Error ? error.message : String(error);
          this.options.logger.warn({ remote, peer: from, reason: message }, 'peer connection closed: protocol error');
          socket.destroy();
        },
      );
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      this.inbound.delete(socket);
    });
  }
}
