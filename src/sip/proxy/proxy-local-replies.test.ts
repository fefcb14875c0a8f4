import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROXY_IP, harness, isRes, only, request } from '../../../test/support/proxy-harness.ts';
import type { SipSource } from './sip-source.ts';

// A caller behind NAT: its Via says 10.1.1.1:5060;rport, the packet came from 192.0.2.1:9988.
const NATTED: SipSource = { proto: 'udp', remoteAddress: '192.0.2.1', remotePort: 9988, localAddress: PROXY_IP, localPort: 5060 };
const VIA = 'SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKnat1;rport';

test('RFC 3581 §4/§5, RFC 3261 §18.2.1: a response the proxy generates carries received= and rport=<source port> in the top Via', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.reply(403, 'Forbidden'); };
  h.recv(request({ method: 'MESSAGE', via: VIA }), NATTED);
  const res = only(h.take(), isRes(403));
  assert.deepEqual(res.target, { proto: 'udp', address: '192.0.2.1', port: 9988, localAddress: PROXY_IP, localPort: 5060 }, 'sent to the source, from the listener it came in on');
  assert.equal(res.msg.topVia.received, '192.0.2.1', 'received param in the response Via');
  assert.equal(res.msg.topVia.rport, 9988, 'rport filled with the source port in the response Via');
});

test('OpenSIPS sl_send_reply: a stateless final to an INVITE keeps no transaction, is not retransmitted, and its ACK is absorbed', () => {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (pr) => {
    seen.push(pr.msg.method);
    if (pr.msg.method === 'INVITE') assert.equal(pr.reply(403, 'Forbidden', { stateless: true }), true);
    else pr.relay();
  };
  h.recv(request({ method: 'INVITE' }));
  const first = h.take();
  assert.deepEqual(first.map((s) => (s.msg.isRequest ? s.msg.method : s.msg.status)), [100, 403]);
  const tag = only(first, isRes(403)).msg.to.tag ?? assert.fail('the 403 has no To tag');
  assert.equal(h.stat('tm:inuse_transactions'), 0, 'nothing kept');
  // Stateful, the 403 would be resent on timer G until an ACK that never comes (RFC 3261 §17.2.1).
  h.clock.advance(40_000);
  assert.deepEqual(h.take(), [], 'no retransmission of the 403');
  // A retransmitted INVITE runs the script again and gets the same answer (same To tag).
  h.recv(request({ method: 'INVITE' }));
  assert.equal(only(h.take(), isRes(403)).msg.to.tag, tag);
  // The ACK of the 403 (§17.1.1.3: same branch, our To tag) ends here: the script would relay it.
  h.recv(request({ method: 'ACK', toTag: tag }));
  assert.deepEqual(h.take(), []);
  assert.deepEqual(seen, ['INVITE', 'INVITE']);
  assert.equal(h.stat('sl:filtered_acks'), 1);
  // An ACK with another tag (a 2xx ACK of a dialog) still reaches the script.
  h.recv(request({ method: 'ACK', toTag: 'callee-tag', branch: 'z9hG4bKack2xx' }));
  assert.deepEqual(seen, ['INVITE', 'INVITE', 'ACK']);
});

test('stateless reply: a provisional is refused and the transaction kept; after a stateful final it is refused too', () => {
  const h = harness();
  let results: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    results = [pr.reply(180, 'Ringing', { stateless: true }), pr.reply(486, 'Busy Here'), pr.reply(403, 'Forbidden', { stateless: true })];
  };
  h.recv(request({ method: 'INVITE' }));
  assert.deepEqual(results, [false, true, false]);
  assert.deepEqual(h.take().map((s) => s.msg.status), [100, 486]);
  assert.equal(h.stat('tm:inuse_transactions'), 1, 'the stateful 486 keeps its transaction for the ACK');
});

