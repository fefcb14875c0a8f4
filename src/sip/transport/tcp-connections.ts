import { connect, type Socket } from 'node:net';
import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import {
  DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION, DEFAULT_MAX_TCP_CONNECTIONS, DEFAULT_TCP_IDLE_TIMEOUT_MS, DEFAULT_TCP_MAX_MESSAGE_TIME_MS,
  MAX_PENDING_MESSAGES_PER_CONNECT, TCP_CONNECT_TIMEOUT_MS,
} from './limits.ts';
import { StreamFramer, type FramerEvent } from './stream-framer.ts';
import type { MessageSink, SendErrorSink, SendResult, SendTarget, SendWatcher } from './types.ts';

export interface TcpLimits {
  idleTimeoutMs: number;
  maxConnections: number;
  maxBufferedBytesPerConnection: number;
  maxMessageBytes: number;
  /** From a message's first bytes to its last, at most (OpenSIPS tcp_max_msg_time); 0: no limit. */
  maxMessageTimeMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  idleTimeoutMs: DEFAULT_TCP_IDLE_TIMEOUT_MS,
  maxConnections: DEFAULT_MAX_TCP_CONNECTIONS,
  maxBufferedBytesPerConnection: DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION,
  maxMessageBytes: 65535,
  maxMessageTimeMs: DEFAULT_TCP_MAX_MESSAGE_TIME_MS,
};

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly key: string;
  readonly framer: StreamFramer;
  connected: boolean;
  /** When the framer began to hold the message it still waits the rest of (-1: none held). */
  partialSinceMs: number;
  /** Messages held while connecting, each with who hears if the connection never comes. */
  pending: Pending[];
}

interface Pending {
  readonly data: Buffer;
  readonly watcher: SendWatcher | undefined;
}

const CRLF = Buffer.from('\r\n');

/** `overloaded`: the peer does not read (the write cap closed the connection). */
export type TcpExistingSendResult = 'sent' | 'no-connection' | 'overloaded';

/**
 * The TCP connection table: accepted and dialled connections, keyed by id and by remote
 * address, so responses go back on the connection a request came in on (RFC 3261 §18.2.2) and
 * requests to the same address reuse it (§18.1.1). Idle connections close; the number of
 * connections and the unsent bytes per connection are capped.
 *
 * Several live connections may share a remote address:port: one we dialled to a peer's listener
 * and one the peer opened from it (a proxy binding its outgoing connections to its listening
 * socket). Each stays in the index until its own close; a lookup takes the newest alive one, as
 * Kamailio/OpenSIPS find a connection by (ip, port, proto) in a hash chain the newest heads,
 * skipping bad ones (no RFC 5923 aliases here: an accepted connection is found by its source port).
 */
export class TcpConnections {
  private nextId = 1;
  private readonly byId = new Map<number, Connection>();
  /** By remote address|port, oldest first; one entry per live connection, removed at its close. */
  private readonly byKey = new Map<string, Connection[]>();
  private readonly events: FramerEvent[] = [];
  private readonly refused: Counter;
  private readonly framingErrors: Counter;
  private readonly overloaded: Counter;
  private readonly slowMessages: Counter;
  private readonly open: Gauge;
  private closing = false;

  constructor(
    private readonly limits: TcpLimits,
    private readonly onMessage: MessageSink,
    private readonly onSendError: SendErrorSink,
    counters: CounterFactory,
    private readonly now: () => number = Date.now,
    /** Opens an outgoing connection; tests give fake sockets. */
    private readonly dialSocket: (address: string, port: number) => Socket = (host, port) => connect({ host, port }),
  ) {
    this.refused = counters.counter('net:tcp_refused_connections', 'TCP connections refused at the connection cap');
    this.framingErrors = counters.counter('sip:dropped_tcp_framing', 'TCP connections closed because the stream broke SIP framing');
    this.overloaded = counters.counter('net:tcp_write_overflow', 'TCP connections closed because the peer did not read');
    this.slowMessages = counters.counter('sip:dropped_tcp_slow_messages', 'TCP connections closed because a message was not complete within sip.tcp.maxMessageTimeMs of its first bytes');
    this.open = counters.gauge('net:tcp_connections', 'open SIP TCP connections');
  }

  count(): number {
    return this.byId.size;
  }

