import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLEE_IP, PROXY_IP, harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';
import type { ProxyListener } from './proxy-types.ts';

// A multi-homed node (OpenSIPS force_send_socket): the public UDP and TCP listeners on PROXY_IP,
// a private UDP one on another address and port. Requests come in on the public UDP one.
const PRIVATE_IP = '10.0.1.1';
const LISTENERS: ProxyListener[] = [
  { proto: 'udp', address: PROXY_IP, port: 5060 },
  { proto: 'udp', address: PRIVATE_IP, port: 5070 },
  { proto: 'tcp', address: PROXY_IP, port: 5060 },
];
const PRIVATE = { localAddress: PRIVATE_IP, localPort: 5070 };

test('without a forced socket the request leaves from the listener it came in on (the case setSendSocket changes)', () => {
  const h = harness({ listeners: LISTENERS });
  h.proxy.onRequest = (pr) => { pr.recordRoute(); pr.relay(); };
  h.recv(request());
  const f = only(h.take(), isReq('INVITE'));
  assert.deepEqual(f.target, { proto: 'udp', address: CALLEE_IP, port: 5060, localAddress: PROXY_IP, localPort: 5060 });
  assert.deepEqual([f.msg.topVia.host, f.msg.topVia.port], [PROXY_IP, 5060]);
  assert.deepEqual(f.msg.getList('Record-Route'), [`<sip:${PROXY_IP}:5060;lr>`]);
});

test('setSendSocket ($fs): the INVITE, its retransmission, its CANCEL leave from the forced listener, whose address Via and (double) Record-Route name', () => {
  const h = harness({ listeners: LISTENERS });
  const fs: Array<string | undefined> = [];
  h.proxy.onRequest = (pr) => {
    fs.push(pr.sendSocket);
    pr.setSendSocket('udp:10.0.1.1:5070');
    fs.push(pr.sendSocket);
    pr.recordRoute();
    pr.relay();
  };
  h.recv(request());
  assert.deepEqual(fs, [undefined, 'udp:10.0.1.1:5070']);
  const f = only(h.take(), isReq('INVITE'));
  assert.deepEqual(f.target, { proto: 'udp', address: CALLEE_IP, port: 5060, ...PRIVATE });
  assert.deepEqual([f.msg.topVia.transport, f.msg.topVia.host, f.msg.topVia.port], ['UDP', PRIVATE_IP, 5070], 'Via sent-by (§16.6 step 8)');
  // §16.6 step 4, OpenSIPS rr double route: in on one interface, out on another.
  assert.deepEqual(f.msg.getList('Record-Route'), [`<sip:${PRIVATE_IP}:5070;lr>`, `<sip:${PROXY_IP}:5060;lr>`]);
  h.clock.advance(500);
  const again = only(h.take(), isReq('INVITE'));
  assert.deepEqual(again.target, f.target, 'timer A retransmission from the same socket');
  h.answer(f.msg, 180, 'Ringing');
  h.take();
  h.recv(request({ method: 'CANCEL' }));
  const cancel = only(h.take(), isReq('CANCEL'));
  assert.deepEqual(cancel.target, f.target, 'CANCEL from the same socket');
  assert.equal(cancel.msg.topVia.host, PRIVATE_IP);
});

test('the ACK of a non-2xx final leaves from the forced socket, with the INVITE\'s Via', () => {
  const h = harness({ listeners: LISTENERS });
  h.proxy.onRequest = (pr) => { pr.setSendSocket('udp:10.0.1.1:5070'); pr.relay(); };
  h.recv(request());
  const f = only(h.take(), isReq('INVITE'));
  h.answer(f.msg, 486, 'Busy Here');
  const s = h.take();
  const ack = only(s, isReq('ACK'));
  assert.deepEqual(ack.target, f.target);
  assert.equal(ack.msg.topVia.branch, f.msg.topVia.branch);
  assert.equal(ack.msg.topVia.host, PRIVATE_IP);
  only(s, isRes(486));
});

