/**
 * A node with two UDP listeners, on real sockets: every datagram leaves from the right one.
 * RFC 3581 §4: a response "MUST be sent from the same address and port that the request was
 * received on" (RFC 3261 §18.2.2 sends it back over the same socket for UDP too); a NAT or firewall
 * in front of the client drops one from another port. A forwarded request leaves from the listener
 * its Via names, so the next hop sees a source that matches our headers (OpenSIPS: replies from the
 * receiving socket, requests from the send socket).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nullCounters } from '../../src/lib/counter.ts';
import { realClock, realRandom, realTimers } from '../../src/lib/real-time.ts';
import { TimerWheel } from '../../src/lib/timer-wheel.ts';
import { buildResponse, type SipMessage } from '../../src/sip/message/index.ts';
import { SipCore, SipProxy } from '../../src/sip/proxy/index.ts';
import type { SipOutput } from '../../src/sip/proxy/sip-source.ts';
import { SipTransport } from '../../src/sip/transport/sip-transport.ts';
import type { ListenerInfo } from '../../src/sip/transport/types.ts';
import { Peer } from '../support/udp-peer.ts';

/** The node as src/app/sip-service.ts wires it: transport ↔ core (↔ proxy when `proxy`). */
async function node(hosts: readonly string[], proxy: boolean) {
  const h: { core?: SipCore } = {};
  const transport = new SipTransport((data, info) => h.core?.receive(data, info), () => {}, nullCounters);
  const listeners = await transport.listen(hosts.map((host) => ({ proto: 'udp' as const, host, port: 0 })));
  const out: SipOutput = { send: (t, d, w) => { const r = transport.send(t, d, w); return r === 'sent' || r === 'queued'; } };
  const core = new SipCore({ out, counters: nullCounters, serverHeader: 'sc-test', allow: ['OPTIONS'] });
  h.core = core;
  const p = proxy
    ? new SipProxy({
      out, core, counters: nullCounters, timers: new TimerWheel(realClock, realTimers), random: realRandom, serverHeader: 'sc-test',
      listeners: listeners.map((l) => ({ proto: l.proto, address: l.address, port: l.port })),
    })
    : undefined;
  return { transport, listeners, core, proxy: p };
}

