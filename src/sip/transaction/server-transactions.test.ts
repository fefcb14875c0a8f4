import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { RecordingWire } from '../../../test/support/recording-wire.ts';
import { ServerInviteTransaction } from './server-invite-transaction.ts';
import { ServerNonInviteTransaction } from './server-non-invite-transaction.ts';
import { DEFAULT_TIMER_POLICY as P } from './timer-policy.ts';
import { clientKey, inviteKeyForCancel, serverKey, type ServerKeyInput } from './transaction-keys.ts';

function tu() {
  const log: string[] = [];
  return { log, user: { onFailure: (r: string) => log.push(`fail ${r}`), onTerminated: () => log.push('terminated') } };
}

test('§17.2.1 INVITE retransmissions get the latest provisional response again', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const tx = new ServerInviteTransaction(wire, clock, P, tu().user);
  tx.receiveRetransmission();
  assert.equal(wire.sent.length, 0);
  tx.respond(100, Buffer.from('100'));
  tx.respond(180, Buffer.from('180'));
  tx.receiveRetransmission();
  assert.deepEqual(wire.sent.map((s) => s.data), ['100', '180', '180']);
});

test('§17.2.1 a non-2xx final is retransmitted on timer G (doubling to T2) until the ACK; timer I then ends it', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ServerInviteTransaction(wire, clock, P, user);
  tx.respond(486, Buffer.from('486'));
  clock.advance(8000);
  assert.deepEqual(wire.times('486'), [0, 500, 1500, 3500, 7500]);
  tx.receiveAck();
  assert.equal(tx.state, 'confirmed');
  clock.advance(20_000);
  assert.deepEqual(wire.times('486').length, 5);
  assert.deepEqual(log, ['terminated']);
});

test('§17.2.1 timer H: no ACK within 64·T1 tells the TU', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock, true);
  const { log, user } = tu();
  const tx = new ServerInviteTransaction(wire, clock, P, user);
  tx.respond(404, Buffer.from('404'));
  clock.advance(40_000);
  assert.deepEqual(wire.times('404'), [0], 'no timer G over TCP');
  assert.deepEqual(log, ['fail no-ack', 'terminated']);
});

test('RFC 6026 §8.7: after a 2xx the transaction is accepted, absorbs INVITE retransmissions and lets the TU resend 2xx', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const tx = new ServerInviteTransaction(wire, clock, P, tu().user);
  tx.respond(200, Buffer.from('200'));
  tx.receiveRetransmission();
  assert.equal(tx.respond(200, Buffer.from('200')), true);
  assert.equal(tx.respond(486, Buffer.from('486')), false);
  assert.deepEqual(wire.sent.map((s) => s.data), ['200', '200']);
  clock.advance(32_000);
  assert.equal(tx.state, 'terminated');
});

test('§17.2.2 non-INVITE: retransmissions absorbed in trying, answered in proceeding and completed; timer J', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ServerNonInviteTransaction(wire, clock, P, user);
  tx.receiveRetransmission();
  tx.respond(100, Buffer.from('100'));
  tx.receiveRetransmission();
  tx.respond(200, Buffer.from('200'));
  tx.receiveRetransmission();
  assert.equal(tx.respond(500, Buffer.from('500')), false, 'only one final response');
  assert.deepEqual(wire.sent.map((s) => s.data), ['100', '100', '200', '200']);
  clock.advance(31_999);
  assert.equal(tx.state, 'completed');
  clock.advance(1);
  assert.deepEqual(log, ['terminated']);
  const reliable = new ServerNonInviteTransaction(new RecordingWire(clock, true), clock, P, tu().user);
  reliable.respond(200, Buffer.from('200'));
  clock.advance(0);
  assert.equal(reliable.state, 'terminated', 'timer J is zero over TCP');
});

const base: ServerKeyInput = {
  method: 'INVITE', branch: 'z9hG4bK-abc', sentBy: 'pc33.atlanta.com:5060', requestUri: 'sip:bob@biloxi.com',
  fromTag: '1928301774', toTag: '', callId: 'a84b4c76e66710', cseqNumber: 314159, topVia: 'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK-abc',
};

test('§8.2.7 stateless UAS: respondStateless sends the final and ends at once, no Completed state, no timer J', () => {
  const clock = new FakeClock();
  const wire = new RecordingWire(clock);
  const { log, user } = tu();
  const tx = new ServerNonInviteTransaction(wire, clock, P, user);
  tx.respond(100, Buffer.from('100'));
  assert.equal(tx.respondStateless(200, Buffer.from('200')), true);
  assert.equal(tx.state, 'terminated');
  assert.deepEqual(log, ['terminated'], 'the TU hears the end at once');
  tx.receiveRetransmission();
  clock.advance(40_000);
  assert.deepEqual(wire.sent.map((s) => s.data), ['100', '200'], 'nothing resent');
  assert.equal(tx.respondStateless(500, Buffer.from('500')), false, 'one final only');
});

test('§17.2.3 matching: ACK finds its INVITE, another sent-by or method does not; CANCEL finds the INVITE (§9.2)', () => {
  const inv = serverKey(base);
  assert.equal(serverKey({ ...base, method: 'ACK', toTag: 'x' }), inv);
  assert.notEqual(serverKey({ ...base, sentBy: 'other:5060' }), inv);
  assert.notEqual(serverKey({ ...base, method: 'CANCEL' }), inv);
  assert.equal(inviteKeyForCancel({ ...base, method: 'CANCEL' }), inv);
  // §17.1.3: on the client side the CSeq method must be the request's: a "response to ACK" is no INVITE's.
  assert.notEqual(clientKey('z9hG4bKq', 'ACK'), clientKey('z9hG4bKq', 'INVITE'));
});

test('§17.2.3 RFC 2543 fallback without the magic cookie: ACK with our To tag matches the INVITE', () => {
  const old = { ...base, branch: undefined };
  assert.equal(serverKey({ ...old, method: 'ACK', toTag: 'ours' }), serverKey(old));
  assert.notEqual(serverKey({ ...old, cseqNumber: 1 }), serverKey(old));
  assert.notEqual(serverKey({ ...base, branch: '1234' }), serverKey(base));
  // Other requests match on the To tag too: BYEs to two forked dialogs are two transactions.
  const bye = { ...old, method: 'BYE', toTag: 'dialogA' };
  assert.notEqual(serverKey({ ...bye, toTag: 'dialogB' }), serverKey(bye));
  assert.equal(serverKey({ ...bye }), serverKey(bye));
});
