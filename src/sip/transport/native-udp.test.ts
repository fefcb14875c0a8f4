import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { NativeUdpSocket, nativeUdp, chooseUdpEngine } from './native-udp.ts';
import type { SendWatcher } from './types.ts';

const built = nativeUdp();
// CI builds the engine (npm ci) and says so: there a missing build is a failure, not a skip.
const required = process.env['SIPCLUSTER_REQUIRE_NATIVE_UDP'] === '1';
const skip = built === undefined && !required ? 'the native UDP engine is not built (node scripts/build-native.mjs): its tests skip' : false;
if (skip !== false) console.log(`# NOTICE: ${skip}`);

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Got { data: Buffer; address: string; port: number }
interface Late { data: Buffer; address: string; err: Error; watcher: SendWatcher | undefined; badTarget: boolean }

function open(family: 4 | 6, host: string, binding = built) {
  const got: Got[] = [];
  const errors: Error[] = [];
  const late: Late[] = [];
  const s = new NativeUdpSocket(binding as NonNullable<typeof built>, family, host, 0, 1 << 20,
    (data, address, port) => got.push({ data, address, port }),
    (err) => errors.push(err),
    (data, address, _port, err, watcher, badTarget) => late.push({ data, address, err, watcher, badTarget }));
  return { s, got, errors, late };
}

async function peer(type: 'udp4' | 'udp6', host: string): Promise<{ sock: Socket; got: Buffer[]; port: number }> {
  const sock = createSocket(type);
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return { sock, got, port: sock.address().port };
}

test('the engine is built where CI says it must be', { skip: !required && 'SIPCLUSTER_REQUIRE_NATIVE_UDP is not set (CI sets it)' }, () => {
  assert.ok(built !== undefined, 'native/build/Release/sip_udp.node did not load');
  assert.equal(chooseUdpEngine('auto'), process.env['SIPCLUSTER_UDP_ENGINE'] === 'dgram' ? 'dgram' : 'native');
});

test('a burst of 200 datagrams (several recvmmsg batches of 32) arrives whole, in order, each in a Buffer of its own, with its source', { skip }, async () => {
  const { s, got, errors } = open(4, '127.0.0.1');
  const p = await peer('udp4', '127.0.0.1');
  try {
    assert.equal(s.address, '127.0.0.1');
    assert.ok(s.port > 0, 'port 0 asks the kernel for one');
    for (let i = 0; i < 200; i++) p.sock.send(Buffer.from(`datagram ${i} ${'x'.repeat(i * 7)}`), s.port, '127.0.0.1');
    await until(() => got.length === 200);
    // Checked after the last batch: a Buffer that pointed into the shared arena would have changed.
    got.forEach((g, i) => {
      assert.equal(g.data.toString(), `datagram ${i} ${'x'.repeat(i * 7)}`);
      assert.equal(g.address, '127.0.0.1');
      assert.equal(g.port, p.port);
    });
    assert.notEqual(got[0]?.data.buffer, got[1]?.data.buffer, 'no shared backing store');
    assert.deepEqual(errors, []);
    const big = Buffer.alloc(65_507, 0x61);
    p.sock.send(big, s.port, '127.0.0.1');
    await until(() => got.length === 201);
    assert.equal(got[200]?.data.length, 65_507, 'the largest IPv4 payload fits a slot');
  } finally {
    p.sock.close();
    await s.close();
  }
});

test('IPv6: in and out, the source as inet_ntop writes it', { skip }, async () => {
  const { s, got } = open(6, '::1');
  const p = await peer('udp6', '::1');
  try {
    assert.equal(s.address, '::1');
    p.sock.send(Buffer.from('hello'), s.port, '::1');
    await until(() => got.length === 1);
    assert.equal(got[0]?.address, '::1');
    s.send(Buffer.from('back'), got[0]?.port as number, '::1');
    await until(() => p.got.length === 1);
    assert.equal(p.got[0]?.toString(), 'back');
  } finally {
    p.sock.close();
    await s.close();
  }
});

