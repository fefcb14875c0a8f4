import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { createServer, isIP, isIPv6, type Server } from 'node:net';
import type { Counter, CounterFactory } from '../../lib/counter.ts';
import { TcpConnections, DEFAULT_TCP_LIMITS, type TcpExistingSendResult, type TcpLimits } from './tcp-connections.ts';
import { MAX_UDP_PAYLOAD_BYTES_IPV4, MAX_UDP_PAYLOAD_BYTES_IPV6, UDP_SOCKET_BUFFER_BYTES } from './limits.ts';
import { UDP_SEND_BATCH_MAX, UdpSendQueue, afterIo, type UdpSocket } from './udp-send-queue.ts';
import { NativeUdpSocket, chooseUdpEngine, nativeUdp, type UdpEngine } from './native-udp.ts';
import type { ListenerInfo, MessageSink, SendErrorSink, SendResult, SendTarget, SendWatcher, SipProto } from './types.ts';

export interface ListenSpec {
  readonly proto: SipProto;
  readonly host: string;
  readonly port: number;
}

interface UdpListener {
  readonly info: ListenerInfo;
  readonly socket: UdpSocket;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** The last literal literalLookup classified, and its family (4 or 6). */
let lastLiteral = '';
let lastFamily = 4;

/**
 * dgram resolves the destination of every datagram, even an IP literal, through dns.lookup, which
 * answers a literal on the next tick. Our UDP destinations are literals by the time they get here
 * (the proxy resolves names itself, RFC 3263), so answering at once saves a tick and its callback
 * per datagram; a name still goes to dns.lookup.
 */
function literalLookup(address: string, options: LookupOneOptions | number, cb: LookupCallback): void {
  // isIP runs two regular expressions; most datagrams go back to the address of the one before.
  if (address === lastLiteral) { cb(null, address, lastFamily); return; }
  const f = isIP(address);
  if (f !== 0) {
    lastLiteral = address;
    lastFamily = f;
    cb(null, address, f);
  }
  // Node 20's dgram passes the family as a number, its typings an options object.
  else dnsLookup(address, typeof options === 'number' ? { family: options } : options, cb);
}

/**
 * The node's SIP sockets: UDP and TCP listeners on IPv4 and IPv6, and sending by transport.
 * Delivers whole messages (datagrams, framed stream messages) to one sink; knows nothing of SIP
 * beyond stream framing — parsing, Via `received`/`rport` and routing happen above it.
 *
 * UDP sending socket: the one a SendTarget names (localAddress/localPort), else the first UDP
 * listener of the destination's family. Callers name it so that a response leaves from the socket
 * its request arrived on (RFC 3581 §4 MUST; RFC 3261 §18.2.2; a NAT or firewall in front of the
 * client drops one from another port) and a forwarded request from the listener its Via and
 * Record-Route name (OpenSIPS: replies from the receiving socket, requests from the send socket).
 *
 * Limitation: a listener bound to 0.0.0.0 or :: sends from the port it is bound to, but the kernel
 * chooses the source address by its routes — Node has no IP_PKTINFO to answer from the address a
 * request was sent to. On a multi-homed host bind each address (OpenSIPS recommends the same).
 */
export class SipTransport {
  private readonly udp: UdpListener[] = [];
  private udp4: UdpListener | undefined;
  private udp6: UdpListener | undefined;
  private readonly servers: Array<{ info: ListenerInfo; server: Server }> = [];
  private readonly tcp: TcpConnections;
  private readonly rcvBytes: Counter;
  private readonly udpSendErrors: Counter;
  private readonly badTargets: Counter;
  private readonly udpSocketFallbacks: Counter;
  private readonly udpTooLarge: Counter;
  private readonly udpOut: UdpSendQueue;

  constructor(
    private readonly onMessage: MessageSink,
    private readonly onSendError: SendErrorSink,
    counters: CounterFactory,
    tcpLimits: TcpLimits = DEFAULT_TCP_LIMITS,
    /** `sip.udpEngine` (native-udp.ts). */
    private readonly udpEngine: UdpEngine = 'auto',
  ) {
    this.tcp = new TcpConnections(tcpLimits, onMessage, onSendError, counters);
    this.rcvBytes = counters.counter('net:rcv_bytes', 'bytes of SIP received');
    this.udpSendErrors = counters.counter('net:udp_send_errors', 'UDP datagrams the kernel refused (with sip.udpEngine dgram only those sent with a watcher, a proxy branch\'s request), dropped while the send buffer stayed full, and UDP socket errors');
    this.badTargets = counters.counter('net:bad_send_targets', 'messages not sent: port 0 or an address Node refuses');
    this.udpOut = new UdpSendQueue(() => this.badTargets.inc(), afterIo, UDP_SEND_BATCH_MAX, (address, port, err, watched) => {
      this.udpSendErrors.inc();
      // An answer's refusal (the native engine tells all) is counted, not logged: a flood of
      // spoofed sources would otherwise write a line each.
      if (watched) this.onSendError({ proto: 'udp', address, port }, 'SIP_TRANSPORT_SEND_FAILED', err.message);
    });
    this.udpTooLarge = counters.counter('net:udp_too_large', 'UDP datagrams not sent: over the largest payload of their address family (65 507 bytes IPv4, 65 527 IPv6)');
    this.udpSocketFallbacks = counters.counter('net:udp_send_socket_fallbacks', 'UDP datagrams sent from the default socket: the listener asked for is unknown or of the other address family');
  }