function request(method: string, uaPort: number, o: { uri?: string; branch?: string; toTag?: string; callId?: string } = {}): string {
  return [
    `${method} ${o.uri ?? 'sip:bob@example.com'} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=${o.branch ?? `z9hG4bK${method.toLowerCase()}1`};rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    `To: <sip:bob@example.com>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${o.callId ?? `${method.toLowerCase()}-1@127.0.0.1`}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:alice@127.0.0.1:${uaPort}>`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
}

const status = (s: number) => (m: SipMessage) => !m.isRequest && m.status === s;

test('RFC 3581 §4: a stateless OPTIONS reply (SipCore) leaves from the listener the request came in on', async () => {
  const n = await node(['127.0.0.1', '127.0.0.1'], false);
  const [a, b] = n.listeners as [ListenerInfo, ListenerInfo];
  const ua = await Peer.open();
  try {
    ua.send(request('OPTIONS', ua.port, { branch: 'z9hG4bKoptB' }), b);
    assert.equal((await ua.next(status(200))).fromPort, b.port, 'answered from the second listener');
    ua.send(request('OPTIONS', ua.port, { branch: 'z9hG4bKoptA' }), a);
    assert.equal((await ua.next(status(200))).fromPort, a.port, 'and from the first for a request on the first');
  } finally {
    ua.close();
    await n.transport.close();
  }
});

test('RFC 3581 §4 / §18.2.2: the proxy answers a REGISTER, and an INVITE (100, final, its retransmission), from the listener it came in on', async () => {
  const n = await node(['127.0.0.1', '127.0.0.1'], true);
  const [, b] = n.listeners as [ListenerInfo, ListenerInfo];
  assert.ok(n.proxy !== undefined);
  n.proxy.onRequest = (pr) => { pr.reply(pr.msg.method === 'REGISTER' ? 200 : 486, pr.msg.method === 'REGISTER' ? 'OK' : 'Busy Here'); };
  const ua = await Peer.open();
  try {
    ua.send(request('REGISTER', ua.port, { uri: 'sip:example.com' }), b);
    assert.equal((await ua.next(status(200))).fromPort, b.port, 'REGISTER 200 (a server transaction) from the second listener');
    const invite = request('INVITE', ua.port);
    ua.send(invite, b);
    assert.equal((await ua.next(status(100))).fromPort, b.port, '100 Trying');
    assert.equal((await ua.next(status(486))).fromPort, b.port, 'the final');
    ua.send(invite, b);
    assert.equal((await ua.next(status(486))).fromPort, b.port, 'the final again, for the retransmitted INVITE (§17.2.1)');
    ua.send(request('ACK', ua.port, { branch: 'z9hG4bKinvite1', toTag: 'x' }), b);
  } finally {
    ua.close();
    await n.transport.close();
  }
});

const isReq = (method: string) => (m: SipMessage) => m.isRequest && m.method === method;

test('a request forwarded through the listener it came in on (OpenSIPS send socket) leaves from it, with its Via: INVITE and retransmission, CANCEL, non-2xx ACK, stateless ACK, stray response', async () => {
  const n = await node(['127.0.0.1', '127.0.0.1'], true);
  const [a, b] = n.listeners as [ListenerInfo, ListenerInfo];
  const ua = await Peer.open();
  const callee = await Peer.open();
  try {
    // No script: the proxy relays to the Request-URI, statefully (ACK of a 2xx: statelessly).
    const uri = `sip:bob@127.0.0.1:${callee.port}`;
    ua.send(request('INVITE', ua.port, { uri }), b);
    assert.equal((await ua.next(status(100))).fromPort, b.port, '100 Trying from the second listener');
    const inv = await callee.next(isReq('INVITE'));
    assert.equal(inv.fromPort, b.port, 'the INVITE leaves from the second listener');
    assert.deepEqual([inv.msg.topVia.host, inv.msg.topVia.port], ['127.0.0.1', b.port], 'and its Via names it');
    // Not answered: timer A retransmits it (T1 = 500 ms), from the same socket.
    assert.equal((await callee.next(isReq('INVITE'))).fromPort, b.port, 'the retransmission too');
    callee.answer(inv.msg, 180, 'Ringing', b);
    assert.equal((await ua.next(status(180))).fromPort, b.port, 'the 180 goes up from the listener the INVITE came in on');
    ua.send(request('CANCEL', ua.port, { uri, branch: 'z9hG4bKinvite1', callId: 'invite-1@127.0.0.1' }), b);
    assert.equal((await ua.next(status(200))).fromPort, b.port, '200 to the CANCEL');
    const cancel = await callee.next(isReq('CANCEL'));
    assert.equal(cancel.fromPort, b.port, 'our CANCEL (§16.10) from the branch\'s listener');
    callee.answer(cancel.msg, 200, 'OK', b);
    callee.answer(inv.msg, 487, 'Request Terminated', b);
    const ack = await callee.next(isReq('ACK'));
    assert.equal(ack.fromPort, b.port, 'the ACK of the 487 (§17.1.1.3) too');
    assert.equal((await ua.next(status(487))).fromPort, b.port, 'the 487 goes up from the second listener');
    // An ACK no transaction matches (as for a 2xx) is forwarded statelessly (§16.11), from the listener its Via names.
    ua.send(request('ACK', ua.port, { uri, branch: 'z9hG4bKack2xx', toTag: 'callee1', callId: 'invite-1@127.0.0.1' }), b);
    const sack = await callee.next(isReq('ACK'));
    assert.equal(sack.fromPort, b.port, 'stateless forward from the second listener');
    assert.equal(sack.msg.topVia.port, b.port);
    // A response no client transaction knows, with our Via on top, goes on from the socket it came in on.
    callee.send(buildResponse(sack.msg, 200, 'OK', { toTag: 'callee1' }).bytes, b);
    assert.equal((await ua.next(status(200))).fromPort, b.port, 'stray response forwarded from the socket it came in on');
    // The first listener still sends what came in on it.
    ua.send(request('MESSAGE', ua.port, { uri }), a);
    const msg = await callee.next(isReq('MESSAGE'));
    assert.deepEqual([msg.fromPort, msg.msg.topVia.port], [a.port, a.port]);
    callee.answer(msg.msg, 200, 'OK', a);
    assert.equal((await ua.next(status(200))).fromPort, a.port);
  } finally {
    ua.close();
    callee.close();
    await n.transport.close();
  }
});

test('a one-listener node: replies and forwards leave from its only socket, as before', async () => {
  const n = await node(['127.0.0.1'], true);
  const [only] = n.listeners as [ListenerInfo];
  const ua = await Peer.open();
  const callee = await Peer.open();
  try {
    ua.send(request('MESSAGE', ua.port, { uri: `sip:bob@127.0.0.1:${callee.port}` }), only);
    const fwd = await callee.next(isReq('MESSAGE'));
    assert.deepEqual([fwd.fromPort, fwd.msg.topVia.port], [only.port, only.port]);
    callee.answer(fwd.msg, 200, 'OK', only);
    assert.equal((await ua.next(status(200))).fromPort, only.port);
  } finally {
    ua.close();
    callee.close();
    await n.transport.close();
  }
});
