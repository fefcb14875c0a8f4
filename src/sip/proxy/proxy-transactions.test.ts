import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse } from '../message/index.ts';
import { CALLEE_IP, PROXY_IP, harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';

/** An INVITE relayed to the callee, which answered 180 (taken: nothing left to read). */
function ringing() {
  const h = harness();
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 180, 'Ringing');
  h.take();
  return { h, inv };
}

test('retransmitted INVITE over UDP answered from the transaction, not forwarded twice', () => {
  const h = harness();
  h.recv(request());
  h.take();
  h.recv(request());
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest).length, 0);
  assert.equal(only(s).msg.status, 100, 'the last provisional response again (§17.2.1)');
  assert.equal(h.stat('tm:UAS_transactions'), 1);
});

test('§16.7 a 180 is forwarded and a 100 is not; the 200 goes up at once; the ACK of the 2xx is forwarded statelessly by Route', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { if (!pr.looseRoute()) pr.recordRoute(); pr.relay(); };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 100, 'Trying');
  assert.equal(h.take().length, 0);
  h.answer(inv, 180, 'Ringing');
  const ring = only(h.take());
  assert.equal(ring.msg.status, 180);
  const rv = ring.msg.vias();
  assert.equal(rv.ok ? rv.value.length : -1, 1, 'our Via removed (§16.7 step 3)');
  h.answer(inv, 200, 'OK', { headers: [['Record-Route', `<sip:${PROXY_IP}:5060;lr>`], ['Contact', `<sip:bob@${CALLEE_IP}:5064>`]] });
  const ok = only(h.take());
  assert.equal(ok.msg.status, 200);
  assert.deepEqual(ok.target, { proto: 'udp', address: '192.0.2.10', port: 5060, localAddress: PROXY_IP, localPort: 5060 });
  assert.equal(h.stat('tm:2xx_transactions'), 1);
  // The caller's ACK: new branch, To tag, our Route; no server transaction matches it (§17.2.3).
  h.recv(request({ method: 'ACK', uri: `sip:bob@${CALLEE_IP}:5064`, toTag: 't200', branch: 'z9hG4bKack1', headers: [`Route: <sip:${PROXY_IP}:5060;lr>`] }));
  const ack = only(h.take());
  assert.equal(ack.msg.method, 'ACK');
  assert.deepEqual(ack.target, { proto: 'udp', address: CALLEE_IP, port: 5064 });
  assert.equal(ack.msg.has('Route'), false);
  assert.equal(ack.msg.maxForwards, 69);
});

test('§17.2.3 a non-2xx final: the branch is ACKed hop by hop, the 486 goes up, the caller\'s ACK is absorbed', () => {
  const h = harness();
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 486, 'Busy Here');
  const s = h.take();
  const ack = only(s, isReq('ACK'));
  assert.equal(ack.msg.topVia.branch, inv.topVia.branch, 'the ACK of a non-2xx is part of the INVITE transaction');
  assert.equal(ack.msg.to.tag, 't486');
  assert.equal(only(s, isRes(486)).target.address, '192.0.2.10');
  h.recv(request({ method: 'ACK', toTag: 't486' }));
  assert.equal(h.take().length, 0, 'absorbed by the server transaction');
  assert.equal(h.stat('tm:4xx_transactions'), 1);
});

test('§16.10 CANCEL of a pending INVITE → 200 + CANCEL downstream; the callee\'s 487 is the INVITE\'s final', () => {
  const { h, inv } = ringing();
  h.recv(request({ method: 'CANCEL' }));
  const s = h.take();
  assert.equal(only(s, (m) => !m.isRequest && m.cseq.method === 'CANCEL').msg.status, 200);
  assert.equal(s.filter((x) => !x.msg.isRequest && x.msg.cseq.method === 'INVITE').length, 0, 'no 487 of ours while the branch may still answer');
  const c = only(s, isReq('CANCEL'));
  assert.equal(c.msg.topVia.branch, inv.topVia.branch, '§9.1: same branch as the request it cancels');
  assert.equal(c.msg.uriText, inv.uriText);
  assert.equal(c.msg.cseq.seq, inv.cseq.seq);
  assert.equal(c.target.address, CALLEE_IP);
  // Downstream answers the CANCEL and the INVITE: its 487 goes up (§16.7), ACKed hop by hop.
  h.answer(c.msg, 200, 'OK');
  h.answer(inv, 487, 'Request Terminated');
  const after = h.take();
  assert.equal(only(after, (m) => !m.isRequest && m.cseq.method === 'INVITE').msg.status, 487);
  assert.equal(only(after, isReq('ACK')).target.address, CALLEE_IP);
});

