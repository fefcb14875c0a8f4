import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { lookup } from 'node:dns/promises';
import { StatisticsRegistry } from '../../mgmt/statistics.ts';
import { SipTransport } from './sip-transport.ts';
import type { ReceiveInfo, SendTarget } from './types.ts';

const sip = (body = '') => Buffer.from(`OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bKx\r\nContent-Length: ${body.length}\r\n\r\n${body}`);

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function makeTransport(limits?: Partial<{ idleTimeoutMs: number; maxConnections: number }>) {
  const got: Array<{ data: string; info: ReceiveInfo }> = [];
  const errors: Array<{ target: SendTarget; code: string }> = [];
  const stats = new StatisticsRegistry();
  const t = new SipTransport((data, info) => got.push({ data: data.toString(), info }), (target, code) => errors.push({ target, code }), stats, {
    idleTimeoutMs: limits?.idleTimeoutMs ?? 60_000, maxConnections: limits?.maxConnections ?? 100,
    maxBufferedBytesPerConnection: 1 << 20, maxMessageBytes: 65535, maxMessageTimeMs: 4000,
  });
  return { t, got, errors, stats };
}

test('UDP on IPv4 and IPv6: datagrams in, datagrams out', async () => {
  const { t, got } = makeTransport();
  const ls = await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '::1', port: 0 }]);
  try {
    for (const l of ls) {
      const c = createSocket(l.family === 'IPv6' ? 'udp6' : 'udp4');
      const reply = new Promise<string>((r) => c.once('message', (m) => r(m.toString())));
      c.send(sip('hi'), l.port, l.address);
      await until(() => got.some((g) => g.info.localAddress === l.address));
      const g = got.find((x) => x.info.localAddress === l.address);
      assert.equal(g?.info.proto, 'udp');
      t.send({ proto: 'udp', address: g?.info.remoteAddress ?? '', port: g?.info.remotePort ?? 0 }, Buffer.from('pong'));
      assert.equal(await reply, 'pong');
      c.close();
    }
  } finally {
    await t.close();
  }
});

test('UDP: a literal destination is answered by our own lookup, a host name still goes through dns.lookup', async () => {
  const { t } = makeTransport();
  await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }]);
  const c = createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  try {
    const got: string[] = [];
    c.on('message', (m) => got.push(m.toString()));
    const port = c.address().port;
    assert.equal(t.send({ proto: 'udp', address: '127.0.0.1', port }, Buffer.from('literal')), 'sent');
    // 127.0.0.2 is loopback too, but the socket is bound to 127.0.0.1: use a name that resolves to it.
    assert.equal(t.send({ proto: 'udp', address: 'localhost', port }, Buffer.from('name')), 'sent');
    await until(() => got.includes('literal'));
    // The name arrives when it resolves to 127.0.0.1 for an IPv4 socket (it does on Debian's /etc/hosts).
    const v4 = await lookup('localhost', { family: 4 }).catch(() => undefined);
    if (v4?.address === '127.0.0.1') await until(() => got.includes('name'));
  } finally {
    c.close();
    await t.close();
  }
});

test('TCP: framing, responses on the same connection, keep-alive pong, connection reuse', async () => {
  const { t, got, stats } = makeTransport();
  const [l] = await t.listen([{ proto: 'tcp', host: '127.0.0.1', port: 0 }]);
  try {
    const sock = connect(l?.port ?? 0, '127.0.0.1');
    let received = '';
    sock.on('data', (d) => { received += d.toString(); });
    await new Promise((r) => sock.once('connect', r));
    sock.write(Buffer.concat([sip('one'), Buffer.from('\r\n\r\n'), sip('two').subarray(0, 10)]));
    sock.write(sip('two').subarray(10));
    await until(() => got.length === 2);
    assert.deepEqual(got.map((g) => g.data.endsWith('one') || g.data.endsWith('two')), [true, true]);
    const first = got[0]?.info;
    assert.ok(first?.connectionId !== undefined);
    assert.equal(t.send({ proto: 'tcp', address: '127.0.0.1', port: 1, connectionId: first.connectionId }, Buffer.from('RESP')), 'sent');
    // Same remote address without the id also reuses the connection (RFC 3261 §18.2.2).
    assert.equal(t.send({ proto: 'tcp', address: first.remoteAddress, port: first.remotePort }, Buffer.from('MORE')), 'sent');
    await until(() => received.includes('MORE'));
    assert.equal(received, '\r\nRESPMORE');
    assert.equal(t.tcpConnectionCount(), 1);
    assert.equal(stats.get(['net:tcp_connections'])['net:tcp_connections'], 1);
    sock.destroy();
  } finally {
    await t.close();
  }
});