  async listen(specs: readonly ListenSpec[]): Promise<ListenerInfo[]> {
    for (const s of specs) {
      if (s.proto === 'udp') await this.listenUdp(s);
      else await this.listenTcp(s);
    }
    return this.listeners();
  }

  listeners(): ListenerInfo[] {
    return [...this.udp.map((u) => u.info), ...this.servers.map((s) => s.info)];
  }

  tcpConnectionCount(): number {
    return this.tcp.count();
  }

  /** `watcher` hears of a failure found after this returned 'sent' or 'queued' (types.ts). */
  send(target: SendTarget, data: Buffer, watcher?: SendWatcher): SendResult {
    if (this.refusedPort(target.port)) return 'bad-target';
    if (target.proto === 'tcp') return this.tcp.send(target, data, watcher);
    // An IPv6 literal always contains ':'; cheaper than isIPv6() on every datagram.
    const v6 = target.address.includes(':');
    let l = (v6 ? this.udp6 : this.udp4) ?? this.udp[0];
    // The listener asked for (RFC 3581 §4: a response leaves from where its request arrived; a
    // forwarded request from the listener its Via names). The default is checked first: on a
    // one-listener node it always is that one, so no search.
    const localPort = target.localPort;
    if (l !== undefined && localPort !== undefined && (l.info.port !== localPort || l.info.address !== target.localAddress)) {
      l = this.udpListener(target.localAddress, localPort, v6) ?? this.fallback(l);
    }
    return this.sendOn(l, target, data, watcher);
  }

  /**
   * Sends a datagram from the UDP socket bound to `localAddress:localPort` (as ReceiveInfo named it
   * when a message came in there), or not at all: unlike send(), which falls back to the default
   * socket, an unknown listener is `no-listener`. A NAT keeps a mapping per pair of addresses: a
   * keep-alive from another socket refreshes nothing, so it is better not sent.
   */
  sendUdpFrom(localAddress: string, localPort: number, target: SendTarget, data: Buffer): SendResult {
    if (this.refusedPort(target.port)) return 'bad-target';
    return this.sendOn(this.udpListener(localAddress, localPort, undefined), target, data);
  }

  /**
   * Sends on the established TCP connection to `address:port`, never opening one
   * (TcpConnections.sendIfConnected); `bad-target` for a port outside 1–65535 as send() says.
   */
  sendOnTcpConnection(address: string, port: number, data: Buffer): TcpExistingSendResult | 'bad-target' {
    if (this.refusedPort(port)) return 'bad-target';
    return this.tcp.sendIfConnected(address, port, data);
  }

  /** The UDP listener bound to this pair (of family `v6` when given); a plain loop, nothing allocated. */
  private udpListener(address: string | undefined, port: number, v6: boolean | undefined): UdpListener | undefined {
    for (const u of this.udp) {
      if (u.info.port !== port || u.info.address !== address) continue;
      // A socket of the other family cannot reach the destination (EINVAL): the default sends.
      return v6 === undefined || (u.info.family === 'IPv6') === v6 ? u : undefined;
    }
    return undefined;
  }

  /**
   * No listener of that address and port and family: the datagram still goes, from the default
   * socket, as before per-listener sending (a response from the wrong port beats none; the
   * listeners never change while the node runs, so this is a stale or foreign local pair). Counted.
   */
  private fallback(l: UdpListener): UdpListener {
    this.udpSocketFallbacks.inc();
    return l;
  }

  /** `target` by UDP from `l`; no listener to send from is `no-listener`. */
  private sendOn(l: UdpListener | undefined, target: SendTarget, data: Buffer, watcher?: SendWatcher): SendResult {
    if (l === undefined) return 'no-listener';
    // The kernel would refuse it (EMSGSIZE) at flush time, and Node drops that error for a send
    // without a callback: refused here, where the sender still hears of it (a proxy branch fails
    // at once, a local 503, RFC 3261 §16.9; RFC 3263 §4.3 failover). RFC 3261 §18.1.1's switch to
    // TCP for a large request is the proxy's (sip.udpToTcpOnLargeRequests, large-request.ts).
    // One comparison for nearly every datagram: the IPv4 limit is the lower.
    if (data.length > MAX_UDP_PAYLOAD_BYTES_IPV4 && data.length > (l.info.family === 'IPv6' ? MAX_UDP_PAYLOAD_BYTES_IPV6 : MAX_UDP_PAYLOAD_BYTES_IPV4)) {
      this.udpTooLarge.inc();
      this.onSendError(target, 'SIP_TRANSPORT_MESSAGE_TOO_LARGE', `UDP datagram of ${data.length} bytes is over the ${l.info.family} limit`);
      return 'too-large';
    }
    // Held until this turn's I/O is handled, then sent with the rest of the burst (udp-send-queue.ts).
    this.udpOut.push(l.socket, data, target.port, target.address, watcher);
    return 'sent';
  }

