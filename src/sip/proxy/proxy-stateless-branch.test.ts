import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER, CALLEE_IP, harness, isReq, only, request } from '../../../test/support/proxy-harness.ts';

// §16.11: a stateless proxy computes the branch of a forwarded request so that the CANCEL (and the
// ACK of a non-2xx) of a request gets the same branch as the request, otherwise the next hop cannot
// match them (§9.2, §17.2.3). §9.1/§17.1.1.3 CANCEL and ACK do not carry Proxy-Authorization or
// Proxy-Require, so those must not feed the branch computation (§16.11's recommended inputs don't).
const AUTH = 'Proxy-Authorization: Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob@192.0.2.20", response="0123456789abcdef0123456789abcdef"';

test('§16.11 CANCEL of a statelessly forwarded INVITE that carried Proxy-Authorization gets the INVITE\'s branch', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.forwardStateless(); };
  h.recv(request({ headers: [AUTH] }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.recv(request({ method: 'CANCEL' }));
  const cancel = only(h.take(), isReq('CANCEL')).msg;
  assert.equal(cancel.topVia.branch, inv.topVia.branch);
});

test('§16.11 ACK of a non-2xx (To tag from the response) for a statelessly forwarded INVITE gets the INVITE\'s branch', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.forwardStateless(); };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.recv(request({ method: 'ACK', toTag: 't486' }));
  const ack = only(h.take(), isReq('ACK')).msg;
  assert.equal(ack.topVia.branch, inv.topVia.branch);
});

test('§16.3 step 4: a statelessly forwarded request that comes back unchanged is still a loop (482)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.forwardStateless(); };
  // Proxy-Authorization feeds the stateful loop hash, not the stateless one: isLoop must know both.
  h.recv(request({ method: 'MESSAGE', headers: [AUTH] }));
  const fwd = only(h.take(), isReq('MESSAGE')).msg;
  const back = fwd.bytes.toString().replace('Via: ', 'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKhop2\r\nVia: ');
  h.recv(back, { ...CALLER, remoteAddress: CALLEE_IP });
  assert.equal(only(h.take()).msg.status, 482);
});