test('TCP sendOnTcpConnection: writes on the accepted connection to that peer, never dials one (NAT keep-alive)', async () => {
  const { t, got } = makeTransport();
  const [l] = await t.listen([{ proto: 'tcp', host: '127.0.0.1', port: 0 }]);
  // A peer that listens: a dial to it would be accepted, so a connection opened by mistake shows.
  let accepted = 0;
  const other = createServer((s) => { accepted++; s.destroy(); });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  const otherPort = (other.address() as { port: number }).port;
  try {
    const sock = connect(l?.port ?? 0, '127.0.0.1');
    let received = '';
    sock.on('data', (d) => { received += d.toString('latin1'); });
    await new Promise((r) => sock.once('connect', r));
    sock.write(sip('hello'));
    await until(() => got.length === 1);
    const peer = got[0]?.info;
    assert.ok(peer);
    assert.equal(t.sendOnTcpConnection(peer.remoteAddress, peer.remotePort, Buffer.from('\r\n\r\n')), 'sent');
    await until(() => received === '\r\n\r\n');
    assert.equal(t.sendOnTcpConnection('127.0.0.1', otherPort, Buffer.from('\r\n\r\n')), 'no-connection');
    assert.equal(t.sendOnTcpConnection('127.0.0.1', 0, Buffer.from('x')), 'bad-target');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(accepted, 0, 'no connection opened to a peer without one');
    assert.equal(t.tcpConnectionCount(), 1);
    const closed = new Promise((r) => sock.once('close', r));
    sock.destroy();
    await closed;
    await until(() => t.tcpConnectionCount() === 0);
    assert.equal(t.sendOnTcpConnection(peer.remoteAddress, peer.remotePort, Buffer.from('\r\n\r\n')), 'no-connection', 'gone with its connection');
  } finally {
    other.close();
    await t.close();
  }
});

test('TCP: a stream that breaks framing is closed and counted', async () => {
  const { t, stats } = makeTransport();
  const [l] = await t.listen([{ proto: 'tcp', host: '127.0.0.1', port: 0 }]);
  try {
    const sock = connect(l?.port ?? 0, '127.0.0.1');
    sock.on('error', () => {});
    const closed = new Promise((r) => sock.once('close', r));
    sock.write('OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n');
    await closed;
    assert.equal(stats.get(['sip:dropped_tcp_framing'])['sip:dropped_tcp_framing'], 1);
  } finally {
    await t.close();
  }
});

test('TCP: dialling out, idle timeout, connection cap, and a failed connect reported for a 503', async () => {
  const server = makeTransport();
  const [l] = await server.t.listen([{ proto: 'tcp', host: '127.0.0.1', port: 0 }]);
  const client = makeTransport({ idleTimeoutMs: 200, maxConnections: 1 });
  try {
    assert.equal(client.t.send({ proto: 'tcp', address: '127.0.0.1', port: l?.port ?? 0 }, sip('dial')), 'queued');
    await until(() => server.got.length === 1);
    assert.equal(client.t.send({ proto: 'tcp', address: '127.0.0.1', port: l?.port ?? 0 }, sip('again')), 'sent');
    await until(() => server.got.length === 2);
    assert.equal(client.t.send({ proto: 'tcp', address: '127.0.0.2', port: 9 }, sip('x')), 'overloaded', 'cap of one connection');
    await until(() => client.t.tcpConnectionCount() === 0, 3000);
    client.t.send({ proto: 'tcp', address: '127.0.0.1', port: 1 }, sip('nobody'));
    await until(() => client.errors.length === 1);
    assert.equal(client.errors[0]?.code, 'SIP_TRANSPORT_CONNECT_FAILED');
  } finally {
    await client.t.close();
    await server.t.close();
  }
});

