import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { TcpConnections } from './tcp-connections.ts';
import { StatisticsRegistry } from '../../mgmt/statistics.ts';

/** A socket whose peer never reads: every write stays buffered, as Node's do once the kernel's buffer is full. */
class StuckSocket extends EventEmitter {
  writableLength = 0;
  destroyed = false;
  remoteAddress = '192.0.2.1';
  remotePort = 40000;
  localAddress = '127.0.0.1';
  localPort = 5060;
  setNoDelay(): this { return this; }
  setTimeout(): this { return this; }
  setKeepAlive(): this { return this; }
  write(b: Buffer): boolean { this.writableLength += b.length; return false; }
  destroy(): this { this.destroyed = true; return this; }
}

test('RFC 5626 keep-alive pongs count against the write cap: a peer that pings and never reads is closed', () => {
  const stats = new StatisticsRegistry();
  const tcp = new TcpConnections({ idleTimeoutMs: 60_000, maxConnections: 10, maxBufferedBytesPerConnection: 1024, maxMessageBytes: 65535, maxMessageTimeMs: 4000 }, () => {}, () => {}, stats);
  const s = new StuckSocket();
  tcp.accept(s as unknown as Socket, '127.0.0.1', 5060);
  const pings = Buffer.from('\r\n\r\n'.repeat(1024));
  for (let i = 0; i < 100 && !s.destroyed; i++) s.emit('data', pings);
  assert.equal(s.destroyed, true);
  assert.ok(s.writableLength <= 1024, `${s.writableLength} bytes buffered`);
  assert.equal(stats.get(['net:tcp_write_overflow'])['net:tcp_write_overflow'], 1, 'counted');
});

/** A socket that records its timeouts; its writes go nowhere. */
class TimedSocket extends StuckSocket {
  timeouts: number[] = [];
  override setTimeout(ms?: number): this { if (ms !== undefined) this.timeouts.push(ms); return this; }
  override write(): boolean { return true; }
}

test('a message not complete within maxMessageTimeMs of its first bytes closes the connection (OpenSIPS tcp_max_msg_time): a trickle, or a peer gone quiet; a held CRLF pong does not count', () => {
  const stats = new StatisticsRegistry();
  let now = 1_000_000;
  const got: string[] = [];
  const tcp = new TcpConnections(
    { idleTimeoutMs: 120_000, maxConnections: 10, maxBufferedBytesPerConnection: 1024, maxMessageBytes: 65535, maxMessageTimeMs: 4000 },
    (d) => got.push(d.toString()), () => {}, stats, () => now,
  );
  const slow = () => stats.get(['sip:dropped_tcp_slow_messages'])['sip:dropped_tcp_slow_messages'];
  const msg = 'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n';

  // A message in pieces within the time: delivered; the idle timeout is back once it is whole.
  const ok = new TimedSocket();
  tcp.accept(ok as unknown as Socket, '127.0.0.1', 5060);
  ok.emit('data', Buffer.from(msg.slice(0, 10)));
  assert.deepEqual(ok.timeouts, [120_000, 4000], 'the wait for the rest is the message time');
  now += 3000;
  ok.emit('data', Buffer.from(msg.slice(10)));
  assert.deepEqual(got, [msg]);
  assert.deepEqual(ok.timeouts, [120_000, 4000, 120_000]);
  // A CRLF (a pong to our ping) waits for more bytes, but is no message: no message time.
  ok.emit('data', Buffer.from('\r\n'));
  assert.deepEqual(ok.timeouts, [120_000, 4000, 120_000]);
  now += 100_000;
  ok.emit('data', Buffer.from(msg));
  assert.equal(ok.destroyed, false);
  assert.equal(got.length, 2);

  // A trickle: a byte at a time, each within the inactivity timeout, the whole past the message time.
  const trickle = new TimedSocket();
  tcp.accept(trickle as unknown as Socket, '127.0.0.1', 5060);
  let i = 0;
  for (; i < 10 && !trickle.destroyed; i++) { trickle.emit('data', Buffer.from(msg[i] as string)); now += 1000; }
  assert.equal(trickle.destroyed, true);
  assert.equal(i, 6, 'closed at the first bytes after 4 s');
  assert.equal(slow(), 1);

  // A peer that goes quiet mid-message: the socket's timeout (now the message time) fires.
  const quiet = new TimedSocket();
  tcp.accept(quiet as unknown as Socket, '127.0.0.1', 5060);
  quiet.emit('data', Buffer.from(msg.slice(0, 20)));
  quiet.emit('timeout');
  assert.equal(quiet.destroyed, true);
  assert.equal(slow(), 2);
  assert.equal(got.length, 2);
});

const LIMITS = { idleTimeoutMs: 60_000, maxConnections: 10, maxBufferedBytesPerConnection: 1024, maxMessageBytes: 65535, maxMessageTimeMs: 4000 };

/**
 * A socket as Node's behaves for what TcpConnections uses: a write's callback runs on a later tick,
 * with the error of a failed write, and destroy() fails every write still buffered (Node's
 * errorBuffer: ERR_STREAM_DESTROYED). `failWrites`: the peer is gone (EPIPE), as when it reset.
 */
