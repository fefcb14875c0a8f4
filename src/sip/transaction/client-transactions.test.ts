import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { RecordingWire } from '../../../test/support/recording-wire.ts';
import { ClientInviteTransaction } from './client-invite-transaction.ts';
import { ClientNonInviteTransaction } from './client-non-invite-transaction.ts';
import { DEFAULT_TIMER_POLICY as P } from './timer-policy.ts';

function tu() {
  const log: string[] = [];
  return {
    log,
    user: {
      onResponse: (res: string, status: number) => log.push(`rsp ${status} ${res}`),
      onFailure: (r: string) => log.push(`fail ${r}`),
      onTerminated: () => log.push('terminated'),
    },
  };
}

test('§17.1.1.2 timer A doubles from T1 over UDP and timer B times out at 64·T1', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientInviteTransaction<string>(Buffer.from('INV'), wire, clock, P, user, () => Buffer.from('ACK'));
  tx.start();
  clock.advance(64 * 500);
  assert.deepEqual(wire.times('INV'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.deepEqual(log, ['fail timeout', 'terminated']);
  assert.equal(tx.state, 'terminated');
});

test('§17.1.1.2 no retransmissions over a reliable transport; 1xx stops timer A', () => {
  const clock = new FakeClock();
  const tcp = new RecordingWire(clock, true);
  const t1 = new ClientInviteTransaction<string>(Buffer.from('INV'), tcp, clock, P, tu().user, () => Buffer.from('ACK'));
  t1.start();
  clock.advance(10_000);
  assert.deepEqual(tcp.times('INV'), [0]);
  const udp = new RecordingWire(clock);
  const { log, user } = tu();
  const t2 = new ClientInviteTransaction<string>(Buffer.from('INV'), udp, clock, P, user, () => Buffer.from('ACK'));
  t2.start();
  clock.advance(600);
  t2.receiveResponse('100', 100);
  clock.advance(60_000);
  assert.equal(udp.times('INV').length, 2);
  assert.equal(t2.state, 'proceeding', 'timer B does not fire in proceeding (a proxy uses timer C)');
  assert.deepEqual(log, ['rsp 100 100']);
});

test('§17.1.1.3 a non-2xx final response is ACKed hop-by-hop, retransmissions re-ACKed and absorbed, timer D ends it', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientInviteTransaction<string>(Buffer.from('INV'), wire, clock, P, user, (r) => Buffer.from(`ACK-${r}`));
  tx.start();
  tx.receiveResponse('486', 486);
  tx.receiveResponse('486', 486);
  assert.deepEqual(wire.times('ACK-486'), [0, 0]);
  assert.deepEqual(log, ['rsp 486 486']);
  clock.advance(31_999);
  assert.equal(tx.state, 'completed');
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
});

test('RFC 6026 §8.4: 2xx moves to accepted; 2xx retransmissions go up for a proxy to forward; timer M ends it', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientInviteTransaction<string>(Buffer.from('INV'), wire, clock, P, user, () => Buffer.from('ACK'));
  tx.start();
  tx.receiveResponse('200a', 200);
  tx.receiveResponse('200b', 200);
  assert.deepEqual(log, ['rsp 200 200a', 'rsp 200 200b']);
  assert.equal(wire.times('ACK').length, 0, 'the ACK for 2xx is end-to-end, never generated here');
  clock.advance(32_000);
  assert.equal(tx.state, 'terminated');
});

test('§17.1.4 a transport error terminates the transaction and tells the TU', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  wire.failNext = true;
  const { log, user } = tu();
  new ClientNonInviteTransaction<string>(Buffer.from('OPT'), wire, clock, P, user).start();
  assert.deepEqual(log, ['fail transport-error', 'terminated']);
});

test('§17.1.2.2 timer E doubles up to T2, then T2 in proceeding; timer F times out at 64·T1', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientNonInviteTransaction<string>(Buffer.from('REG'), wire, clock, P, user);
  tx.start();
  clock.advance(10_000);
  assert.deepEqual(wire.times('REG'), [0, 500, 1500, 3500, 7500]);
  tx.receiveResponse('100', 100);
  clock.advance(8_000);
  assert.deepEqual(wire.times('REG').slice(5), [11500, 15500]);
  clock.advance(14_000);
  assert.deepEqual(log, ['rsp 100 100', 'fail timeout', 'terminated']);
});

test('§17.1.2.2 a final response completes; timer K (T4 over UDP) absorbs retransmissions', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientNonInviteTransaction<string>(Buffer.from('REG'), wire, clock, P, user);
  tx.start();
  tx.receiveResponse('200', 200);
  tx.receiveResponse('200', 200);
  clock.advance(4999);
  assert.equal(tx.state, 'completed');
  clock.advance(1);
  assert.deepEqual(log, ['rsp 200 200', 'terminated']);
  assert.deepEqual(wire.times('REG'), [0]);
});

test('§16.6 step 11: timer C "MUST be larger than 3 minutes"', () => {
  assert.ok(P.timerCMs > 180_000, `timer C ${P.timerCMs} ms`);
});

