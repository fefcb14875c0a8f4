import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyListener } from './proxy-types.ts';
import { checkedSendSocket, forcedListener, listenerOf, parseSocketSpec, socketName } from './send-socket.ts';

const LISTENERS: ProxyListener[] = [
  { proto: 'udp', address: '192.0.2.1', port: 5060, advertisedAddress: 'sip.example.com' },
  { proto: 'udp', address: '10.0.0.1', port: 5060 },
  { proto: 'udp', address: '10.0.0.1', port: 5070 },
  { proto: 'tcp', address: '10.0.0.1', port: 5060 },
  { proto: 'udp', address: '2001:db8::1', port: 5060 },
];

test('OpenSIPS socket strings: proto:address[:port], the transport in any case, IPv6 in brackets', () => {
  assert.deepEqual(parseSocketSpec('udp:127.0.0.1:5070'), { proto: 'udp', host: '127.0.0.1', port: 5070 });
  assert.deepEqual(parseSocketSpec('TCP:10.0.0.1'), { proto: 'tcp', host: '10.0.0.1', port: undefined });
  assert.deepEqual(parseSocketSpec('udp:[2001:db8::1]:5060'), { proto: 'udp', host: '2001:db8::1', port: 5060 });
  assert.deepEqual(parseSocketSpec('udp:[2001:db8::1]'), { proto: 'udp', host: '2001:db8::1', port: undefined });
  assert.deepEqual(parseSocketSpec('udp:sip.example.com:5060'), { proto: 'udp', host: 'sip.example.com', port: 5060 });
});

test('anything else is a TypeError that says what is wrong', () => {
  const cases: Array<[unknown, RegExp]> = [
    [5060, /must be a string/], [null, /not null/], [undefined, /not undefined/],
    ['', /is not proto:address/], ['127.0.0.1:5060', /transport "127.0.0.1"/], [':1.2.3.4', /is not proto:address/],
    ['tls:10.0.0.1:5061', /"tls" is not udp or tcp/], ['sctp:10.0.0.1', /not udp or tcp/],
    ['udp:', /"" is not an address/], ['udp:2001:db8::1:5060', /IPv6 address goes in brackets/], ['udp:[2001:db8::1', /brackets/],
    ['udp:[2001:db8::1]5060', /brackets/], ['udp:[10.0.0.1]:5060', /brackets/], ['udp:10.0.0.1:', /port "" is not/],
    ['udp:10.0.0.1:0', /port "0"/], ['udp:10.0.0.1:65536', /port "65536"/], ['udp:10.0.0.1:50x', /port "50x"/],
    ['udp:10.0.0.1:123456', /port "123456"/], ['udp:bad host:5060', /"bad host" is not an address/], ['udp:-x:5060', /not an address/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseSocketSpec(text), (e: unknown) => e instanceof TypeError && re.test(e.message), String(text));
});

test('the listener a socket names (OpenSIPS find_si): transport, port when given, bound or advertised address', () => {
  const find = (s: string) => listenerOf(LISTENERS, parseSocketSpec(s));
  assert.equal(find('udp:10.0.0.1:5070'), LISTENERS[2]);
  assert.equal(find('udp:10.0.0.1'), LISTENERS[1], 'no port: the first of that address');
  assert.equal(find('tcp:10.0.0.1:5060'), LISTENERS[3]);
  assert.equal(find('udp:SIP.example.com:5060'), LISTENERS[0], 'advertised name, any case');
  assert.equal(find('udp:[2001:DB8::1]:5060'), LISTENERS[4]);
  assert.equal(find('tcp:10.0.0.1:5070'), undefined);
  assert.equal(find('udp:10.0.0.2:5060'), undefined);
  assert.throws(() => checkedSendSocket(LISTENERS, 'udp:10.0.0.2:5060'), /is not one of this node's listeners \(udp:192\.0\.2\.1:5060, .*udp:\[2001:db8::1\]:5060\)/);
  assert.equal(checkedSendSocket(LISTENERS, 'udp:10.0.0.1:5070'), LISTENERS[2]);
});

test('$fs reads back as proto:address:port of the bound socket; it parses back to the same listener', () => {
  for (const l of LISTENERS) assert.equal(checkedSendSocket(LISTENERS, socketName(l)), l);
  assert.deepEqual(LISTENERS.map(socketName), ['udp:192.0.2.1:5060', 'udp:10.0.0.1:5060', 'udp:10.0.0.1:5070', 'tcp:10.0.0.1:5060', 'udp:[2001:db8::1]:5060']);
});

test('get_send_socket with a forced socket: the forced one; another transport → that transport on the same address and port, or none; another family → none', () => {
  const [, udp5060, udp5070, tcp5060] = LISTENERS as [ProxyListener, ProxyListener, ProxyListener, ProxyListener];
  assert.equal(forcedListener(LISTENERS, udp5070, { proto: 'udp', address: '192.0.2.9', port: 5060 }), udp5070);
  assert.equal(forcedListener(LISTENERS, udp5060, { proto: 'tcp', address: '192.0.2.9', port: 5060 }), tcp5060);
  assert.equal(forcedListener(LISTENERS, tcp5060, { proto: 'udp', address: '192.0.2.9', port: 5060 }), udp5060);
  assert.equal(forcedListener(LISTENERS, udp5070, { proto: 'tcp', address: '192.0.2.9', port: 5060 }), undefined);
  assert.equal(forcedListener(LISTENERS, udp5070, { proto: 'udp', address: '2001:db8::9', port: 5060 }), undefined);
});
