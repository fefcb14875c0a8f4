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
import { createSocket, type Socket } from 'node:dgram';
import { nullCounters } from '../../src/lib/counter.ts';
import { realClock, realRandom, realTimers } from '../../src/lib/real-time.ts';
import { TimerWheel } from '../../src/lib/timer-wheel.ts';
import { parseMessage, type SipMessage } from '../../src/sip/message/index.ts';
import { SipCore, SipProxy } from '../../src/sip/proxy/index.ts';
import type { SipOutput } from '../../src/sip/proxy/sip-source.ts';
import { SipTransport } from '../../src/sip/transport/sip-transport.ts';
import type { ListenerInfo } from '../../src/sip/transport/types.ts';

interface Got { readonly msg: SipMessage; readonly fromPort: number }

/** A UA or next hop on a real UDP socket, recording what reaches it and from which port. */
class Peer {
  readonly got: Got[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (data, rinfo) => {
      const r = parseMessage(data, { framing: 'datagram' });
      if (r.ok) this.got.push({ msg: r.value, fromPort: rinfo.port });
    });
  }

  static async open(): Promise<Peer> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new Peer(s);
  }

  get port(): number { return this.socket.address().port; }

  send(text: string, to: ListenerInfo): void { this.socket.send(Buffer.from(text), to.port, to.address); }

  async next(pred: (m: SipMessage) => boolean, ms = 3000): Promise<Got> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.got.findIndex((g) => pred(g.msg));
      if (i >= 0) return this.got.splice(i, 1)[0] as Got;
      if (Date.now() > end) throw new Error(`nothing matching arrived; got ${this.got.map((g) => g.msg.isRequest ? g.msg.method : g.msg.status).join(', ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void { this.socket.close(); }
}

/** The node as src/app/sip-service.ts wires it: transport ↔ core (↔ proxy when `proxy`). */
async function node(hosts: readonly string[], proxy: boolean) {
  const h: { core?: SipCore } = {};
  const transport = new SipTransport((data, info) => h.core?.receive(data, info), () => {}, nullCounters);
  const listeners = await transport.listen(hosts.map((host) => ({ proto: 'udp' as const, host, port: 0 })));
  const out: SipOutput = { send: (t, d) => { const r = transport.send(t, d); return r === 'sent' || r === 'queued'; } };
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

function request(method: string, uaPort: number, o: { uri?: string; branch?: string; toTag?: string } = {}): string {
  return [
    `${method} ${o.uri ?? 'sip:bob@example.com'} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=${o.branch ?? `z9hG4bK${method.toLowerCase()}1`};rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    `To: <sip:bob@example.com>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${method.toLowerCase()}-1@127.0.0.1`,
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