test('§9.1: a CANCELled branch whose next hop sends no final within 64·T1 ends as a local 487 upstream (not at timer C)', () => {
  const { h } = ringing();
  h.recv(request({ method: 'CANCEL' }));
  const c = only(h.take(), isReq('CANCEL'));
  h.answer(c.msg, 200, 'OK');
  h.clock.advance(31_000);
  assert.equal(h.take().filter((x) => !x.msg.isRequest && x.msg.status === 487).length, 0, 'still waiting for the callee\'s 487');
  h.clock.advance(1_100);
  // The 487 and, the caller not ACKing here, its timer G retransmissions.
  const finals = h.take().filter((x) => !x.msg.isRequest && x.msg.cseq.method === 'INVITE');
  assert.ok(finals.length >= 1 && finals.every((x) => x.msg.status === 487), finals.map((x) => x.msg.status).join());
});

test('§16.10 + §16.7 step 5: a 200 that races the CANCEL is the INVITE\'s final, and no 487 goes up before or after it', () => {
  const { h, inv } = ringing();
  h.recv(request({ method: 'CANCEL' }));
  h.take();
  h.answer(inv, 200, 'OK');
  const up = h.take().filter((x) => !x.msg.isRequest && x.msg.cseq.method === 'INVITE');
  assert.deepEqual(up.map((x) => x.msg.status), [200]);
  h.clock.advance(40_000);
  assert.equal(h.take().filter((x) => !x.msg.isRequest && x.msg.status === 487).length, 0);
});

test('§17.1.3 a response whose CSeq method is ACK does not match the INVITE branch of the same branch value: it neither answers the call nor cancels the other branches', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@192.0.2.21' }, { uri: 'sip:bob@192.0.2.22' }], { parallel: true }); };
  h.recv(request());
  const sent = h.take().filter((x) => x.msg.isRequest && x.msg.method === 'INVITE');
  assert.equal(sent.length, 2);
  const inv = (sent[0] as (typeof sent)[0]).msg;
  h.answer(inv, 180, 'Ringing');
  h.answer((sent[1] as (typeof sent)[0]).msg, 180, 'Ringing');
  h.take();
  // A "200 to ACK" with the INVITE's branch (no such response exists: ACK has none, §17.1.1.3).
  const bogus = Buffer.from(buildResponse(inv, 200, 'OK', { toTag: 'b1' }).bytes).toString().replace('CSeq: 1 INVITE', 'CSeq: 1 ACK');
  h.core.receive(Buffer.from(bogus), { proto: 'udp', remoteAddress: '192.0.2.21', remotePort: 5060, localAddress: PROXY_IP, localPort: 5060 });
  const after = h.take();
  assert.equal(after.filter((x) => isReq('CANCEL')(x.msg)).length, 0, 'the other branch is not cancelled');
  assert.equal(h.stat('tm:2xx_transactions'), 0, 'the call is not answered by it');
  h.answer(inv, 200, 'OK');
  const s = h.take();
  assert.equal(only(s, isRes(200)).msg.cseq.method, 'INVITE', 'the real 2xx still answers the call');
  assert.equal(h.stat('tm:2xx_transactions'), 1);
});

test('§9.1 a branch without a provisional response is CANCELled once its first provisional arrives', () => {
  const h = harness();
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.recv(request({ method: 'CANCEL' }));
  assert.equal(h.take().filter((x) => x.msg.isRequest).length, 0, 'no CANCEL before a provisional response');
  h.answer(inv, 180, 'Ringing');
  assert.equal(only(h.take()).msg.method, 'CANCEL', 'the 180 is not forwarded after the final; the CANCEL goes out');
});

test('§16.10 a CANCEL without a response context is forwarded statelessly (no script: by its Request-URI)', () => {
  const h = harness();
  h.recv(request({ method: 'CANCEL', branch: 'z9hG4bKnothing' }));
  const out = only(h.take());
  assert.equal(out.msg.method, 'CANCEL');
  assert.deepEqual(out.target, { proto: 'udp', address: CALLEE_IP, port: 5060 });
  assert.equal(h.stat('tm:UAS_transactions'), 0, 'no transaction for it');
});

