/**
 * A forwarded request the transport took but could not deliver — a TCP connect refused, a datagram
 * the kernel refused when the UDP queue flushed — ends its branch at once as a local 503 (RFC 3261
 * §16.9; §17.1.1.2 / §17.1.2.2 transport error), on real sockets, not at timer B/F 32 s later.
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
import { Peer } from '../support/udp-peer.ts';

/** The node as src/app/sip-service.ts wires it: the proxy's sends carry their watcher to the transport. */
async function node() {
  const h: { core?: SipCore } = {};
  const transport = new SipTransport((data, info) => h.core?.receive(data, info), () => {}, nullCounters);
  const listeners = await transport.listen([{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'tcp', host: '127.0.0.1', port: 0 }]);
  const out: SipOutput = { send: (t, d, w) => { const r = transport.send(t, d, w); return r === 'sent' || r === 'queued'; } };
  const core = new SipCore({ out, counters: nullCounters, serverHeader: 'sc-test', allow: ['OPTIONS'] });
  h.core = core;
  new SipProxy({
    out, core, counters: nullCounters, timers: new TimerWheel(realClock, realTimers), random: realRandom, serverHeader: 'sc-test',
    listeners: listeners.map((l) => ({ proto: l.proto, address: l.address, port: l.port })),
  });
  return { transport, udp: listeners[0] as ListenerInfo };
}

function message(uri: string, uaPort: number, n: number): string {
  return [
    `MESSAGE ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=z9hG4bKlate${n};rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    `Call-ID: late-${n}@127.0.0.1`,
    'CSeq: 1 MESSAGE',
    'Content-Length: 0', '', '',
  ].join('\r\n');
}

const status = (s: number) => (m: SipMessage) => !m.isRequest && m.status === s;

test('RFC 3261 §16.9: a refused TCP connect and a datagram the kernel refuses (EACCES) each give the caller a 503 within a second', async () => {
  const n = await node();
  const ua = await Peer.open();
  try {
    // No script: the proxy relays to the Request-URI. Port 1 on loopback: nothing listens.
    ua.send(message('sip:bob@127.0.0.1:1;transport=tcp', ua.port, 1), n.udp);
    assert.equal((await ua.next(status(503), 1000)).msg.callId, 'late-1@127.0.0.1');
    // A broadcast address without SO_BROADCAST: sendmsg fails when the queue flushes.
    ua.send(message('sip:bob@255.255.255.255:5060', ua.port, 2), n.udp);
    assert.equal((await ua.next(status(503), 1000)).msg.callId, 'late-2@127.0.0.1');
  } finally {
    ua.close();
    await n.transport.close();
  }
});
