import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';

// An RFC 2543 peer (no magic cookie) behind another 2543 proxy: the INVITE's top Via line holds two
// values. The hop-by-hop ACK / CANCEL carry a single Via equal to the top Via *value* (§17.1.1.3, §9.1),
// and §17.2.3 matches on the "top Via header field" value, not on the first header line's text.
const TWO_VIAS = 'SIP/2.0/UDP 192.0.2.10:5060;branch=2543abc, SIP/2.0/UDP 192.0.2.5:5060';
const TOP_ONLY = 'SIP/2.0/UDP 192.0.2.10:5060;branch=2543abc';

test('§17.2.3 RFC 2543 fallback: the ACK of our 486 (single top Via) matches the INVITE server transaction', () => {
  const h = harness();
  h.recv(request({ via: TWO_VIAS }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 486, 'Busy Here');
  only(h.take(), isRes(486));
  h.recv(request({ method: 'ACK', via: TOP_ONLY, toTag: 't486' }));
  assert.equal(h.take().length, 0, 'the ACK is absorbed by the server transaction, not forwarded');
  h.clock.advance(600);
  assert.equal(h.take().filter((x) => !x.msg.isRequest && x.msg.status === 486).length, 0, 'timer G stopped: no 486 retransmission after the ACK');
});

test('§9.2/§17.2.3 RFC 2543 fallback: a CANCEL with the single top Via finds the INVITE, which gets the callee\'s 487', () => {
  const h = harness();
  h.recv(request({ via: TWO_VIAS }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 180, 'Ringing');
  h.take();
  h.recv(request({ method: 'CANCEL', via: TOP_ONLY }));
  const s = h.take();
  assert.equal(s.filter((x) => !x.msg.isRequest && x.msg.status === 200 && x.msg.cseq.method === 'CANCEL').length, 1, '200 for the CANCEL');
  assert.equal(s.filter((x) => x.msg.isRequest && x.msg.method === 'CANCEL' && x.msg.topVia.branch === inv.topVia.branch).length, 1, 'CANCEL of our branch');
  h.answer(inv, 487, 'Request Terminated');
  assert.equal(h.take().filter((x) => !x.msg.isRequest && x.msg.status === 487).length, 1, '487 for the INVITE');
});

test('§17.2.3 RFC 2543 fallback: an ACK whose To tag is not that of our final is the end-to-end ACK of a 2xx that raced it (here the callee\'s 200 after our 487 to a CANCEL that came before any provisional), and is forwarded, not absorbed', () => {
  const h = harness();
  const acks: string[] = [];
  h.proxy.onRequest = (pr) => {
    if (pr.msg.method === 'ACK') { acks.push(pr.msg.to.tag ?? ''); pr.forwardStateless(); return; }
    pr.relay();
  };
  h.recv(request({ via: TWO_VIAS }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  // No provisional yet: the branch cannot be CANCELled (§9.1) and ends as our own 487.
  h.recv(request({ method: 'CANCEL', via: TOP_ONLY }));
  const tag487 = only(h.take(), isRes(487)).msg.to.tag;
  assert.ok(tag487 !== undefined);
  h.answer(inv, 200, 'OK', { toTag: 'callee' });
  assert.equal(only(h.take(), isRes(200)).msg.to.tag, 'callee', '§16.7 step 5: the 2xx goes up');
  // An RFC 2543 UA ACKs the 2xx with the INVITE's Via (no branch), here to the same Request-URI.
  h.recv(request({ method: 'ACK', via: TOP_ONLY, toTag: 'callee' }));
  assert.equal(only(h.take(), isReq('ACK')).target.address, '192.0.2.20', 'the ACK of the 2xx reaches the callee');
  h.recv(request({ method: 'ACK', via: TOP_ONLY, toTag: tag487 }));
  assert.equal(h.take().length, 0, 'the ACK of our 487 is still absorbed');
  assert.deepEqual(acks, ['callee']);
});