test('the relay option socket holds for that relay only, over $fs; a relay from the failure hook without it gets $fs', () => {
  const h = harness({ listeners: LISTENERS });
  h.proxy.onRequest = (pr) => {
    pr.setSendSocket('udp:10.0.0.1:5060');
    pr.onFailure = () => { pr.relay([{ uri: 'sip:vm@192.0.2.30' }]); };
    pr.relay([{ uri: 'sip:bob@192.0.2.20' }], { socket: 'udp:10.0.1.1' });
  };
  h.recv(request({ method: 'MESSAGE' }));
  const first = only(h.take(), isReq('MESSAGE'));
  assert.deepEqual([first.target.localAddress, first.target.localPort, first.msg.topVia.host], [PRIVATE_IP, 5070, PRIVATE_IP], 'no port given: the listener of that address (OpenSIPS find_si)');
  h.answer(first.msg, 404, 'Not Found');
  const second = only(h.take(), isReq('MESSAGE'));
  assert.equal(second.msg.uriText, 'sip:vm@192.0.2.30');
  assert.deepEqual([second.target.localAddress, second.target.localPort, second.msg.topVia.host], [PROXY_IP, 5060, PROXY_IP]);
});

test('branches a 3xx adds (recurse3xx) keep the relay\'s forced socket', () => {
  const h = harness({ listeners: LISTENERS });
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@192.0.2.20' }], { socket: 'udp:10.0.1.1:5070', recurse3xx: true }); };
  h.recv(request({ method: 'MESSAGE' }));
  const first = only(h.take(), isReq('MESSAGE'));
  h.answer(first.msg, 302, 'Moved', { headers: [['Contact', '<sip:bob@192.0.2.44>']] });
  const next = only(h.take(), isReq('MESSAGE'));
  assert.equal(next.target.address, '192.0.2.44');
  assert.deepEqual([next.target.localAddress, next.target.localPort, next.msg.topVia.host], [PRIVATE_IP, 5070, PRIVATE_IP]);
});

test('OpenSIPS get_send_socket: a forced UDP socket and a transport=tcp destination → the TCP listener on the same address and port; none there → the usual one, counted', () => {
  const h = harness({ listeners: LISTENERS });
  let socket = 'udp:10.0.0.1:5060';
  h.proxy.onRequest = (pr) => { pr.setSendSocket(socket); pr.recordRoute(); pr.relay(); };
  h.recv(request({ uri: `sip:bob@${CALLEE_IP};transport=tcp` }));
  const f = only(h.take(), isReq('INVITE'));
  assert.deepEqual(f.target, { proto: 'tcp', address: CALLEE_IP, port: 5060 }, 'TCP, as the Request-URI asks');
  assert.deepEqual([f.msg.topVia.transport, f.msg.topVia.host, f.msg.topVia.port], ['TCP', PROXY_IP, 5060]);
  assert.deepEqual(f.msg.getList('Record-Route'), [`<sip:${PROXY_IP}:5060;transport=tcp;lr>`, `<sip:${PROXY_IP}:5060;lr>`]);
  assert.equal(h.stat('core:forced_socket_fallbacks'), 0);
  socket = 'udp:10.0.1.1:5070';
  h.recv(request({ uri: `sip:bob@${CALLEE_IP};transport=tcp`, callId: 'c2', branch: 'z9hG4bKc2' }));
  const g = only(h.take(), isReq('INVITE'));
  assert.equal(g.target.proto, 'tcp');
  assert.deepEqual([g.msg.topVia.transport, g.msg.topVia.host], ['TCP', PROXY_IP], 'no TCP listener on 10.0.1.1:5070: the usual TCP one');
  assert.equal(h.stat('core:forced_socket_fallbacks'), 1);
});

