import { connect as tcpConnect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { CounterFactory, Counter } from '../../lib/counter.ts';
import { anyNetworkContains, type Network } from '../../lib/cidr.ts';
import type { Clock } from '../../lib/time.ts';
import { StreamReassembler } from '../wire/index.ts';
import type { BinUrl } from './bin-url.ts';
import { nodeIdentityFromCert, type TlsMaterial } from './tls-identity.ts';

/** Where a packet came from: the connection, and for TLS the node id its certificate names. */
export interface PacketSource {
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly outbound: boolean;
  /** Set for outbound connections (the node we dialled) and for TLS peers (from the certificate). */
  readonly nodeId: number | undefined;
}

export interface BinTransportOptions {
  readonly listen: BinUrl;
  /** db_mode 0: who may connect in (empty = anyone, as OpenSIPS). */
  readonly allowNetworks: readonly Network[];
  readonly tls?: TlsMaterial;
  /** Unsent bytes one connection may hold before it is closed as stuck. */
  readonly maxQueuedBytes: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
  /** Inbound connections open at once; more are refused (OpenSIPS tcp_max_connections). Default 512. */
  readonly maxInboundConnections?: number;
  /** A packet begun must be whole within this, or the connection closes (OpenSIPS tcp_max_msg_time, 4 s). */
  readonly maxPacketTimeMs?: number;
  /** An inbound connection silent this long is closed (OpenSIPS tcp_connection_lifetime); peers ping far more often. Default 120 s. */
  readonly inboundIdleMs?: number;
  readonly clock: Clock;
  readonly counters: CounterFactory;
  onPacket(packet: Buffer, from: PacketSource): void;
  /** An outbound connection to a node closed or failed to open (membership treats it as a send failure). */
  onLinkBroken(nodeId: number): void;
}

export type BinSendResult = 'sent' | 'queued' | 'backoff' | 'overloaded' | 'closed';

interface Conn {
  readonly id: number;
  readonly socket: Socket;
  readonly outbound: boolean;
  readonly nodeId: number | undefined;
  readonly reasm: StreamReassembler;
  connected: boolean;
  pending: Buffer[];
  pendingBytes: number;
  /** closeAfterFlush() on a connection still dialling: end it once the queue is written. */
  endAfterFlush: boolean;
  /** Armed while a packet is incomplete: closes the connection if that packet is not whole in time. */
  slowTimer: ReturnType<typeof setTimeout> | undefined;
}

const DEFAULT_MAX_INBOUND = 512;
const DEFAULT_MAX_PACKET_TIME_MS = 4000;
const DEFAULT_INBOUND_IDLE_MS = 120_000;

/**
 * The BIN network driver (proto_bin's job): one outbound connection per neighbor, used for all
 * traffic to it, as OpenSIPS does (vectors README, "Connections"); inbound connections are read
 * from and used only to answer nodes we do not know yet (UNKNOWN_ID goes back on them). Failed
 * dials back off exponentially so a dead node costs no connect storm.
 */
export class BinTransport {
  private nextId = 1;
  private server: Server | undefined;
  private readonly conns = new Map<number, Conn>();
  private readonly outboundByNode = new Map<number, Conn>();
  private readonly backoff = new Map<number, { untilMs: number; delayMs: number }>();
  private readonly dropCounters = new Map<string, Counter>();
  private readonly refused: Counter;
  private closing = false;
  private inbound = 0;

  constructor(private readonly o: BinTransportOptions) {
    this.refused = o.counters.counter('clusterer:refused_connections', 'inbound BIN connections refused by the allow-list, the TLS identity or the connection limit');
  }

  async start(): Promise<{ host: string; port: number }> {
    const onSocket = (s: Socket) => this.accept(s);
    const server = this.o.tls !== undefined
      ? createTlsServer({ ...this.o.tls.serverOptions, requestCert: true, rejectUnauthorized: true }, onSocket)
      : createTcpServer(onSocket);
    server.on('error', () => { /* accept errors must not crash the node */ });
    // For TLS, refuse strangers before spending a handshake on them. A socket closed here also
    // fails its handshake: count it once.
    const refusedEarly = new WeakSet<Socket>();
    if (this.o.tls !== undefined) {
      server.on('connection', (s: Socket) => {
        if (this.allowed(s.remoteAddress ?? '')) return;
        refusedEarly.add(s);
        this.refused.inc();
        s.destroy();
      });
    }
    // A certificate the CA did not sign, or none: the handshake fails and the peer never gets in.
    server.on('tlsClientError', (_e: Error, s: TLSSocket) => {
      // Node wraps the accepted socket (`_parent`, internal); if that ever changes we count twice, never zero.
      const raw = (s as TLSSocket & { _parent?: Socket })._parent;
      if (raw === undefined || !refusedEarly.has(raw)) this.refused.inc();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.listen.port, this.o.listen.host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
    const a = server.address() as { address: string; port: number };
    return { host: a.address, port: a.port };
  }

  /** Sends on our outbound connection to `nodeId`, dialling `url` if there is none. */
  send(nodeId: number, url: BinUrl, packet: Buffer): BinSendResult {
    if (this.closing) return 'closed';
    let c = this.outboundByNode.get(nodeId);
    if (c === undefined) {
      const b = this.backoff.get(nodeId);
      if (b !== undefined && this.o.clock.nowMs() < b.untilMs) return 'backoff';
      c = this.dial(nodeId, url);
    }
    return this.write(c, packet);
  }

  /** Answers on the connection a packet came in on (UNKNOWN_ID to a stranger, vectors 01 #2). */
  reply(connectionId: number, packet: Buffer): BinSendResult {
    const c = this.conns.get(connectionId);
    return c === undefined ? 'closed' : this.write(c, packet);
  }

  /** Drops the outbound connection to a node (removed from the cluster, or disabled). */
  disconnect(nodeId: number): void {
    this.outboundByNode.get(nodeId)?.socket.destroy();
  }

  /**
   * Closes the outbound connection to a node once what was written on it has gone (the REMOVE_NODE
   * addressed to the node being removed): FIN after the data, where destroy() could discard it.
   * A connection still dialling writes its queue first. A later send to the node dials anew.
   */
  closeAfterFlush(nodeId: number): void {
    const c = this.outboundByNode.get(nodeId);
    if (c === undefined) return;
    this.outboundByNode.delete(nodeId);
    if (c.connected) this.endGracefully(c);
    else c.endAfterFlush = true;
  }

  private endGracefully(c: Conn): void {
    // A peer that never closes its side must not hold the socket: connectTimeoutMs to finish.
    c.socket.setTimeout(this.o.connectTimeoutMs, () => c.socket.destroy());
    c.socket.end();
  }

  connectionCount(): number {
    return this.conns.size;
  }

  async stop(): Promise<void> {
    this.closing = true;
    const s = this.server;
    this.server = undefined;
    for (const c of this.conns.values()) c.socket.destroy();
    if (s !== undefined) await new Promise<void>((r) => s.close(() => r()));
  }

  private accept(socket: Socket): void {
    const remote = socket.remoteAddress ?? '';
    if (this.closing || !this.allowed(remote) || this.inbound >= (this.o.maxInboundConnections ?? DEFAULT_MAX_INBOUND)) {
      this.refused.inc();
      socket.destroy();
      return;
    }
    let nodeId: number | undefined;
    if (this.o.tls !== undefined) {
      nodeId = nodeIdentityFromCert((socket as TLSSocket).getPeerCertificate());
      if (nodeId === undefined) { this.refused.inc(); socket.destroy(); return; }
    }
    this.track(socket, false, nodeId, true);
  }

  private allowed(remote: string): boolean {
    return this.o.allowNetworks.length === 0 || anyNetworkContains(this.o.allowNetworks, remote);
  }

  private dial(nodeId: number, url: BinUrl): Conn {
    const tls = url.tls && this.o.tls !== undefined;
    // The peer's certificate must name the node we dial (`node-<id>`), not the host we dial.
    const socket = tls && this.o.tls !== undefined
      ? tlsConnect({ ...this.o.tls.clientOptions, host: url.host, port: url.port,
        checkServerIdentity: (_host, cert) => {
          if (nodeIdentityFromCert(cert) === nodeId) return undefined;
          this.drop('CLUSTER_NET_IDENTITY_MISMATCH');
          return new Error(`certificate does not name node ${nodeId}`);
        } })
      : tcpConnect({ host: url.host, port: url.port });
    const c = this.track(socket, true, nodeId, false);
    this.outboundByNode.set(nodeId, c);
    socket.setTimeout(this.o.connectTimeoutMs, () => { if (!c.connected) socket.destroy(); });
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      c.connected = true;
      socket.setTimeout(0);
      this.backoff.delete(nodeId);
      const queued = c.pending;
      c.pending = [];
      c.pendingBytes = 0;
      for (const p of queued) socket.write(p);
      if (c.endAfterFlush) this.endGracefully(c);
    });
    return c;
  }

  private track(socket: Socket, outbound: boolean, nodeId: number | undefined, connected: boolean): Conn {
    const c: Conn = { id: this.nextId++, socket, outbound, nodeId, reasm: new StreamReassembler(), connected, pending: [], pendingBytes: 0, endAfterFlush: false, slowTimer: undefined };
    this.conns.set(c.id, c);
    if (!outbound) {
      this.inbound++;
      socket.setTimeout(this.o.inboundIdleMs ?? DEFAULT_INBOUND_IDLE_MS, () => socket.destroy());
    }
    socket.setNoDelay(true);
    socket.on('error', () => { /* 'close' follows; the peer's failure is an event, not an exception */ });
    socket.on('data', (chunk: Buffer) => {
      const { packets, error } = c.reasm.feed(chunk);
      const from: PacketSource = { connectionId: c.id, remoteAddress: socket.remoteAddress ?? '', outbound, nodeId };
      for (const p of packets) this.o.onPacket(p, from);
      if (error !== undefined) {
        this.drop(error.code);
        socket.destroy();
        return;
      }
      if (c.reasm.pendingBytes > 0 && c.slowTimer === undefined) this.armSlowTimer(c, c.reasm.packetsDone);
    });
    socket.on('close', () => {
      if (c.slowTimer !== undefined) clearTimeout(c.slowTimer);
      if (!outbound) this.inbound--;
      this.conns.delete(c.id);
      if (outbound && nodeId !== undefined && this.outboundByNode.get(nodeId) === c) {
        this.outboundByNode.delete(nodeId);
        if (!c.connected) this.bumpBackoff(nodeId);
        if (!this.closing) this.o.onLinkBroken(nodeId);
      }
    });
    return c;
  }

  private write(c: Conn, packet: Buffer): BinSendResult {
    if (!c.connected) {
      if (c.pendingBytes + packet.length > this.o.maxQueuedBytes) return 'overloaded';
      c.pending.push(packet);
      c.pendingBytes += packet.length;
      return 'queued';
    }
    if (c.socket.writableLength + packet.length > this.o.maxQueuedBytes) {
      this.drop('CLUSTER_NET_QUEUE_FULL');
      c.socket.destroy();
      return 'overloaded';
    }
    c.socket.write(packet);
    return 'sent';
  }

  private bumpBackoff(nodeId: number): void {
    const prev = this.backoff.get(nodeId);
    const delayMs = prev === undefined ? this.o.reconnectMinMs : Math.min(prev.delayMs * 2, this.o.reconnectMaxMs);
    this.backoff.set(nodeId, { untilMs: this.o.clock.nowMs() + delayMs, delayMs });
  }

  /**
   * A packet that starts and never finishes would hold its connection (and the bytes gathered) for
   * as long as the peer keeps it open: once `done` packets are complete, the next one has
   * maxPacketTimeMs to arrive whole. A later packet still incomplete when the timer fires gets its own.
   */
  private armSlowTimer(c: Conn, done: number): void {
    c.slowTimer = setTimeout(() => {
      c.slowTimer = undefined;
      if (c.reasm.pendingBytes === 0) return;
      if (c.reasm.packetsDone !== done) { this.armSlowTimer(c, c.reasm.packetsDone); return; }
      this.drop('CLUSTER_NET_PACKET_TIMEOUT');
      c.socket.destroy();
    }, this.o.maxPacketTimeMs ?? DEFAULT_MAX_PACKET_TIME_MS);
    c.slowTimer.unref();
  }

  private drop(code: string): void {
    let ctr = this.dropCounters.get(code);
    if (ctr === undefined) {
      ctr = this.o.counters.counter(`clusterer:drop_${code}`, `BIN connections or packets dropped with ${code}`);
      this.dropCounters.set(code, ctr);
    }
    ctr.inc();
  }
}
