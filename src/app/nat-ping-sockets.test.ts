import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ListenerInfo } from '../sip/transport/types.ts';
import { natPingSockets } from './nat-ping-sockets.ts';
import { proxyListenersOf } from './proxy-listeners.ts';

const bound: ListenerInfo[] = [
  { proto: 'udp', address: '192.0.2.10', port: 5060, family: 'IPv4' },
  { proto: 'tcp', address: '0.0.0.0', port: 5060, family: 'IPv4' },
  { proto: 'tcp', address: '2001:db8::10', port: 5070, family: 'IPv6' },
  { proto: 'udp', address: '2001:db8::10', port: 5060, family: 'IPv6' },
];
const own = proxyListenersOf([
  { proto: 'udp', host: '192.0.2.10', port: 5060, advertise: 'sip.example.net' },
  { proto: 'tcp', host: '0.0.0.0', port: 5060, advertise: 'sip.example.net' },
], bound);

test('UDP sockets by their bound pair, and the first of the family for a binding without socket', () => {
  const s = natPingSockets(bound, own, false);
  assert.equal(s.firstHost, 'sip.example.net');
  assert.deepEqual(s.socketFor('udp:192.0.2.10:5060', false), { address: '192.0.2.10', port: 5060, sentBy: 'sip.example.net:5060', v6: false, udp: true });
  assert.equal(s.socketFor('', true)?.address, '2001:db8::10');
  assert.equal(s.socketFor('udp:198.51.100.1:5060', false), undefined, 'not ours');
  assert.equal(s.socketFor('tcp:0.0.0.0:5060', false), undefined, 'TCP listeners count only with tcp');
});

test('with tcp: a TCP binding\'s socket names the connection\'s local address, found on the wildcard listener of its port', () => {
  const s = natPingSockets(bound, own, true);
  // What tcp-connections.ts reports as localAddress for a connection accepted on 0.0.0.0:5060.
  assert.equal(s.socketFor('tcp:192.0.2.10:5060', false)?.sentBy, 'sip.example.net:5060');
  assert.equal(s.socketFor('tcp:2001:db8::10:5070', true)?.sentBy, '[2001:db8::10]:5070', 'an exact IPv6 pair');
  assert.equal(s.socketFor('tcp:192.0.2.10:5099', false), undefined, 'no listener on that port');
  assert.equal(s.socketFor('tcp:2001:db8::99:5060', true), undefined, 'the IPv4 wildcard does not take IPv6');
  assert.equal(s.socketFor('', false)?.address, '192.0.2.10', 'without socket: UDP still');
});