test('a forced IPv4 socket and an IPv6 destination: the usual listener of that family, counted', () => {
  const h = harness({ listeners: [...LISTENERS, { proto: 'udp', address: '2001:db8::5', port: 5060 }] });
  h.proxy.onRequest = (pr) => { pr.setSendSocket('udp:10.0.1.1:5070'); pr.relay(); };
  h.recv(request({ uri: 'sip:bob@[2001:db8::20]' }));
  const f = only(h.take(), isReq('INVITE'));
  assert.equal(f.msg.topVia.host, '[2001:db8::5]');
  assert.equal(f.target.localAddress, '2001:db8::5');
  assert.equal(h.stat('core:forced_socket_fallbacks'), 1);
});

test('forwardStateless and the stateless relay of an ACK to a 2xx leave from the forced socket', () => {
  const h = harness({ listeners: LISTENERS });
  h.proxy.onRequest = (pr) => {
    if (pr.method === 'ACK') pr.relay(undefined, { socket: 'udp:10.0.1.1:5070' });
    else { pr.setSendSocket('udp:10.0.1.1:5070'); pr.forwardStateless(); }
  };
  h.recv(request({ method: 'MESSAGE' }));
  const m = only(h.take(), isReq('MESSAGE'));
  assert.deepEqual([m.target.localAddress, m.target.localPort, m.msg.topVia.host, m.msg.topVia.port], [PRIVATE_IP, 5070, PRIVATE_IP, 5070]);
  h.recv(request({ method: 'ACK', toTag: 'b1', branch: 'z9hG4bKack2xx' }));
  const a = only(h.take(), isReq('ACK'));
  assert.deepEqual([a.target.localAddress, a.target.localPort, a.msg.topVia.host], [PRIVATE_IP, 5070, PRIVATE_IP]);
});

test('a socket that is not ours, or not proto:address[:port], is a TypeError the script sees; nothing is relayed by a relay() that threw', () => {
  const h = harness({ listeners: LISTENERS });
  const errors: string[] = [];
  let relayed: unknown = 'not called';
  h.proxy.onRequest = (pr) => {
    const bad: unknown[] = ['udp:10.0.0.9:5060', 'udp:10.0.1.1:5060', 'tcp:10.0.1.1:5070', 'tls:10.0.0.1:5061', '10.0.0.1:5060', 'udp:', 'udp:10.0.0.1:0', 'udp:10.0.0.1:x', 'udp:::1', 'udp:[::1', 42, null];
    for (const b of bad) {
      try { pr.setSendSocket(b as string); errors.push('accepted'); } catch (e) { errors.push(e instanceof TypeError ? 'TypeError' : String(e)); }
    }
    try { relayed = pr.relay(undefined, { socket: 'udp:192.0.2.1:5060' }); } catch (e) { errors.push(e instanceof TypeError ? 'TypeError' : String(e)); }
    pr.reply(500, 'Server Internal Error');
  };
  h.recv(request({ method: 'MESSAGE' }));
  assert.deepEqual(errors, Array(13).fill('TypeError'));
  assert.equal(relayed, 'not called');
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest).length, 0);
  only(s, isRes(500));
});

test('setSendSocket(undefined) goes back to the usual choice', () => {
  const h = harness({ listeners: LISTENERS });
  h.proxy.onRequest = (pr) => { pr.setSendSocket('udp:10.0.1.1:5070'); pr.setSendSocket(undefined); pr.relay(); };
  h.recv(request({ method: 'MESSAGE' }));
  assert.equal(only(h.take(), isReq('MESSAGE')).msg.topVia.host, PROXY_IP);
});

test('the relay option socket on a request with no transaction (an ACK to a 2xx) holds for that relay only: $fs is left as it was', () => {
  const h = harness({ listeners: LISTENERS });
  const seen: Array<string | undefined> = [];
  h.proxy.onRequest = (pr) => {
    pr.relay(undefined, { socket: 'udp:10.0.1.1:5070' });
    seen.push(pr.sendSocket);
  };
  h.recv(request({ method: 'ACK', toTag: 'b1', branch: 'z9hG4bKack2xx2' }));
  const a = only(h.take(), isReq('ACK'));
  assert.equal(a.target.localAddress, PRIVATE_IP, 'that relay left from the option\'s socket');
  assert.deepEqual(seen, [undefined], '$fs unchanged after it');
});