test('OpenSIPS fr_timeout on an INVITE client transaction: a shorter timeoutMs tells the TU "timeout" (only in Calling), stops timer A, and the machine ends at 64·T1; a longer one changes nothing', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientInviteTransaction<string>(Buffer.from('INV'), wire, clock, P, user, () => Buffer.from('ACK'), 2000);
  tx.start();
  clock.advance(1999);
  assert.deepEqual(log, []);
  clock.advance(1);
  // Until today the machine terminated here, so a late response matched nothing (and a proxy
  // forwarded it statelessly); it now matches on until timer B's own 64·T1.
  assert.deepEqual(log, ['fail timeout'], 'the TU gives up as at timer B: no CANCEL is the TU\'s to send yet (§9.1)');
  assert.equal(tx.state, 'calling');
  clock.advance(29_999);
  assert.deepEqual(log, ['fail timeout']);
  clock.advance(1);
  assert.deepEqual(log, ['fail timeout', 'terminated'], 'gone at 64·T1 after the request');
  clock.advance(60_000);
  assert.deepEqual(wire.times('INV'), [0, 500, 1500], 'no retransmission after the TU timed out');
  // Any response, a 100 included, leaves Calling: the short timer B no longer acts.
  const w2 = new RecordingWire(clock);
  const t2 = tu();
  const tx2 = new ClientInviteTransaction<string>(Buffer.from('INV'), w2, clock, P, t2.user, () => Buffer.from('ACK'), 2000);
  tx2.start();
  tx2.receiveResponse('100', 100);
  clock.advance(60_000);
  assert.equal(tx2.state, 'proceeding');
  // Above 64·T1: timer B as usual.
  const t3 = tu();
  const tx3 = new ClientInviteTransaction<string>(Buffer.from('INV'), new RecordingWire(clock), clock, P, t3.user, () => Buffer.from('ACK'), 100_000);
  tx3.start();
  clock.advance(32_000);
  assert.deepEqual(t3.log, ['fail timeout', 'terminated']);
});

test('after an fr_timeout, an INVITE client transaction passes a late 1xx up and still ends at 64·T1 in Proceeding (no timer of its own there)', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientInviteTransaction<string>(Buffer.from('INV'), wire, clock, P, user, () => Buffer.from('ACK'), 2000);
  tx.start();
  clock.advance(5000);
  tx.receiveResponse('180', 180);
  assert.equal(tx.state, 'proceeding');
  clock.advance(26_999);
  assert.deepEqual(log, ['fail timeout', 'rsp 180 180']);
  clock.advance(1);
  assert.deepEqual(log, ['fail timeout', 'rsp 180 180', 'terminated']);
});

test('after an fr_timeout, a late non-2xx final is ACKed (§17.1.1.3) and passed up once; timer D then ends the machine; a late 2xx goes to Accepted', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientInviteTransaction<string>(Buffer.from('INV'), wire, clock, P, user, () => Buffer.from('ACK'), 2000);
  tx.start();
  clock.advance(3000);
  tx.receiveResponse('487', 487);
  tx.receiveResponse('487', 487);
  assert.deepEqual(wire.times('ACK'), [3000, 3000], 'each 487 ACKed');
  assert.deepEqual(log, ['fail timeout', 'rsp 487 487']);
  clock.advance(32_000);
  assert.deepEqual(log, ['fail timeout', 'rsp 487 487', 'terminated']);
  const t2 = tu();
  const tx2 = new ClientInviteTransaction<string>(Buffer.from('INV'), new RecordingWire(clock), clock, P, t2.user, () => Buffer.from('ACK'), 2000);
  tx2.start();
  clock.advance(3000);
  tx2.receiveResponse('200', 200);
  assert.equal(tx2.state, 'accepted');
  assert.deepEqual(t2.log, ['fail timeout', 'rsp 200 200']);
});

test('OpenSIPS fr_timeout on a non-INVITE client transaction: a shorter timeoutMs tells the TU "timeout" as timer F would (a 1xx does not stop it), retransmissions stop, and the machine ends at 64·T1', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ClientNonInviteTransaction<string>(Buffer.from('MSG'), wire, clock, P, user, 3000);
  tx.start();
  clock.advance(1000);
  tx.receiveResponse('100', 100);
  clock.advance(1999);
  assert.equal(tx.state, 'proceeding');
  clock.advance(1);
  // Until today the machine terminated here; it now matches on (silent) until timer F's own 64·T1.
  assert.deepEqual(log, ['rsp 100 100', 'fail timeout']);
  const sent = wire.sent.length;
  clock.advance(28_999);
  assert.equal(wire.sent.length, sent, 'no retransmission after the TU timed out');
  assert.deepEqual(log, ['rsp 100 100', 'fail timeout']);
  clock.advance(1);
  assert.deepEqual(log, ['rsp 100 100', 'fail timeout', 'terminated'], 'gone at 64·T1 after the request');
});

test('after an fr_timeout, a non-INVITE client transaction passes a late final up once and ends by timer K', () => {
  const clock = new FakeClock();
  const { log, user } = tu();
  const tx = new ClientNonInviteTransaction<string>(Buffer.from('MSG'), new RecordingWire(clock), clock, P, user, 3000);
  tx.start();
  clock.advance(10_000);
  tx.receiveResponse('200', 200);
  tx.receiveResponse('200', 200);
  assert.deepEqual(log, ['fail timeout', 'rsp 200 200']);
  clock.advance(5000);
  assert.deepEqual(log, ['fail timeout', 'rsp 200 200', 'terminated']);
});