test('sendMany: one refused datagram (EMSGSIZE, an address of the other family, port 0) is told by index; the others leave, in order', { skip }, async () => {
  const { s } = open(4, '127.0.0.1');
  const p = await peer('udp4', '127.0.0.1');
  try {
    const datas = [Buffer.from('one'), Buffer.alloc(65_508), Buffer.from('two'), Buffer.from('three'), Buffer.from('four'), Buffer.from('five')];
    const ports = [p.port, p.port, p.port, p.port, 0, p.port];
    const addresses = ['127.0.0.1', '127.0.0.1', '::1', '127.0.0.1', '127.0.0.1', '127.0.0.1'];
    const refused: Array<[number, string | undefined, boolean]> = [];
    s.sendMany(datas, ports, addresses, undefined, 0, datas.length, (i, err, bad) => refused.push([i, (err as { code?: string }).code, bad]));
    assert.deepEqual(refused, [[1, 'EMSGSIZE', false], [2, 'EINVAL', true], [4, 'EINVAL', true]]);
    await until(() => p.got.length === 3);
    assert.deepEqual(p.got.map((b) => b.toString()), ['one', 'three', 'five']);
    // A range of the arrays: only datas[1..3) are looked at.
    refused.length = 0;
    s.sendMany([Buffer.from('x'), Buffer.from('six'), Buffer.from('seven'), Buffer.from('y')], [1, p.port, p.port, 1], ['bad', '127.0.0.1', '127.0.0.1', 'bad'], undefined, 1, 3, (i) => refused.push([i, undefined, false]));
    await until(() => p.got.length === 5);
    assert.deepEqual(p.got.slice(3).map((b) => b.toString()), ['six', 'seven']);
    assert.deepEqual(refused, []);
  } finally {
    p.sock.close();
    await s.close();
  }
});

test('a host name is resolved and sent, as dgram does; one that does not resolve is refused', { skip }, async () => {
  const { s } = open(4, '127.0.0.1');
  const p = await peer('udp4', '127.0.0.1');
  try {
    const errs: Error[] = [];
    s.send(Buffer.from('by name'), p.port, 'localhost', (e) => { if (e !== null) errs.push(e); });
    await until(() => p.got.length === 1);
    assert.equal(p.got[0]?.toString(), 'by name');
    s.send(Buffer.from('nowhere'), p.port, 'no-such-host.invalid', (e) => { if (e !== null) errs.push(e); });
    await until(() => errs.length === 1, 10_000);
  } finally {
    p.sock.close();
    await s.close();
  }
});

test('close: reading stops, later sends are refused (EBADF), the port is free again, a second close is a no-op', { skip }, async () => {
  const { s } = open(4, '127.0.0.1');
  const port = s.port;
  await s.close();
  await s.close();
  const refused: string[] = [];
  s.sendMany([Buffer.from('late')], [port], ['127.0.0.1'], undefined, 0, 1, (_i, err) => refused.push((err as { code?: string }).code ?? ''));
  assert.deepEqual(refused, ['EBADF']);
  const again = open(4, '127.0.0.1');
  await again.s.close();
  const p = await peer('udp4', '127.0.0.1');
  const rebind = new NativeUdpSocket(built as NonNullable<typeof built>, 4, '127.0.0.1', port, 0, () => {}, () => {}, () => {});
  await rebind.close();
  p.sock.close();
});

test('a port in use fails the open with EADDRINUSE, as dgram\'s bind does (listen-error.ts names the config key)', { skip }, async () => {
  const p = await peer('udp4', '127.0.0.1');
  try {
    assert.throws(() => new NativeUdpSocket(built as NonNullable<typeof built>, 4, '127.0.0.1', p.port, 0, () => {}, () => {}, () => {}), { code: 'EADDRINUSE' });
  } finally {
    p.sock.close();
  }
});

/** A binding whose send buffer is full until `drain()`: the kernel's EAGAIN, on demand. */
function fullBufferBinding() {
  const real = built as NonNullable<typeof built>;
  const sent: string[] = [];
  let room = 0;
  let onWritable: (() => void) | undefined;
  let armed = 0;
  const fake = {
    ...real,
    open: (...args: Parameters<typeof real.open>) => { onWritable = args[8]; return [{}, 5060, '127.0.0.1'] as [unknown, number, string]; },
    sendBatch: (_ep: unknown, datas: readonly Buffer[], _ports: readonly number[], _a: readonly string[], from: number, to: number, errs: Int32Array) => {
      let i = from;
      for (; i < to && room > 0; i++, room--) { sent.push(String(datas[i])); errs[i - from] = 0; }
      return i;
    },
    armWritable: () => { armed++; },
    close: (_ep: unknown) => {},
  };
  return { fake, sent, armed: () => armed, drain: (n: number) => { room = n; onWritable?.(); } };
}