  /** Takes an accepted socket (the listener owns the server; we own the connection). */
  accept(socket: Socket, localAddress: string, localPort: number): void {
    if (this.closing || this.byId.size >= this.limits.maxConnections) {
      this.refused.inc();
      socket.destroy();
      return;
    }
    const c = this.add(socket, keyOf(socket.remoteAddress ?? '', socket.remotePort ?? 0), true);
    this.wire(c, localAddress, localPort);
  }

  /**
   * Sends on a known connection, an existing one to the address, or a new one. A message held for
   * a connection that then fails, or over the write cap when the connection comes, and a message
   * with a `watcher` that is written but never leaves (a write error, the connection closed with it
   * still buffered), is reported to onSendError and to its `watcher`.
   */
  send(target: SendTarget, data: Buffer, watcher?: SendWatcher): SendResult {
    let c = target.connectionId !== undefined ? this.byId.get(target.connectionId) : undefined;
    // A destroyed connection waits for its 'close' to leave the table; a write to it is lost. Its
    // request came on it, so a response goes on another to the same address or a new one (§18.2.2).
    if (c === undefined || c.socket.destroyed) c = this.newest(keyOf(target.address, target.port), false);
    if (c === undefined) {
      if (this.closing || this.byId.size >= this.limits.maxConnections) {
        this.refused.inc();
        return 'overloaded';
      }
      c = this.dial(target);
    }
    if (!c.connected) {
      if (c.pending.length >= MAX_PENDING_MESSAGES_PER_CONNECT) return 'overloaded';
      c.pending.push({ data, watcher });
      return 'queued';
    }
    return this.write(c, data, watcher) ? 'sent' : 'overloaded';
  }

  /**
   * Writes on the established connection to `address:port` and never dials one: `no-connection`
   * when there is none, or it is still connecting (nothing is queued). For what only makes sense
   * on an existing connection — a NAT keep-alive (OpenSIPS nathelper pings with `tcp_no_new_conn`
   * set): a TCP NAT mapping lives as long as its connection, and a new connection from us would
   * not reach a phone behind a NAT anyway.
   */
  sendIfConnected(address: string, port: number, data: Buffer): TcpExistingSendResult {
    const c = this.newest(keyOf(address, port), true);
    if (c === undefined) return 'no-connection';
    return this.write(c, data) ? 'sent' : 'overloaded';
  }

  /** Stops accepting and dialling, then closes every connection. */
  closeAll(): void {
    this.closing = true;
    for (const c of this.byId.values()) c.socket.destroy();
  }