test('a target with port 0 (valid SIP grammar, refused by Node) is refused and counted, never thrown: UDP and TCP', async () => {
  const { t, stats } = makeTransport();
  await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }]);
  try {
    for (const proto of ['udp', 'tcp'] as const) {
      for (const port of [0, 65536, -1]) assert.equal(t.send({ proto, address: '127.0.0.1', port }, Buffer.from('x')), 'bad-target', `${proto} ${port}`);
    }
    assert.equal(stats.get(['net:bad_send_targets'])['net:bad_send_targets'], 6);
  } finally {
    await t.close();
  }
});

test('UDP sendUdpFrom: the datagram leaves from the named listener, not the first one; an unknown one is no-listener', async () => {
  const { t } = makeTransport();
  const [first, second] = await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '127.0.0.1', port: 0 }]);
  assert.ok(first !== undefined && second !== undefined);
  const c = createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  try {
    const from = new Promise<number>((r) => c.once('message', (_m, rinfo) => r(rinfo.port)));
    const target: SendTarget = { proto: 'udp', address: '127.0.0.1', port: c.address().port };
    assert.equal(t.sendUdpFrom(second.address, second.port, target, Buffer.from('\r\n\r\n')), 'sent');
    assert.equal(await from, second.port);
    assert.equal(t.sendUdpFrom('127.0.0.1', 1, target, Buffer.from('x')), 'no-listener');
    assert.equal(t.sendUdpFrom(second.address, second.port, { ...target, port: 0 }, Buffer.from('x')), 'bad-target');
  } finally {
    c.close();
    await t.close();
  }
});

test('UDP send from a named listener (RFC 3581 §4): the one named, else the default of the family, counted', async () => {
  const { t, stats } = makeTransport();
  const [first, second, v6] = await t.listen([
    { proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '::1', port: 0 },
  ]);
  assert.ok(first !== undefined && second !== undefined && v6 !== undefined);
  const c = createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  const from: number[] = [];
  c.on('message', (_m, rinfo) => from.push(rinfo.port));
  const fallbacks = () => stats.get(['net:udp_send_socket_fallbacks'])['net:udp_send_socket_fallbacks'];
  try {
    const to: SendTarget = { proto: 'udp', address: '127.0.0.1', port: c.address().port };
    assert.equal(t.send({ ...to, localAddress: second.address, localPort: second.port }, Buffer.from('a')), 'sent');
    await until(() => from.length === 1);
    assert.equal(from[0], second.port, 'from the listener named');
    assert.equal(t.send({ ...to, localAddress: first.address, localPort: first.port }, Buffer.from('b')), 'sent');
    assert.equal(t.send(to, Buffer.from('c')), 'sent');
    await until(() => from.length === 3);
    assert.deepEqual(from.slice(1), [first.port, first.port], 'the default, named or not');
    assert.equal(fallbacks(), 0);
    // A listener that does not exist, and one of the other family: the default sends, and it is counted.
    assert.equal(t.send({ ...to, localAddress: '127.0.0.1', localPort: 1 }, Buffer.from('d')), 'sent');
    assert.equal(t.send({ ...to, localAddress: v6.address, localPort: v6.port }, Buffer.from('e')), 'sent');
    await until(() => from.length === 5);
    assert.deepEqual(from.slice(3), [first.port, first.port]);
    assert.equal(fallbacks(), 2);
  } finally {
    c.close();
    await t.close();
  }
});

test('UDP send on a one-listener node: a named listener that is the only one sends as before, no fallback counted', async () => {
  const { t, stats } = makeTransport();
  const [only] = await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }]);
  assert.ok(only !== undefined);
  const c = createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  const from: number[] = [];
  c.on('message', (_m, rinfo) => from.push(rinfo.port));
  try {
    const to: SendTarget = { proto: 'udp', address: '127.0.0.1', port: c.address().port };
    assert.equal(t.send(to, Buffer.from('a')), 'sent');
    assert.equal(t.send({ ...to, localAddress: only.address, localPort: only.port }, Buffer.from('b')), 'sent');
    await until(() => from.length === 2);
    assert.deepEqual(from, [only.port, only.port]);
    assert.equal(stats.get(['net:udp_send_socket_fallbacks'])['net:udp_send_socket_fallbacks'], 0);
  } finally {
    c.close();
    await t.close();
  }
});