  /**
   * Targets come from the network (Via sent-by and rport, Contact, Route). Port 0 is valid SIP
   * grammar (port = 1*DIGIT) but Node throws synchronously for it (ERR_SOCKET_BAD_PORT): that
   * would escape the receive path and end the process. Refused and counted instead.
   */
  private refusedPort(port: number): boolean {
    if (port >= 1 && port <= 65535) return false;
    this.badTargets.inc();
    return true;
  }

  /** Closes listeners first (no new work), then connections. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.server.close(() => r()))));
    this.tcp.closeAll();
    // What the last turn queued leaves before its socket closes.
    this.udpOut.flush();
    await Promise.all(this.udp.map((u) => (u.socket instanceof NativeUdpSocket ? u.socket.close() : new Promise<void>((r) => { (u.socket as DgramSocket).close(() => r()); }))));
    this.servers.length = 0;
    this.udp.length = 0;
    this.udp4 = undefined;
    this.udp6 = undefined;
  }

  /** Which UDP engine the listeners use ('native' or 'dgram'): `sip.udpEngine` and what is built. */
  udpEngineInUse(): 'native' | 'dgram' {
    return chooseUdpEngine(this.udpEngine);
  }

  private async listenUdp(s: ListenSpec): Promise<void> {
    // A scoped IPv6 address (fe80::1%eth0) stays with dgram: the native engine reads no zones.
    if (this.udpEngineInUse() === 'native' && !s.host.includes('%')) {
      // A host name is bound to its first address of the family, as dgram's bind resolves it.
      const host = isIP(s.host) !== 0 ? s.host : await new Promise<string>((resolve, reject) => {
        dnsLookup(s.host, { family: 4 }, (err, address) => (err === null ? resolve(address) : reject(err)));
      });
      this.listenNativeUdp({ ...s, host });
      return;
    }
    const v6 = isIPv6(s.host);
    // Large kernel buffers ride out GC pauses at high rates (OpenSIPS probes up to its maxbuffer).
    const socket = createSocket({
      type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, recvBufferSize: UDP_SOCKET_BUFFER_BYTES, sendBufferSize: UDP_SOCKET_BUFFER_BYTES, lookup: literalLookup,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(s.port, s.host, () => { socket.off('error', reject); resolve(); });
    });
    const addr = socket.address();
    const info: ListenerInfo = { proto: 'udp', address: addr.address, port: addr.port, family: v6 ? 'IPv6' : 'IPv4' };
    socket.on('error', () => this.udpSendErrors.inc());
    socket.on('message', (data, rinfo) => {
      this.rcvBytes.inc(data.length);
      this.onMessage(data, {
        proto: 'udp', remoteAddress: rinfo.address, remotePort: rinfo.port, localAddress: info.address, localPort: info.port,
      });
    });
    const listener = { info, socket };
    this.udp.push(listener);
    if (v6) this.udp6 ??= listener;
    else this.udp4 ??= listener;
  }

  private listenNativeUdp(s: ListenSpec): void {
    const v6 = isIPv6(s.host);
    // The handler needs the bound address, known once the socket is open.
    const bound: { info?: ListenerInfo } = {};
    const socket = new NativeUdpSocket(nativeUdp() as NonNullable<ReturnType<typeof nativeUdp>>, v6 ? 6 : 4, s.host, s.port, UDP_SOCKET_BUFFER_BYTES,
      (data, address, port) => {
        this.rcvBytes.inc(data.length);
        const i = bound.info as ListenerInfo;
        this.onMessage(data, { proto: 'udp', remoteAddress: address, remotePort: port, localAddress: i.address, localPort: i.port });
      },
      () => this.udpSendErrors.inc(),
      (data, address, port, err, watcher, badTarget) => {
        if (badTarget) this.badTargets.inc();
        else {
          this.udpSendErrors.inc();
          if (watcher !== undefined) this.onSendError({ proto: 'udp', address, port }, 'SIP_TRANSPORT_SEND_FAILED', err.message);
        }
        watcher?.sendFailed(data);
      });
    const info: ListenerInfo = { proto: 'udp', address: socket.address, port: socket.port, family: v6 ? 'IPv6' : 'IPv4' };
    bound.info = info;
    const listener = { info, socket };
    this.udp.push(listener);
    if (v6) this.udp6 ??= listener;
    else this.udp4 ??= listener;
  }

  private async listenTcp(s: ListenSpec): Promise<void> {
    const v6 = isIPv6(s.host);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: s.port, host: s.host, ipv6Only: v6 }, () => { server.off('error', reject); resolve(); });
    });
    const addr = server.address() as { address: string; port: number };
    const info: ListenerInfo = { proto: 'tcp', address: addr.address, port: addr.port, family: v6 ? 'IPv6' : 'IPv4' };
    server.on('connection', (sock) => this.tcp.accept(sock, info.address, info.port));
    server.on('error', () => { /* accept errors (EMFILE) must not crash the node */ });
    this.servers.push({ info, server });
  }
}