  private dial(target: SendTarget): Connection {
    const socket = this.dialSocket(target.address, target.port);
    const c = this.add(socket, keyOf(target.address, target.port), false);
    socket.setTimeout(TCP_CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      c.connected = true;
      socket.setTimeout(this.limits.idleTimeoutMs);
      const queued = c.pending;
      c.pending = [];
      for (let i = 0; i < queued.length; i++) {
        // Over the cap the connection is closed: this message and the rest are lost.
        if (!this.write(c, (queued[i] as Pending).data, (queued[i] as Pending).watcher)) {
          this.failHeld(queued.slice(i), target, 'SIP_TRANSPORT_SEND_FAILED', 'the peer did not read: over the write cap');
          break;
        }
      }
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (!c.connected) this.failPending(c, target, e.message);
    });
    this.wire(c, socket.localAddress ?? '', socket.localPort ?? 0);
    return c;
  }

  /** The newest connection to `key` not destroyed (and established, if `connected`). */
  private newest(key: string, connected: boolean): Connection | undefined {
    const list = this.byKey.get(key);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i] as Connection;
      if (!c.socket.destroyed && (c.connected || !connected)) return c;
    }
    return undefined;
  }

  private add(socket: Socket, key: string, connected: boolean): Connection {
    const c: Connection = { id: this.nextId++, socket, key, framer: new StreamFramer(this.limits.maxMessageBytes), connected, partialSinceMs: -1, pending: [] };
    this.byId.set(c.id, c);
    const list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, [c]);
    else list.push(c);
    this.open.inc();
    return c;
  }

  private wire(c: Connection, localAddress: string, localPort: number): void {
    const s = c.socket;
    s.setNoDelay(true);
    if (c.connected) s.setTimeout(this.limits.idleTimeoutMs);
    s.on('timeout', () => {
      if (c.partialSinceMs >= 0) this.slowMessages.inc();
      s.destroy();
    });
    s.on('error', () => { /* reported through 'close'; errors must never escape the loop */ });
    s.on('close', () => {
      this.byId.delete(c.id);
      this.open.dec();
      this.unindex(c);
      if (!c.connected && c.pending.length > 0) {
        const [address, port] = splitKey(c.key);
        this.failPending(c, { proto: 'tcp', address, port }, 'connection closed before it was established');
      }
    });
    s.on('data', (chunk: Buffer) => {
      const ev = this.events;
      ev.length = 0;
      c.framer.push(chunk, ev);
      for (const e of ev) {
        if (e.kind === 'message') {
          this.onMessage(e.data, {
            proto: 'tcp', remoteAddress: s.remoteAddress ?? '', remotePort: s.remotePort ?? 0,
            localAddress: s.localAddress ?? localAddress, localPort: s.localPort ?? localPort, connectionId: c.id,
          });
        } else if (e.kind === 'keepalive-ping') {
          // RFC 5626 §3.5.1 pong, under the same write cap as messages: a peer that pings and
          // never reads is closed, not buffered for without bound.
          if (!this.write(c, CRLF)) return;
        } else {
          this.framingErrors.inc();
          s.destroy();
          return;
        }
      }
      this.watchMessageTime(c);
    });
  }

  /**
   * OpenSIPS tcp_max_msg_time: a message must be whole within maxMessageTimeMs of its first bytes.
   * While one is partial the socket's inactivity timeout is that time (a peer gone quiet), and each
   * chunk checks the whole wait (a peer trickling bytes, each within the timeout); once nothing
   * partial is held the idle timeout is back. A connection whose messages arrive whole pays one test.
   */
  private watchMessageTime(c: Connection): void {
    const maxMs = this.limits.maxMessageTimeMs;
    if (maxMs <= 0) return;
    if (!c.framer.holdsPartialMessage()) {
      if (c.partialSinceMs >= 0) {
        c.partialSinceMs = -1;
        c.socket.setTimeout(this.limits.idleTimeoutMs);
      }
      return;
    }
    const now = this.now();
    if (c.partialSinceMs < 0) {
      c.partialSinceMs = now;
      c.socket.setTimeout(maxMs);
    } else if (now - c.partialSinceMs > maxMs) {
      this.slowMessages.inc();
      c.socket.destroy();
    }
  }

  /** Removes `c`, and only `c`, from the address index. */
  private unindex(c: Connection): void {
    const list = this.byKey.get(c.key);
    if (list === undefined) return;
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(c.key);
  }

  /** The connection never came: each held message is reported, and its sender (a proxy branch: a 503 now, §16.9) told. */
  private failPending(c: Connection, target: SendTarget, message: string): void {
    const failed = c.pending;
    c.pending = [];
    this.failHeld(failed, target, 'SIP_TRANSPORT_CONNECT_FAILED', message);
  }

  private failHeld(failed: readonly Pending[], target: SendTarget, code: string, message: string): void {
    for (const p of failed) {
      this.onSendError(target, code, message);
      p.watcher?.sendFailed(p.data);
    }
  }

  /**
   * Over the cap the connection is closed (the peer does not read) and false returned. A message
   * with a watcher (a proxy branch's request) is written with a callback: Node calls it with the
   * error of a failed write (EPIPE, ECONNRESET) and, for one still buffered when the socket is
   * destroyed, ERR_STREAM_DESTROYED; the branch then fails at once as a local 503 (RFC 3261 §16.9,
   * §17.1.1.2 transport error; RFC 3263 §4.3 failover), not at timer B/F. Replies and pongs go
   * without one, as before: no closure and no call back per write for what no one waits on.
   */
  private write(c: Connection, data: Buffer, watcher?: SendWatcher): boolean {
    if (c.socket.writableLength + data.length > this.limits.maxBufferedBytesPerConnection) {
      this.overloaded.inc();
      c.socket.destroy();
      return false;
    }
    if (watcher === undefined) c.socket.write(data);
    else c.socket.write(data, (err) => { if (err) this.writeFailed(c, data, watcher, err.message); });
    return true;
  }

  private writeFailed(c: Connection, data: Buffer, watcher: SendWatcher, message: string): void {
    const [address, port] = splitKey(c.key);
    this.onSendError({ proto: 'tcp', address, port }, 'SIP_TRANSPORT_SEND_FAILED', message);
    watcher.sendFailed(data);
  }
}

function keyOf(address: string, port: number): string {
  return `${address.startsWith('::ffff:') ? address.slice(7) : address}|${port}`;
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf('|');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