test('§16.10 the CANCEL of a statelessly forwarded INVITE follows it, with the same branch (§16.11), so the callee matches it', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.forwardStateless(); };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.recv(request({ method: 'CANCEL' }));
  const cancel = only(h.take(), isReq('CANCEL')).msg;
  assert.equal(cancel.topVia.branch, inv.topVia.branch);
});

test('§16.10 a script answers an unmatched CANCEL statelessly, or relays it to its first target', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { if (pr.msg.callId === 'gone') pr.reply(481, 'Call/Transaction Does Not Exist'); else pr.relay([{ uri: 'sip:bob@192.0.2.99:5070' }, { uri: 'sip:bob@192.0.2.98' }]); };
  h.recv(request({ method: 'CANCEL', callId: 'gone' }));
  const res = only(h.take());
  assert.equal(res.msg.status, 481);
  assert.deepEqual(res.target, { proto: 'udp', address: '192.0.2.10', port: 5060, localAddress: PROXY_IP, localPort: 5060 });
  h.recv(request({ method: 'CANCEL' }));
  const fwd = only(h.take());
  assert.equal(fwd.msg.method, 'CANCEL');
  assert.deepEqual(fwd.target, { proto: 'udp', address: '192.0.2.99', port: 5070 }, 'no forking without state: the first target');
});

test('Timer C → 408 upstream and a CANCEL to the ringing branch', () => {
  const { h } = ringing();
  h.clock.advance(180_999);
  assert.equal(h.take().length, 0, 'not at 3 minutes: §16.6 step 11 wants more');
  h.clock.advance(1);
  const s = h.take();
  assert.equal(only(s, isRes(408)).target.address, '192.0.2.10');
  assert.equal(only(s, isReq('CANCEL')).target.address, CALLEE_IP);
});

test('§16.8 timer C on a branch already CANCELled (the caller\'s CANCEL) that never sent its 487: no second CANCEL (OpenSIPS/Kamailio should_cancel_branch cancels a branch once)', () => {
  const { h } = ringing();
  h.recv(request({ method: 'CANCEL' }));
  const c = only(h.take(), isReq('CANCEL'));
  h.answer(c.msg, 200, 'OK');
  h.clock.advance(33_000); // no final within 64·T1 of the CANCEL: our 487 goes up (§9.1)
  h.recv(request({ method: 'ACK' })); // of our 487 (same branch, §17.1.1.3): ends its timer G
  h.take();
  h.clock.advance(150_000);
  assert.deepEqual(h.take().map((x) => x.msg.isRequest ? x.msg.method : x.msg.status), [], 'nothing at timer C: the CANCEL went out already');
  h.clock.advance(40_000);
  assert.equal(h.proxy.clientTransactionCount, 0, 'the branch is forgotten 64·T1 after it ended');
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});

test('relay timeoutMs replaces timer C; a 183 restarts it (§16.7 step 2)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(undefined, { timeoutMs: 5000 }); };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 180, 'Ringing');
  h.clock.advance(4000);
  h.answer(inv, 183, 'Session Progress');
  h.clock.advance(4000);
  assert.equal(h.take().filter((x) => x.msg.status >= 400).length, 0);
  h.clock.advance(1000);
  assert.equal(only(h.take(), (m) => !m.isRequest && m.status >= 400).msg.status, 408);
});

test('Timer B → 408 when the branch never answers', () => {
  const h = harness();
  h.recv(request());
  h.take();
  h.clock.advance(32_000);
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest).length, 6, 'timer A retransmissions over UDP');
  assert.equal(only(s, (m) => !m.isRequest).msg.status, 408);
});

test('transport error → 503', () => {
  const h = harness();
  h.failing.add(`${CALLEE_IP}:5060`);
  h.recv(request({ method: 'MESSAGE' }));
  const r = only(h.take()).msg;
  assert.equal(r.status, 503);
  assert.equal(h.stat('tm:5xx_transactions'), 1);
});

test('§16.7 step 6: a 503 received from downstream goes upstream as 500', () => {
  const h = harness();
  h.recv(request({ method: 'MESSAGE' }));
  h.answer(only(h.take(), isReq('MESSAGE')).msg, 503, 'Service Unavailable');
  assert.equal(only(h.take()).msg.status, 500);
});