class FakeSocket extends StuckSocket {
  written: string[] = [];
  callbacks: Array<((err?: Error | null) => void) | undefined> = [];
  failWrites = false;
  reads = true;
  constructor(remoteAddress = '192.0.2.1', remotePort = 5060) { super(); this.remoteAddress = remoteAddress; this.remotePort = remotePort; }
  override write(b: Buffer, cb?: (err?: Error | null) => void): boolean {
    this.written.push(b.toString());
    this.callbacks.push(cb);
    if (this.failWrites) {
      const err = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      process.nextTick(() => { cb?.(err); this.destroy(); });
      return false;
    }
    if (this.reads) { process.nextTick(() => cb?.(null)); return true; }
    this.writableLength += b.length;
    return false;
  }
  override destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.reads) for (const cb of this.callbacks) process.nextTick(() => cb?.(Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' })));
    process.nextTick(() => this.emit('close'));
    return this;
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Watchers that record the Buffers they are told of. */
function watchers() {
  const failed: Buffer[] = [];
  return { failed, watcher: { sendFailed: (d: Buffer) => failed.push(d) } };
}

test('a peer\'s connection from the address:port we dialled hides neither: the newest alive one is used, and closing either leaves the other findable (Kamailio/OpenSIPS tcpconn lookup by ip, port, proto)', async () => {
  const dialled: FakeSocket[] = [];
  const tcp = new TcpConnections(LIMITS, () => {}, () => {}, new StatisticsRegistry(), Date.now, () => {
    const s = new FakeSocket();
    dialled.push(s);
    return s as unknown as Socket;
  });
  const to = { proto: 'tcp', address: '192.0.2.1', port: 5060 } as const;
  assert.equal(tcp.send(to, Buffer.from('one')), 'queued');
  const d = dialled[0] as FakeSocket;
  d.emit('connect');
  assert.deepEqual(d.written, ['one']);

  // The peer connects to us from the port we dialled (its listening port, as a proxy that binds its
  // outgoing connections to its listener does).
  const inbound = new FakeSocket();
  tcp.accept(inbound as unknown as Socket, '127.0.0.1', 5060);
  assert.equal(tcp.send(to, Buffer.from('two')), 'sent');
  assert.deepEqual(inbound.written, ['two'], 'the newest');

  // Destroyed, not yet closed: no longer alive, so not chosen.
  inbound.destroyed = true;
  assert.equal(tcp.send({ ...to, connectionId: 2 }, Buffer.from('three')), 'sent', 'nor for a response to a request it brought (§18.2.2)');
  inbound.emit('close');
  assert.equal(tcp.send(to, Buffer.from('four')), 'sent');
  assert.equal(tcp.sendIfConnected('192.0.2.1', 5060, Buffer.from('ping')), 'sent');
  assert.deepEqual(d.written, ['one', 'three', 'four', 'ping'], 'ours is still found once the peer\'s closed');
  assert.equal(dialled.length, 1, 'no second connection dialled');
  assert.equal(tcp.count(), 1);

  // The other order: ours closes first, the peer's stays findable.
  const again = new FakeSocket();
  tcp.accept(again as unknown as Socket, '127.0.0.1', 5060);
  d.destroy();
  await tick();
  assert.equal(tcp.send(to, Buffer.from('five')), 'sent');
  assert.deepEqual(again.written, ['five']);
  assert.equal(dialled.length, 1);
  assert.equal(tcp.count(), 1);
});

test('messages held during a connect that overflow the write cap when flushed reach their watchers (a local 503 at once, RFC 3263 §4.3); ones buffered when the cap closed the connection too', async () => {
  const errors: string[] = [];
  const sock = new FakeSocket();
  sock.reads = false;
  const tcp = new TcpConnections(LIMITS, () => {}, (_t, code) => errors.push(code), new StatisticsRegistry(), Date.now, () => sock as unknown as Socket);
  const to = { proto: 'tcp', address: '192.0.2.1', port: 5060 } as const;
  const w = watchers();
  const msgs = ['a', 'b', 'c'].map((x) => Buffer.from(x.repeat(600)));
  for (const m of msgs) assert.equal(tcp.send(to, m, w.watcher), 'queued');
  const reply = Buffer.from('r'.repeat(600));
  assert.equal(tcp.send(to, reply), 'queued', 'no watcher: as a reply is sent');
  sock.emit('connect');
  assert.equal(sock.destroyed, true, 'the second overflowed the cap');
  assert.deepEqual(w.failed, [msgs[1], msgs[2]], 'the ones never written, at once');
  await tick();
  assert.deepEqual(w.failed, [msgs[1], msgs[2], msgs[0]], 'and the one buffered when the connection closed');
  assert.ok(errors.length >= 2 && errors.every((c) => c === 'SIP_TRANSPORT_SEND_FAILED'), errors.join());
});

test('a write error on an established connection reaches the watcher of the message written (not timer B/F 32 s later); a send without a watcher (a reply) is written as before', async () => {
  const errors: string[] = [];
  const sock = new FakeSocket();
  const tcp = new TcpConnections(LIMITS, () => {}, (_t, code) => errors.push(code), new StatisticsRegistry(), Date.now, () => sock as unknown as Socket);
  const to = { proto: 'tcp', address: '192.0.2.1', port: 5060 } as const;
  const w = watchers();
  assert.equal(tcp.send(to, Buffer.from('first'), w.watcher), 'queued');
  sock.emit('connect');
  await tick();
  assert.deepEqual(w.failed, [], 'written: nothing to tell');
  sock.failWrites = true;
  const reply = Buffer.from('reply');
  assert.equal(tcp.send(to, reply), 'sent');
  assert.equal(sock.callbacks.at(-1), undefined, 'a reply is written without a callback');
  const req = Buffer.from('request');
  assert.equal(tcp.send(to, req, w.watcher), 'sent');
  assert.deepEqual(w.failed, [], 'never before send returned');
  await tick();
  assert.deepEqual(w.failed, [req], 'the very Buffer sent');
  assert.deepEqual(errors, ['SIP_TRANSPORT_SEND_FAILED']);
});
