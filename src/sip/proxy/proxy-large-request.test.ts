import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLEE_IP, PROXY_IP, harness, isReq, only, request } from '../../../test/support/proxy-harness.ts';
import { LARGE_REQUEST_BYTES } from './large-request.ts';

// RFC 3261 §18.1.1: a request larger than 1300 bytes (path MTU unknown) goes by a congestion
// controlled transport, and the top Via says so. Config sip.udpToTcpOnLargeRequests.
const padding = (n: number) => `X-Pad: ${'a'.repeat(n)}`;

test('udpToTcpOnLargeRequests: a request over 1300 bytes to a UDP next hop goes by TCP, its Via, Record-Route and CANCEL too', () => {
  const h = harness({ udpToTcpOnLargeRequests: true });
  h.proxy.onRequest = (pr) => { pr.recordRoute(); pr.relay(); };
  h.recv(request({ headers: [padding(1400)] }));
  const f = only(h.take(), isReq('INVITE'));
  assert.ok(f.data.length > LARGE_REQUEST_BYTES);
  assert.deepEqual([f.target.proto, f.target.address, f.target.port], ['tcp', CALLEE_IP, 5060]);
  assert.deepEqual([f.msg.topVia.transport, f.msg.topVia.host, f.msg.topVia.port], ['TCP', PROXY_IP, 5060], '§18.1.1: the top Via names the transport used');
  // In by UDP, out by TCP: both interfaces in Record-Route (§16.6 step 4, double Record-Route).
  assert.equal(f.msg.getList('Record-Route').length, 2);
  assert.equal(h.stat('core:udp_to_tcp_requests'), 1);
  h.answer(f.msg, 180, 'Ringing');
  h.take();
  h.recv(request({ method: 'CANCEL' }));
  const cancel = only(h.take(), isReq('CANCEL'));
  assert.equal(cancel.target.proto, 'tcp', 'the CANCEL follows its INVITE (§9.1)');
});

test('udpToTcpOnLargeRequests: a request of 1300 bytes or less stays on UDP', () => {
  const h = harness({ udpToTcpOnLargeRequests: true });
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ headers: [padding(600)] }));
  const f = only(h.take(), isReq('INVITE'));
  assert.ok(f.data.length <= LARGE_REQUEST_BYTES);
  assert.equal(f.target.proto, 'udp');
  assert.equal(f.msg.topVia.transport, 'UDP');
});

test('without udpToTcpOnLargeRequests (the default, as OpenSIPS and Kamailio) a large request stays on UDP', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ headers: [padding(1400)] }));
  const f = only(h.take(), isReq('INVITE'));
  assert.equal(f.target.proto, 'udp');
});

test('udpToTcpOnLargeRequests on a node without a TCP listener: the large request goes by UDP, counted', () => {
  const h = harness({ udpToTcpOnLargeRequests: true, udpOnly: true });
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ headers: [padding(1400)] }));
  const f = only(h.take(), isReq('INVITE'));
  assert.equal(f.target.proto, 'udp');
  assert.equal(h.stat('core:large_requests_over_udp'), 1);
});

test('udpToTcpOnLargeRequests applies to stateless forwarding too (the ACK of a 2xx, forwarded without a transaction)', () => {
  const h = harness({ udpToTcpOnLargeRequests: true });
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ method: 'ACK', toTag: 'callee1', headers: [padding(1400)] }));
  const f = only(h.take(), isReq('ACK'));
  assert.equal(f.target.proto, 'tcp');
  assert.equal(f.msg.topVia.transport, 'TCP');
});
