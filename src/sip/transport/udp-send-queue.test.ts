import { strict as assert } from 'node:assert';
import { createSocket, type Socket } from 'node:dgram';
import { describe, test } from 'node:test';
import { UdpSendQueue } from './udp-send-queue.ts';

/** A socket stand-in that records what it was asked to send, or throws. */
function fakeSocket(log: string[], name: string, throws = false): Socket {
  return { send: (d: Buffer, port: number, address: string) => { if (throws) throw new Error('ERR_SOCKET_DGRAM_NOT_RUNNING'); log.push(`${name} ${address}:${port} ${d.toString()}`); } } as unknown as Socket;
}

describe('UdpSendQueue', () => {
  test('holds datagrams until the scheduled flush, then sends them in order, each from its own socket', () => {
    const log: string[] = [];
    const scheduled: Array<() => void> = [];
    const q = new UdpSendQueue(() => assert.fail('no error expected'), (fn) => scheduled.push(fn));
    const a = fakeSocket(log, 'a');
    const b = fakeSocket(log, 'b');
    q.push(a, Buffer.from('1'), 5060, '127.0.0.1');
    q.push(b, Buffer.from('2'), 5062, '::1');
    q.push(a, Buffer.from('3'), 5064, '127.0.0.2');
    assert.deepEqual(log, [], 'nothing leaves inside the turn');
    assert.equal(scheduled.length, 1, 'one flush per burst, not one per datagram');
    assert.equal(q.size, 3);
    scheduled[0]!();
    assert.deepEqual(log, ['a 127.0.0.1:5060 1', 'b ::1:5062 2', 'a 127.0.0.2:5064 3']);
    assert.equal(q.size, 0);
    q.push(a, Buffer.from('4'), 5060, '127.0.0.1');
    assert.equal(scheduled.length, 2, 'the next burst schedules again');
  });

  test('a burst reaching the cap is flushed at once (memory and delay stay bounded)', () => {
    const log: string[] = [];
    const scheduled: Array<() => void> = [];
    const q = new UdpSendQueue(() => {}, (fn) => scheduled.push(fn), 4);
    const a = fakeSocket(log, 'a');
    for (let i = 0; i < 9; i++) q.push(a, Buffer.from(String(i)), 5060, '127.0.0.1');
    assert.equal(log.length, 8);
    assert.equal(q.size, 1);
    for (const fn of scheduled) fn();
    assert.deepEqual(log.map((l) => l.split(' ')[2]), ['0', '1', '2', '3', '4', '5', '6', '7', '8']);
  });

  test('a send that throws at flush time is counted, and the rest of the batch still goes', () => {
    const log: string[] = [];
    let errors = 0;
    const scheduled: Array<() => void> = [];
    const q = new UdpSendQueue(() => errors++, (fn) => scheduled.push(fn));
    q.push(fakeSocket(log, 'a'), Buffer.from('1'), 5060, '127.0.0.1');
    q.push(fakeSocket(log, 'closed', true), Buffer.from('2'), 5060, '127.0.0.1');
    q.push(fakeSocket(log, 'a'), Buffer.from('3'), 5060, '127.0.0.1');
    assert.doesNotThrow(() => scheduled[0]!());
    assert.equal(errors, 1);
    assert.deepEqual(log, ['a 127.0.0.1:5060 1', 'a 127.0.0.1:5060 3']);
  });

  test('a watched datagram is sent with a completion callback and its failure reaches its watcher; an unwatched one gets no callback (none costs a call per datagram)', () => {
    const scheduled: Array<() => void> = [];
    const refused: string[] = [];
    const q = new UdpSendQueue(() => assert.fail('no throw expected'), (fn) => scheduled.push(fn), 64, (address, port, err) => refused.push(`${address}:${port} ${err.message}`));
    const callbacks: Array<((err: Error | null) => void) | undefined> = [];
    const sock = { send: (_d: Buffer, _p: number, _a: string, cb?: (err: Error | null) => void) => { callbacks.push(cb); } } as unknown as Socket;
    const failed: Buffer[] = [];
    const watcher = { sendFailed: (d: Buffer) => { failed.push(d); } };
    const plain = Buffer.from('plain');
    const watched = Buffer.from('watched');
    const ok = Buffer.from('ok');
    q.push(sock, plain, 5060, '127.0.0.1');
    q.push(sock, watched, 5060, '192.0.2.1', watcher);
    q.push(sock, ok, 5060, '192.0.2.2', watcher);
    scheduled[0]!();
    assert.equal(callbacks[0], undefined);
    callbacks[1]!(Object.assign(new Error('send EHOSTUNREACH'), { code: 'EHOSTUNREACH' }));
    callbacks[2]!(null);
    assert.deepEqual(failed, [watched]);
    assert.equal(failed[0], watched, 'the Buffer pushed');
    assert.deepEqual(refused, ['192.0.2.1:5060 send EHOSTUNREACH']);
  });

  test('a watched datagram whose send throws at flush time: counted, and its watcher told', () => {
    const scheduled: Array<() => void> = [];
    let errors = 0;
    const q = new UdpSendQueue(() => errors++, (fn) => scheduled.push(fn));
    const failed: Buffer[] = [];
    const d = Buffer.from('1');
    q.push(fakeSocket([], 'closed', true), d, 5060, '127.0.0.1', { sendFailed: (x) => { failed.push(x); } });
    scheduled[0]!();
    assert.equal(errors, 1);
    assert.deepEqual(failed, [d]);
  });

  test('a datagram queued while the batch is being sent goes in the next batch, not lost', () => {
    const log: string[] = [];
    const scheduled: Array<() => void> = [];
    const q = new UdpSendQueue(() => {}, (fn) => scheduled.push(fn));
    const later = fakeSocket(log, 'later');
    const reentrant = { send: (d: Buffer) => { log.push(`first ${d.toString()}`); q.push(later, Buffer.from('x'), 1, '127.0.0.1'); } } as unknown as Socket;
    q.push(reentrant, Buffer.from('1'), 5060, '127.0.0.1');
    scheduled[0]!();
    assert.deepEqual(log, ['first 1']);
    assert.equal(scheduled.length, 2);
    scheduled[1]!();
    assert.deepEqual(log, ['first 1', 'later 127.0.0.1:1 x']);
  });

  test('with real sockets and the default scheduling: every datagram of a burst arrives, in order', async () => {
    const rx = createSocket('udp4');
    const tx = createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
    const got: string[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => { got.push(m.toString()); if (got.length === 20) r(); }));
    const q = new UdpSendQueue(() => assert.fail('no error expected'));
    for (let i = 0; i < 20; i++) q.push(tx, Buffer.from(String(i)), rx.address().port, '127.0.0.1');
    await all;
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => String(i)));
    rx.close();
    tx.close();
  });
});