test('non-INVITE: BYE relayed, 200 back; a late response with no transaction is forwarded statelessly by its Via', () => {
  const h = harness();
  h.recv(request({ method: 'BYE', toTag: 'b1' }));
  const bye = only(h.take(), isReq('BYE')).msg;
  assert.equal(h.take().length, 0, 'no 100 for non-INVITE');
  h.answer(bye, 200, 'OK');
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.stat('core:fwd_replies'), 1);
  h.clock.advance(60_000);
  assert.equal(h.proxy.clientTransactionCount, 0);
  assert.equal(h.proxy.serverTransactionCount, 0);
  h.answer(bye, 200, 'OK');
  const late = only(h.take());
  assert.deepEqual(late.target, { proto: 'udp', address: '192.0.2.10', port: 5060 });
  assert.equal(h.stat('core:fwd_replies'), 2);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});

test('a script that throws gets the request answered 500; one that decides nothing drops it', async () => {
  const h = harness();
  h.proxy.onRequest = () => { throw new Error('boom'); };
  h.recv(request({ method: 'MESSAGE' }));
  const r = only(h.take()).msg;
  assert.equal(r.status, 500);
  assert.match(r.get('Warning') ?? '', /SIP_PROXY_SCRIPT_ERROR/);
  h.proxy.onRequest = async () => { await Promise.resolve(); };
  h.recv(request({ method: 'MESSAGE', branch: 'z9hG4bKd2' }));
  await new Promise((res) => setImmediate(res));
  assert.equal(h.take().length, 0);
  assert.equal(h.stat('core:drop_requests'), 1);
});

test('§16.3 step 3: a CANCEL without a response context and Max-Forwards 0 is answered 483, not forwarded (with or without a script)', () => {
  for (const script of [false, true]) {
    const h = harness();
    if (script) h.proxy.onRequest = (pr) => { pr.relay(); };
    h.recv(request({ method: 'CANCEL', mf: '0' }));
    assert.deepEqual(h.take().map((x) => (x.msg.isRequest ? x.msg.method : x.msg.status)), [483], `script: ${script}`);
  }
});

test('§16.7 step 3: a response whose only Via is ours is not forwarded; a final of that kind is answered by us', () => {
  for (const [status, upstream] of [[180, []], [486, [486]], [200, [502]]] as const) {
    const h = harness();
    h.proxy.onRequest = (pr) => { pr.relay(); };
    h.recv(request());
    const inv = only(h.take(), isReq('INVITE')).msg;
    const ourVia = inv.get('Via') ?? '';
    h.core.receive(Buffer.from([`SIP/2.0 ${status} X`, `Via: ${ourVia}`, 'From: Alice <sip:alice@example.com>;tag=a1', 'To: Bob <sip:bob@example.com>;tag=b9',
      'Call-ID: call-1@192.0.2.10', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join('\r\n')), { proto: 'udp', remoteAddress: CALLEE_IP, remotePort: 5060, localAddress: '10.0.0.1', localPort: 5060 });
    const up = h.take().filter((x) => !x.msg.isRequest).map((x) => x.msg.status);
    assert.deepEqual(up, upstream, String(status));
  }
});

test('a script reply the proxy cannot send (bad status, CR/LF in the reason, a header copied from the request) is a TypeError, and the request gets 500', () => {
  const bad: Array<(pr: Parameters<NonNullable<ReturnType<typeof harness>['proxy']['onRequest']>>[0]) => void> = [
    (pr) => { pr.reply(99, 'Low'); },
    (pr) => { pr.reply(700, 'High'); },
    (pr) => { pr.reply(486, 'Busy\r\nX-Injected: 1'); },
    (pr) => { pr.reply(403, 'Forbidden', { headers: [['Via', 'SIP/2.0/UDP 6.6.6.6;branch=z9hG4bKx']] }); },
    (pr) => { pr.reply(403, 'Forbidden', { headers: [['Call-ID', 'other']] }); },
    (pr) => { pr.reply(403, 'Forbidden', { headers: [['Content-Length', '10']] }); },
  ];
  for (const [i, script] of bad.entries()) {
    const h = harness();
    let thrown: unknown;
    h.proxy.onRequest = (pr) => { try { script(pr); } catch (e) { thrown = e; throw e; } };
    h.recv(request({ method: 'MESSAGE' }));
    assert.ok(thrown instanceof TypeError, `case ${i}: ${String(thrown)}`);
    const finals = h.take().filter((x) => !x.msg.isRequest && x.msg.status >= 200).map((x) => x.msg.status);
    assert.deepEqual(finals, [500], `case ${i}`);
  }
});