test('the ACK of a stateful non-2xx that arrives after its transaction ended is absorbed, not handed to the script', () => {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (pr) => { seen.push(pr.msg.method); if (pr.msg.method === 'INVITE') pr.reply(486, 'Busy Here'); else pr.relay(); };
  h.recv(request({ method: 'INVITE' }));
  const tag = only(h.take(), isRes(486)).msg.to.tag ?? assert.fail('the 486 has no To tag');
  h.recv(request({ method: 'ACK', toTag: tag }));
  h.clock.advance(60_000);
  h.take();
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  h.recv(request({ method: 'ACK', toTag: tag }));
  assert.deepEqual(h.take(), [], 'a late retransmitted ACK goes nowhere');
  assert.deepEqual(seen, ['INVITE']);
});

test('after a stateless final the request is answered: a stateful reply or a relay is refused, as after a stateful final (the forgotten transaction still replied and relayed)', async () => {
  const h = harness();
  let results: unknown[] = [];
  h.proxy.onRequest = (pr) => { results = [pr.reply(403, 'Forbidden', { stateless: true }), pr.reply(486, 'Busy Here')]; };
  h.recv(request({ method: 'INVITE' }));
  assert.deepEqual(results, [true, false]);
  assert.deepEqual(h.take().map((s) => (s.msg.isRequest ? s.msg.method : s.msg.status)), [100, 403], 'no 486 after the 403');
  h.proxy.onRequest = (pr) => {
    results = [pr.reply(403, 'Forbidden', { stateless: true })];
    void pr.relay([{ uri: 'sip:bob@192.0.2.20' }]).then((o) => results.push(o.result, o.code));
  };
  h.recv(request({ method: 'INVITE', branch: 'z9hG4bKcaller2' }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.take().map((s) => (s.msg.isRequest ? s.msg.method : s.msg.status)), [100, 403], 'no INVITE forwarded after the 403');
  assert.deepEqual(results, [true, 'refused', 'SIP_PROXY_ALREADY_ANSWERED']);
  assert.equal(h.stat('tm:inuse_transactions'), 0, 'nothing kept');
});

test('OpenSIPS sl_send_reply after a stateful provisional (t_reply 180, then sl_send_reply 486): the final is sent statelessly and the transaction forgotten, so no second final follows it', () => {
  const h = harness();
  const seen: string[] = [];
  let results: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    seen.push(pr.msg.method);
    if (pr.msg.method === 'INVITE') results = [pr.reply(180, 'Ringing'), pr.reply(486, 'Busy Here', { stateless: true }), pr.reply(500, 'Server Internal Error')];
    else pr.relay();
  };
  h.recv(request({ method: 'INVITE' }));
  assert.deepEqual(results, [true, true, false], 'the stateless final is sent; the request is answered after it');
  const sent = h.take();
  assert.deepEqual(sent.map((s) => s.msg.status), [100, 180, 486]);
  const tag = only(sent, isRes(486)).msg.to.tag ?? assert.fail('the 486 has no To tag');
  assert.equal(h.stat('tm:inuse_transactions'), 0, 'the transaction is forgotten');
  assert.equal(h.clock.pendingCount(), 0, 'no timer left behind');
  h.clock.advance(200_000);
  assert.deepEqual(h.take(), [], 'no retransmission, no 408 or other final later');
  // Its ACK is absorbed like that of any stateless final (derived To tag, sl_filter_ACK).
  h.recv(request({ method: 'ACK', toTag: tag }));
  assert.deepEqual(h.take(), []);
  assert.equal(h.stat('sl:filtered_acks'), 1);
  assert.deepEqual(seen, ['INVITE']);
});

test('a stateless final after relay() is still refused: the branches own the answer', () => {
  const h = harness();
  let result: boolean | undefined;
  h.proxy.onRequest = (pr) => { void pr.relay([{ uri: 'sip:bob@192.0.2.20' }]); result = pr.reply(486, 'Busy Here', { stateless: true }); };
  h.recv(request({ method: 'INVITE' }));
  assert.equal(result, false);
  assert.deepEqual(h.take().map((s) => (s.msg.isRequest ? s.msg.method : s.msg.status)), [100, 'INVITE']);
});