test('UDP: a datagram over the largest payload (65 507 bytes IPv4, 65 527 IPv6; the kernel says EMSGSIZE) is refused at once, counted and reported; one at the limit goes', async () => {
  const { t, stats, errors } = makeTransport();
  const [v4, v6] = await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '::1', port: 0 }]);
  assert.ok(v4 !== undefined && v6 !== undefined);
  const c4 = createSocket('udp4');
  const c6 = createSocket({ type: 'udp6', ipv6Only: true });
  await new Promise<void>((r) => c4.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => c6.bind(0, '::1', () => r()));
  const sizes: number[] = [];
  c4.on('message', (m) => sizes.push(m.length));
  c6.on('message', (m) => sizes.push(m.length));
  const tooLarge = () => stats.get(['net:udp_too_large'])['net:udp_too_large'];
  try {
    const to4: SendTarget = { proto: 'udp', address: '127.0.0.1', port: c4.address().port };
    const to6: SendTarget = { proto: 'udp', address: '::1', port: c6.address().port };
    assert.equal(t.send(to4, Buffer.alloc(65_508)), 'too-large');
    assert.equal(t.send(to6, Buffer.alloc(65_528)), 'too-large');
    assert.equal(t.sendUdpFrom(v4.address, v4.port, to4, Buffer.alloc(70_000)), 'too-large');
    assert.equal(tooLarge(), 3);
    assert.deepEqual(errors.map((e) => [e.code, e.target.address]), [
      ['SIP_TRANSPORT_MESSAGE_TOO_LARGE', '127.0.0.1'], ['SIP_TRANSPORT_MESSAGE_TOO_LARGE', '::1'], ['SIP_TRANSPORT_MESSAGE_TOO_LARGE', '127.0.0.1'],
    ]);
    assert.equal(t.send(to4, Buffer.alloc(65_507)), 'sent');
    assert.equal(t.send(to6, Buffer.alloc(65_527)), 'sent');
    await until(() => sizes.length === 2);
    assert.deepEqual(sizes.sort(), [65_507, 65_527]);
    assert.equal(tooLarge(), 3);
  } finally {
    c4.close();
    c6.close();
    await t.close();
  }
});

test('a failure found after send returned reaches the watcher given with that message: a TCP connect refused, a datagram the kernel refuses at flush (EACCES)', async () => {
  const { t, stats, errors } = makeTransport();
  await t.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }]);
  const failed: Buffer[] = [];
  const watcher = { sendFailed: (d: Buffer) => { failed.push(d); } };
  try {
    const tcp = sip('nobody');
    assert.equal(t.send({ proto: 'tcp', address: '127.0.0.1', port: 1 }, tcp, watcher), 'queued');
    await until(() => failed.length === 1);
    assert.equal(failed[0], tcp, 'the very Buffer sent');
    // Broadcast without SO_BROADCAST: the kernel refuses it when the queue flushes.
    const udp = sip('broadcast');
    assert.equal(t.send({ proto: 'udp', address: '255.255.255.255', port: 5060 }, udp, watcher), 'sent');
    await until(() => failed.length === 2);
    assert.equal(failed[1], udp);
    assert.equal(stats.get(['net:udp_send_errors'])['net:udp_send_errors'], 1);
    assert.deepEqual(errors.map((e) => e.code), ['SIP_TRANSPORT_CONNECT_FAILED', 'SIP_TRANSPORT_SEND_FAILED']);
    assert.deepEqual(errors[1]?.target, { proto: 'udp', address: '255.255.255.255', port: 5060 });
  } finally {
    await t.close();
  }
});

test('UDP: a listener given a host name binds its IPv4 address, as node:dgram does', async () => {
  const { t, got } = makeTransport();
  const v4 = await lookup('localhost', { family: 4 }).catch(() => undefined);
  if (v4 === undefined) return;
  const [l] = await t.listen([{ proto: 'udp', host: 'localhost', port: 0 }]);
  try {
    assert.equal(l?.address, v4.address);
    const c = createSocket('udp4');
    c.send(sip('named'), l?.port as number, v4.address);
    await until(() => got.length === 1);
    c.close();
  } finally {
    await t.close();
  }
});
