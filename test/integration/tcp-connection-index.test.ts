/**
 * RFC 3261 §18 connection reuse on real sockets: a peer that connects to us from the address and
 * port we dialled (a proxy binding its outgoing connections to its listener) does not hide the
 * connection we dialled; once the peer's closes, ours is reused, not a second one dialled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TcpConnections, DEFAULT_TCP_LIMITS } from '../../src/sip/transport/tcp-connections.ts';
import { nullCounters } from '../../src/lib/counter.ts';

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const listen = (s: Server, port = 0) => new Promise<number>((r) => s.listen(port, '127.0.0.1', () => r((s.address() as { port: number }).port)));

test('an inbound connection from the address:port we dialled: the newest carries requests, and when it closes ours is found again', async () => {
  const tcp = new TcpConnections(DEFAULT_TCP_LIMITS, () => {}, () => {}, nullCounters);
  // Our listener, whose accepted socket the test hands to the table when it chooses.
  let held: Socket | undefined;
  const ours = createServer((s) => { held = s; });
  const oursPort = await listen(ours);
  // The peer: connects out from port P, then listens on P too (both bound with SO_REUSEADDR).
  const probe = createServer();
  const P = await listen(probe);
  await new Promise<void>((r) => probe.close(() => r()));
  const peerOut = connect({ host: '127.0.0.1', port: oursPort, localAddress: '127.0.0.1', localPort: P });
  await new Promise<void>((r) => peerOut.once('connect', () => r()));
  const peerIn: Array<{ sock: Socket; data: string }> = [];
  const peer = createServer((s) => { const e = { sock: s, data: '' }; peerIn.push(e); s.on('data', (d) => { e.data += d.toString(); }); });
  await listen(peer, P);
  let outData = '';
  peerOut.on('data', (d) => { outData += d.toString(); });
  try {
    const to = { proto: 'tcp', address: '127.0.0.1', port: P } as const;
    assert.equal(tcp.send(to, Buffer.from('dialled;')), 'queued');
    await until(() => peerIn[0]?.data === 'dialled;');
    await until(() => held !== undefined);
    tcp.accept(held as Socket, '127.0.0.1', oursPort);
    assert.equal(tcp.count(), 2);
    assert.equal(tcp.send(to, Buffer.from('newest;')), 'sent');
    await until(() => outData === 'newest;');
    peerOut.destroy();
    await until(() => tcp.count() === 1);
    assert.equal(tcp.send(to, Buffer.from('reused;')), 'sent', 'an established connection, not a new dial');
    await until(() => peerIn[0]?.data === 'dialled;reused;');
    assert.equal(peerIn.length, 1, 'no second connection');
  } finally {
    tcp.closeAll();
    peerOut.destroy();
    await Promise.all([ours, peer].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
});
