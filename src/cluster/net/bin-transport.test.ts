import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { realClock } from '../../lib/real-time.ts';
import type { CounterFactory } from '../../lib/counter.ts';
import { encodeBinMessage } from '../wire/index.ts';
import { BinTransport } from './bin-transport.ts';
import type { PacketSource } from './bin-transport.ts';

function counters(): CounterFactory & { values: Map<string, number> } {
  const values = new Map<string, number>();
  const inc = (name: string) => (by = 1) => void values.set(name, (values.get(name) ?? 0) + by);
  return { values, counter: (n) => ({ inc: inc(n) }), gauge: (n) => ({ inc: inc(n), dec: () => {}, set: (v) => void values.set(n, v) }) };
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ping = (src: number): Buffer => encodeBinMessage({ kind: 'ping', clusterId: 1, sourceNodeId: src, requestNodeList: true });

test('BinTransport over a real socket: split and merged packets come out whole; a hostile stream closes only its own connection and counts the drop', async () => {
  const got: Array<{ p: Buffer; from: PacketSource }> = [];
  const c = counters();
  const t = new BinTransport({
    listen: { tls: false, host: '127.0.0.1', port: 0 }, allowNetworks: [], maxQueuedBytes: 1 << 20,
    reconnectMinMs: 50, reconnectMaxMs: 500, connectTimeoutMs: 500, clock: realClock, counters: c,
    onPacket: (p, from) => got.push({ p: Buffer.from(p), from }), onLinkBroken: () => {},
  });
  const { port } = await t.start();
  const open = (): Promise<Socket> => new Promise((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)); });
  const good = await open();
  const bad = await open();
  let badClosed = false;
  bad.on('close', () => { badClosed = true; });
  bad.on('error', () => {});
  try {
    const a = ping(2);
    // one packet in three writes, then two packets in one write
    good.write(a.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 10));
    good.write(a.subarray(3, 12));
    await new Promise((r) => setTimeout(r, 10));
    good.write(a.subarray(12));
    good.write(Buffer.concat([ping(3), ping(4)]));
    await until('three packets', () => got.length === 3);
    assert.deepEqual(got.map((g, i) => g.p.equals(ping(2 + i))), [true, true, true]);
    assert.equal(got[0]?.from.outbound, false);

    bad.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await until('the hostile connection to close', () => badClosed);
    const drops = [...c.values].filter(([k]) => k.startsWith('clusterer:drop_CLUSTER_WIRE_'));
    assert.equal(drops.length, 1, `drop counters: ${JSON.stringify([...c.values])}`);
    assert.equal(drops[0]?.[1], 1);

    good.write(ping(5));
    await until('the good connection still delivers', () => got.length === 4);
    assert.ok(!good.destroyed);
  } finally {
    good.destroy();
    bad.destroy();
    await t.stop();
  }
});

test('BinTransport: a refused dial backs off instead of reconnecting on every send', async () => {
  const t = new BinTransport({
    listen: { tls: false, host: '127.0.0.1', port: 0 }, allowNetworks: [], maxQueuedBytes: 1 << 20,
    reconnectMinMs: 10_000, reconnectMaxMs: 20_000, connectTimeoutMs: 500, clock: realClock, counters: counters(),
    onPacket: () => {}, onLinkBroken: () => {},
  });
  const { port } = await t.start();
  await t.stop();
  const t2 = new BinTransport({
    listen: { tls: false, host: '127.0.0.1', port: 0 }, allowNetworks: [], maxQueuedBytes: 1 << 20,
    reconnectMinMs: 10_000, reconnectMaxMs: 20_000, connectTimeoutMs: 500, clock: realClock, counters: counters(),
    onPacket: () => {}, onLinkBroken: () => {},
  });
  await t2.start();
  try {
    const url = { tls: false, host: '127.0.0.1', port };
    assert.equal(t2.send(9, url, ping(1)), 'queued');
    await until('the refused dial to close', () => t2.connectionCount() === 0);
    assert.equal(t2.send(9, url, ping(1)), 'backoff');
  } finally {
    await t2.stop();
  }
});

test('a stranger cannot hold inbound connections without bound: a packet begun must finish in time, silence closes, and past the limit connections are refused', async () => {
  const c = counters();
  const t = new BinTransport({
    listen: { tls: false, host: '127.0.0.1', port: 0 }, allowNetworks: [], maxQueuedBytes: 1 << 20,
    reconnectMinMs: 50, reconnectMaxMs: 500, connectTimeoutMs: 500, clock: realClock, counters: c,
    maxInboundConnections: 3, maxPacketTimeMs: 200, inboundIdleMs: 400,
    onPacket: () => {}, onLinkBroken: () => {},
  });
  const { port } = await t.start();
  const socks: Socket[] = [];
  const closed = new Set<Socket>();
  const open = (): Promise<Socket> => new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
    s.on('close', () => closed.add(s));
    socks.push(s);
  });
  try {
    // A prefix declaring 65515 bytes, and nothing after it.
    const half = await open();
    half.write(Buffer.from([0x50, 0x34, 0x43, 0x4b, 0xeb, 0xff, 0x00, 0x00]));
    // A connection that says nothing at all.
    const quiet = await open();
    const third = await open();
    await until('three inbound connections', () => t.connectionCount() === 3);
    const fourth = await open();
    await until('the fourth refused', () => closed.has(fourth));
    assert.equal(c.values.get('clusterer:refused_connections'), 1);
    await until('the half packet timed out', () => closed.has(half), 2000);
    assert.equal(c.values.get('clusterer:drop_CLUSTER_NET_PACKET_TIMEOUT'), 1);
    await until('the silent ones closed', () => closed.has(quiet) && closed.has(third), 2000);
    await until('room again', () => t.connectionCount() === 0);
    const again = await open();
    again.write(ping(2));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!closed.has(again), 'a new connection is taken once the others are gone');
  } finally {
    for (const s of socks) s.destroy();
    await t.stop();
  }
});
