import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER, CALLEE_IP, harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';
import type { SipSource } from './sip-source.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const TCP_CALLER: SipSource = { ...CALLER, proto: 'tcp' };

/** A node that answers every INVITE itself with a 200 (an announcement service) and relays the rest. */
function answering(o: { udpOnly?: boolean } = {}) {
  const h = harness(o);
  const seen: string[] = [];
  h.proxy.onRequest = (pr) => {
    seen.push(pr.msg.method);
    if (pr.msg.method === 'INVITE') pr.reply(200, 'OK', { body: SDP, headers: [['Content-Type', 'application/sdp']] });
    else pr.relay();
  };
  return { h, seen };
}

/** The times (ms after the 2xx) at which the 200 was sent again, advancing `ms` in 100 ms steps. */
function resendTimes(h: ReturnType<typeof harness>, ms: number): number[] {
  const at: number[] = [];
  for (let t = 100; t <= ms; t += 100) {
    h.clock.advance(100);
    for (const s of h.take()) if (!s.msg.isRequest && s.msg.status === 200) at.push(t);
  }
  return at;
}

/** The ACK of the 2xx: a new transaction (§17.1.1.3, its own branch), same dialog. */
function ackOf(tag: string, branch = 'z9hG4bKack2xx'): string {
  return request({ method: 'ACK', toTag: tag, branch, uri: 'sip:10.0.0.1:5060' });
}

test('RFC 3261 §13.3.1.4: a 2xx the node sends to an INVITE over UDP is resent at T1, doubling up to T2, until its ACK; the ACK is absorbed, not handed to the script', () => {
  const { h, seen } = answering();
  h.recv(request({ method: 'INVITE' }));
  const ok = only(h.take(), isRes(200));
  const tag = ok.msg.to.tag ?? assert.fail('the 200 has no To tag');
  // T1 = 500 ms, T2 = 4 s: 0.5, 1.5, 3.5, 7.5, 11.5 s after the 2xx.
  assert.deepEqual(resendTimes(h, 12_000), [500, 1_500, 3_500, 7_500, 11_500]);
  assert.equal(h.stat('tm:local_2xx_retransmissions'), 5);
  h.recv(ackOf(tag));
  assert.deepEqual(h.take(), [], 'the ACK goes nowhere');
  assert.deepEqual(seen, ['INVITE'], 'the script does not see the ACK');
  assert.equal(h.stat('tm:local_2xx_acks'), 1);
  // Each 2xx retransmission that crossed the ACK brings another ACK (§13.2.2.4): absorbed too.
  h.recv(ackOf(tag, 'z9hG4bKack2xx-again'));
  assert.deepEqual(seen, ['INVITE']);
  assert.deepEqual(resendTimes(h, 40_000), [], 'nothing resent after the ACK');
  assert.equal(h.stat('tm:local_2xx_retransmissions'), 5);
  assert.equal(h.stat('tm:local_2xx_no_ack'), 0);
});

test('RFC 3261 §13.3.1.4: without an ACK the 2xx is resent for 64·T1, then given up and counted; a late ACK reaches the script as before', () => {
  const { h, seen } = answering();
  h.recv(request({ method: 'INVITE' }));
  const tag = only(h.take(), isRes(200)).msg.to.tag ?? assert.fail('no To tag');
  const at = resendTimes(h, 40_000);
  // 0.5, 1.5, 3.5, 7.5, then every T2 up to 31.5 s: 10 retransmissions within 64·T1 = 32 s.
  assert.deepEqual(at, [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
  assert.equal(h.stat('tm:local_2xx_retransmissions'), 10);
  assert.equal(h.stat('tm:local_2xx_no_ack'), 1);
  assert.equal(h.clock.pendingCount(), 0, 'no timer left');
  h.recv(ackOf(tag));
  assert.deepEqual(seen, ['INVITE', 'ACK'], 'nothing kept after 64·T1');
});

test('the ACK must name the 2xx\'s dialog: another To tag, CSeq or Call-ID does not stop the retransmissions', () => {
  const { h, seen } = answering();
  h.recv(request({ method: 'INVITE' }));
  const tag = only(h.take(), isRes(200)).msg.to.tag ?? assert.fail('no To tag');
  h.recv(request({ method: 'ACK', toTag: 'other', branch: 'z9hG4bKa1' }));
  h.recv(request({ method: 'ACK', toTag: tag, branch: 'z9hG4bKa2', cseq: 2 }));
  h.recv(request({ method: 'ACK', toTag: tag, branch: 'z9hG4bKa3', callId: 'other-call' }));
  assert.deepEqual(seen, ['INVITE', 'ACK', 'ACK', 'ACK']);
  h.take();
  assert.deepEqual(resendTimes(h, 1_000), [500]);
  assert.equal(h.stat('tm:local_2xx_acks'), 0);
});

test('RFC 3261 §17.1.1.2, §13.3.1.4: over TCP a local 2xx is not resent', () => {
  const { h } = answering();
  h.recv(request({ method: 'INVITE', via: 'SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKtcp1' }), TCP_CALLER);
  only(h.take(), isRes(200));
  assert.deepEqual(resendTimes(h, 40_000), []);
  assert.equal(h.stat('tm:local_2xx_retransmissions'), 0);
  assert.equal(h.stat('tm:local_2xx_no_ack'), 0);
});

test('RFC 3261 §16.7 step 5, §13.3.1.4: a relayed 2xx is the callee\'s to resend end to end, not ours', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ method: 'INVITE' }));
  const inv = only(h.take(), isReq('INVITE'));
  assert.equal(inv.target.address, CALLEE_IP);
  h.answer(inv.msg, 200, 'OK');
  only(h.take(), isRes(200));
  assert.deepEqual(resendTimes(h, 40_000), []);
  assert.equal(h.stat('tm:local_2xx_retransmissions'), 0);
});

test('the 2xx\'s To tag is the one its ACK must carry: the script\'s toTag, or a re-INVITE\'s own (§8.2.6.2)', () => {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (pr) => {
    seen.push(pr.msg.method);
    if (pr.msg.method === 'INVITE') pr.reply(200, 'OK', { toTag: 'ann-1' });
    else pr.relay();
  };
  h.recv(request({ method: 'INVITE' }));
  assert.equal(only(h.take(), isRes(200)).msg.to.tag, 'ann-1');
  h.recv(ackOf('ann-1'));
  h.recv(request({ method: 'INVITE', toTag: 'dlg-7', cseq: 2, branch: 'z9hG4bKreinvite' }));
  assert.equal(only(h.take(), isRes(200)).msg.to.tag, 'dlg-7');
  h.recv(request({ method: 'ACK', toTag: 'dlg-7', cseq: 2, branch: 'z9hG4bKreack' }));
  assert.deepEqual(seen, ['INVITE', 'INVITE']);
  assert.equal(h.stat('tm:local_2xx_acks'), 2);
  assert.deepEqual(resendTimes(h, 40_000), []);
});