test('a full send buffer (EAGAIN): what is not taken waits, later sends queue behind it in order, and all leave once writable', { skip }, () => {
  const f = fullBufferBinding();
  const { s, late } = open(4, '127.0.0.1', f.fake);
  const b = (t: string) => Buffer.from(t);
  s.sendMany([b('a'), b('b'), b('c')], [1, 1, 1], ['127.0.0.1', '127.0.0.1', '127.0.0.1'], undefined, 0, 3, () => assert.fail('no refusal'));
  assert.deepEqual(f.sent, []);
  assert.equal(f.armed(), 1);
  s.sendMany([b('d')], [1], ['127.0.0.1'], undefined, 0, 1, () => assert.fail('no refusal'));
  assert.deepEqual(f.sent, [], 'behind the held ones, not before them');
  f.drain(2);
  assert.deepEqual(f.sent, ['a', 'b']);
  assert.equal(f.armed(), 2, 'armed again for the rest');
  f.drain(10);
  assert.deepEqual(f.sent, ['a', 'b', 'c', 'd']);
  assert.deepEqual(late, []);
});

test('a full send buffer: beyond 8 192 held datagrams each is dropped and told (ENOBUFS, its watcher); close tells the held ones (EBADF)', { skip }, async () => {
  const f = fullBufferBinding();
  const { s, late, errors } = open(4, '127.0.0.1', f.fake);
  const n = 8192 + 3;
  const datas = Array.from({ length: n }, (_, i) => Buffer.from(String(i)));
  const watcher: SendWatcher = { sendFailed: () => {} };
  const watchers = datas.map(() => watcher);
  s.sendMany(datas, datas.map(() => 1), datas.map(() => '127.0.0.1'), watchers, 0, n, () => assert.fail('no immediate refusal'));
  assert.equal(late.length, 3);
  assert.deepEqual(late.map((l) => [String(l.data), (l.err as { code?: string }).code, l.watcher === watcher]), [['8192', 'ENOBUFS', true], ['8193', 'ENOBUFS', true], ['8194', 'ENOBUFS', true]]);
  assert.equal(errors.length, 0, 'told once, as a late refusal (the transport counts it there)');
  const closing = s.close();
  assert.equal(late.length, 3 + 8192, 'every held datagram is told at close');
  assert.equal((late[3]?.err as { code?: string }).code, 'EBADF');
  void closing;
});

test('a refusal\'s listener that sends again queues behind the datagrams the full buffer did not take; one that closes the socket has them refused (EBADF)', { skip }, () => {
  const real = built as NonNullable<typeof built>;
  const sent: string[] = [];
  let room = 1;
  let onWritable: (() => void) | undefined;
  const fake = {
    ...real,
    open: (...args: Parameters<typeof real.open>) => { onWritable = args[8]; return [{}, 5060, '127.0.0.1'] as [unknown, number, string]; },
    // Datagram 'bad' is refused (EHOSTUNREACH); the buffer takes `room` datagrams, then EAGAIN.
    sendBatch: (_ep: unknown, datas: readonly Buffer[], _p: readonly number[], _a: readonly string[], from: number, to: number, errs: Int32Array) => {
      let i = from;
      for (; i < to; i++) {
        if (String(datas[i]) === 'bad') { errs[i - from] = 113; continue; }
        if (room === 0) return i;
        room--;
        errs[i - from] = 0;
        sent.push(String(datas[i]));
      }
      return i;
    },
    armWritable: () => {},
    close: () => {},
  };
  const { s, late } = open(4, '127.0.0.1', fake);
  const b = (t: string) => Buffer.from(t);
  const addr = ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1'];
  s.sendMany([b('a'), b('bad'), b('c'), b('d')], [1, 1, 1, 1], addr, undefined, 0, 4, (i, err) => {
    assert.equal(i, 1);
    assert.equal((err as { code?: string }).code, 'EHOSTUNREACH');
    s.send(b('retry'), 1, '127.0.0.1');
  });
  room = 10;
  onWritable?.();
  assert.deepEqual(sent, ['a', 'c', 'd', 'retry'], 'the retry after the held c and d');

  const second = open(4, '127.0.0.1', fake);
  room = 0;
  second.s.sendMany([b('bad'), b('x'), b('y')], [1, 1, 1], addr, undefined, 0, 3, () => { void second.s.close(); });
  assert.deepEqual(second.late.map((l) => [String(l.data), (l.err as { code?: string }).code]), [['x', 'EBADF'], ['y', 'EBADF']]);
  assert.deepEqual(late, []);
});

