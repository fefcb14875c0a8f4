import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnAddresses } from './own-addresses.ts';
import type { ProxyListener } from './proxy-types.ts';
import type { SipSource, SipTarget } from './sip-source.ts';

const A: ProxyListener = { proto: 'udp', address: '198.51.100.1', port: 5060 };
const B: ProxyListener = { proto: 'udp', address: '10.0.0.1', port: 5060 };
const V6: ProxyListener = { proto: 'udp', address: '2001:db8::1', port: 5060 };
const T: ProxyListener = { proto: 'tcp', address: '198.51.100.1', port: 5060 };
const from = (l: ProxyListener, proto = l.proto): SipSource => ({ proto, remoteAddress: '192.0.2.9', remotePort: 5060, localAddress: l.address, localPort: l.port });
const to4: SipTarget = { proto: 'udp', address: '192.0.2.20', port: 5060 };
const to6: SipTarget = { proto: 'udp', address: '2001:db8::20', port: 5060 };

test('outbound (OpenSIPS get_send_socket): the UDP listener the request came in on, when of the destination\'s family', () => {
  const own = new OwnAddresses([A, B, V6, T]);
  assert.equal(own.outbound(to4, from(B)), B, 'in on B, out on B (the Via names B)');
  assert.equal(own.outbound(to4, from(A)), A);
  assert.equal(own.outbound(to4), A, 'no source (a request of our own): the first of the transport and family');
  assert.equal(own.outbound(to6, from(B)), V6, 'B cannot reach an IPv6 destination: the first IPv6 listener');
  assert.equal(own.outbound(to4, from(V6)), A);
  assert.equal(own.outbound(to4, from(T)), A, 'in over TCP: the first UDP listener of the family');
  assert.equal(own.outbound({ ...to4, proto: 'tcp' }, from(B)), T, 'TCP: the first TCP listener, whatever the request came in on');
  assert.equal(new OwnAddresses([A, T]).outbound(to6), A, 'no listener of the family: the first of the transport');
});

test('sendFrom names the listener to send from only when there is a choice (no allocation on a one-UDP-listener node)', () => {
  const two = new OwnAddresses([A, B, T]);
  assert.deepEqual(two.sendFrom(to4, B), { ...to4, localAddress: B.address, localPort: B.port });
  const tcp: SipTarget = { ...to4, proto: 'tcp' };
  assert.equal(two.sendFrom(tcp, T), tcp, 'TCP: a new connection leaves from an ephemeral port anyway');
  const one = new OwnAddresses([A, T]);
  assert.equal(one.sendFrom(to4, A), to4, 'the same object: the transport\'s default socket is that one');
  assert.equal(two.replyFrom(to4, from(B)).localPort, B.port);
  assert.equal(two.replyFrom(to6, from(B)), to6, 'a response that came in on IPv4 and goes on over IPv6: the default');
  assert.equal(one.replyFrom(to4, from(A)), to4);
});
