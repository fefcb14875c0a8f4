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