test('the binding itself: calls on an endpoint whose close completed find it closed (no use of freed memory), a foreign external is refused', { skip }, async () => {
  const b = built as NonNullable<typeof built>;
  let closed = 0;
  const [ep] = b.open(4, '127.0.0.1', 0, 0, Buffer.alloc(b.BATCH * b.SLOT), new Int32Array(b.BATCH * b.META_INTS), Buffer.alloc(b.BATCH * b.NAME), () => {}, () => {}, () => { closed++; });
  b.close(ep);
  await until(() => closed === 1);
  b.close(ep);
  b.armWritable(ep);
  assert.throws(() => b.sendBatch(ep, [Buffer.from('x')], [5060], ['127.0.0.1'], 0, 1, new Int32Array(1)), { code: 'ERR_SIPUDP_CLOSED' });
  assert.equal(closed, 1);
  assert.throws(() => b.sendBatch({}, [], [], [], 0, 0, new Int32Array(1)), { code: 'ERR_SIPUDP_CLOSED' });
  assert.throws(() => b.open(4, '127.0.0.1', 70_000, 0, Buffer.alloc(b.BATCH * b.SLOT), new Int32Array(b.BATCH * b.META_INTS), Buffer.alloc(b.BATCH * b.NAME), () => {}, () => {}, () => {}), /port/);
});

test('a worker thread that ends with endpoints open (terminated, process.exit, with a close under way) takes them down; the process lives on', { skip }, () => {
  // Node aborts the whole process when a worker's loop closes with a handle still open
  // ("uv_loop_close() while having open handles"): the engine closes its poll handles from an
  // environment cleanup hook. Run in a child process, so that a regression fails this test
  // instead of aborting the test runner.
  const addon = fileURLToPath(new URL('../../../native/build/Release/sip_udp.node', import.meta.url));
  const worker = `
    const b = require(${JSON.stringify(addon)});
    const { parentPort, workerData } = require('node:worker_threads');
    const dgram = require('node:dgram');
    const open = () => b.open(4, '127.0.0.1', 0, 0, Buffer.alloc(b.BATCH * b.SLOT), new Int32Array(b.BATCH * b.META_INTS), Buffer.alloc(b.BATCH * b.NAME), () => {}, () => {}, () => {});
    const [ep, port] = open();
    const [ep2] = open();
    // Datagrams keep arriving while the thread ends.
    const tx = dgram.createSocket('udp4');
    setInterval(() => tx.send('x', port, '127.0.0.1'), 1);
    if (workerData === 'closing') b.close(ep2);
    // A close still under way when the thread ends (its callback never ran).
    if (workerData === 'close-exit') { b.close(ep2); process.exit(0); }
    if (workerData === 'exit') setTimeout(() => process.exit(0), 20);
    else parentPort.postMessage(port);
  `;
  const main = `
    const { Worker } = require('node:worker_threads');
    (async () => {
      for (const how of ['terminate', 'closing', 'exit', 'close-exit', 'terminate']) {
        const w = new Worker(${JSON.stringify(worker)}, { eval: true, workerData: how });
        if (how === 'exit' || how === 'close-exit') await new Promise((r) => w.once('exit', r));
        else { await new Promise((r) => w.once('message', r)); await new Promise((r) => setTimeout(r, 20)); await w.terminate(); }
      }
      console.log('survived');
    })();
  `;
  const r = spawnSync(process.execPath, ['-e', main], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `child ended with ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(0, 600)}`);
  assert.match(r.stdout, /survived/);
});
