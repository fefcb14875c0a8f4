/**
 * OpenSIPS force_send_socket on real sockets: a node with two UDP listeners on 127.0.0.1, a
 * request in on the first, and a routing script that sends it out from the second. Every datagram
 * of that branch (the INVITE, its retransmission, the CANCEL, the ACK of the 487) leaves from the
 * second socket, whose port our Via and Record-Route name; what goes back to the caller leaves
 * from the socket the INVITE came in on (RFC 3581 §4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nullCounters } from '../../src/lib/counter.ts';
import { realClock, realRandom, realTimers } from '../../src/lib/real-time.ts';
import { TimerWheel } from '../../src/lib/timer-wheel.ts';
import type { SipMessage } from '../../src/sip/message/index.ts';
import { SipCore, SipProxy } from '../../src/sip/proxy/index.ts';
import type { SipOutput } from '../../src/sip/proxy/sip-source.ts';
import { SipTransport } from '../../src/sip/transport/sip-transport.ts';
import type { ListenerInfo } from '../../src/sip/transport/types.ts';
import { defineRoutes } from '../../src/script/api.ts';
import type { AuthPort, RegistrarPort } from '../../src/script/ports.ts';
import { portOf } from '../../src/script/proxy-binding.ts';
import { ScriptHost } from '../../src/script/script-host.ts';
import { Peer } from '../support/udp-peer.ts';

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Transport ↔ core ↔ proxy ↔ script host, as src/app/sip-service.ts wires them, on two UDP listeners. */
async function node(routes: Parameters<typeof defineRoutes>[0]) {
  const h: { core?: SipCore } = {};
  const transport = new SipTransport((data, info) => h.core?.receive(data, info), () => {}, nullCounters);
  const listeners = await transport.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '127.0.0.1', port: 0 }]);
  const out: SipOutput = { send: (t, d) => { const r = transport.send(t, d); return r === 'sent' || r === 'queued'; } };
  const core = new SipCore({ out, counters: nullCounters, serverHeader: 'sc-test', allow: ['OPTIONS'] });
  h.core = core;
  const proxy = new SipProxy({
    out, core, counters: nullCounters, timers: new TimerWheel(realClock, realTimers), random: realRandom, serverHeader: 'sc-test',
    listeners: listeners.map((l) => ({ proto: l.proto, address: l.address, port: l.port })),
  });
  const host = new ScriptHost(defineRoutes(routes), { registrar: {} as RegistrarPort, auth: {} as AuthPort, cluster: undefined, logger });
  proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
  return { transport, listeners };
}

function request(method: string, uaPort: number, uri: string): string {
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=z9hG4bKfs1;rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: fs-1@127.0.0.1',
    `CSeq: 1 ${method}`,
    `Contact: <sip:alice@127.0.0.1:${uaPort}>`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
}

const isReq = (method: string) => (m: SipMessage) => m.isRequest && m.method === method;
const status = (s: number) => (m: SipMessage) => !m.isRequest && m.status === s;

test('ctx.setSendSocket on a two-listener node: the branch\'s INVITE, retransmission, CANCEL and non-2xx ACK leave from the forced socket its Via and Record-Route name', async () => {
  let second = '';
  const n = await node({
    async request(_req, ctx) {
      ctx.setSendSocket(second);
      ctx.recordRoute();
      await ctx.relay();
    },
  });
  const [a, b] = n.listeners as [ListenerInfo, ListenerInfo];
  second = `udp:127.0.0.1:${b.port}`;
  const ua = await Peer.open();
  const callee = await Peer.open();
  try {
    const uri = `sip:bob@127.0.0.1:${callee.port}`;
    ua.send(request('INVITE', ua.port, uri), a);
    assert.equal((await ua.next(status(100))).fromPort, a.port, '100 Trying from the listener the INVITE came in on');
    const inv = await callee.next(isReq('INVITE'));
    assert.equal(inv.fromPort, b.port, 'the INVITE leaves from the forced socket');
    assert.deepEqual([inv.msg.topVia.host, inv.msg.topVia.port], ['127.0.0.1', b.port], 'its Via names it');
    assert.deepEqual(inv.msg.getList('Record-Route'), [`<sip:127.0.0.1:${b.port};lr>`, `<sip:127.0.0.1:${a.port};lr>`], 'double Record-Route: out, then in');
    assert.equal((await callee.next(isReq('INVITE'))).fromPort, b.port, 'timer A retransmission from it too');
    callee.answer(inv.msg, 180, 'Ringing', b);
    assert.equal((await ua.next(status(180))).fromPort, a.port, 'the 180 goes up from the first listener');
    ua.send(request('CANCEL', ua.port, uri), a);
    assert.equal((await ua.next(status(200))).fromPort, a.port, '200 to the CANCEL');
    const cancel = await callee.next(isReq('CANCEL'));
    assert.equal(cancel.fromPort, b.port, 'our CANCEL from the forced socket');
    callee.answer(cancel.msg, 200, 'OK', b);
    callee.answer(inv.msg, 487, 'Request Terminated', b);
    assert.equal((await callee.next(isReq('ACK'))).fromPort, b.port, 'the ACK of the 487 from the forced socket');
    assert.equal((await ua.next(status(487))).fromPort, a.port, 'the 487 goes up from the first listener');
  } finally {
    ua.close();
    callee.close();
    await n.transport.close();
  }
});
