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
  const tcp = new TcpConnections({ idleTimeoutMs: 60_000, maxConnections: 10, maxBufferedBytesPerConnection: 1024, maxMessageBytes: 65535 }, () => {}, () => {}, stats);
  const s = new StuckSocket();
  tcp.accept(s as unknown as Socket, '127.0.0.1', 5060);
  const pings = Buffer.from('\r\n\r\n'.repeat(1024));
  for (let i = 0; i < 100 && !s.destroyed; i++) s.emit('data', pings);
  assert.equal(s.destroyed, true);
  assert.ok(s.writableLength <= 1024, `${s.writableLength} bytes buffered`);
  assert.equal(stats.get(['net:tcp_write_overflow'])['net:tcp_write_overflow'], 1, 'counted');
});
