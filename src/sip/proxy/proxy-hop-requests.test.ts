import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLEE_IP, CALLER, PROXY_IP, harness, isReq, only, request } from '../../../test/support/proxy-harness.ts';
import { FakeClock, SeededRandom } from '../../lib/fake-time.ts';
import { StatisticsRegistry } from '../../mgmt/statistics.ts';
import { SipCore } from './sip-core.ts';
import { SipProxy } from './sip-proxy.ts';
import type { SipTarget } from './sip-source.ts';

// Three Route lines, each well under the 8 KiB line limit, pointing at the callee (loose).
function bigRoutes(): string[] {
  const pad = (c: string) => c.repeat(2900);
  return [
    `Route: <sip:${CALLEE_IP};lr;x=${pad('a')}>`,
    `Route: <sip:192.0.2.31;lr;x=${pad('b')}>`,
    `Route: <sip:192.0.2.32;lr;x=${pad('c')}>`,
  ];
}

test('§17.1.1.3 hop-by-hop ACK of a 486 for a request with a long (multi-line) Route set is built and the 486 goes upstream', () => {
  const h = harness();
  h.recv(request({ headers: bigRoutes() }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  assert.equal(inv.getAll('Route').length, 3, 'forwarded with its three Route lines');
  // Must not throw, must ACK, must forward 486.
  assert.doesNotThrow(() => h.answer(inv, 486, 'Busy Here'));
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest && x.msg.method === 'ACK').length, 1, 'ACK sent downstream');
  assert.equal(s.filter((x) => !x.msg.isRequest && x.msg.status === 486).length, 1, '486 forwarded upstream');
});

test('§9.1 CANCEL of a ringing branch whose request has a long Route set: built and sent, no throw', () => {
  const h = harness();
  h.recv(request({ headers: bigRoutes() }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 180, 'Ringing');
  h.take();
  assert.doesNotThrow(() => h.recv(request({ method: 'CANCEL' })));
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest && x.msg.method === 'CANCEL').length, 1, 'CANCEL sent downstream');
});

test('§16.8 timer C on a ringing branch with a long Route set must not throw from the timer (would end the process)', () => {
  const h = harness();
  h.recv(request({ headers: bigRoutes() }));
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 180, 'Ringing');
  h.take();
  assert.doesNotThrow(() => h.clock.advance(200_000));
});

test('§16.6 a script-added header longer than a line may be is caught before forwarding: the branch ends 513, nothing throws later', () => {
  const clock = new FakeClock();
  const stats = new StatisticsRegistry();
  const raw: Array<{ target: SipTarget; data: Buffer }> = [];
  const out = { send(target: SipTarget, data: Buffer): boolean { raw.push({ target, data: Buffer.from(data) }); return true; } };
  const core = new SipCore({ out, counters: stats, serverHeader: 'x', allow: ['OPTIONS'] });
  const proxy = new SipProxy({ core, out, counters: stats, timers: clock, random: new SeededRandom(7), serverHeader: 'x', listeners: [{ proto: 'udp', address: PROXY_IP, port: 5060 }] });
  proxy.onRequest = (pr) => { pr.addHeader('X-Long', 'v'.repeat(8300)); pr.relay(); };
  // Before, only the received request's size was looked at: the INVITE went out with an 8 KiB+
  // line, and the ACK of its 486 (built from a parse of it) threw inside the receive path.
  assert.doesNotThrow(() => core.receive(Buffer.from(request()), CALLER));
  const texts = raw.map((r) => r.data.toString('latin1'));
  assert.equal(texts.filter((t) => t.startsWith('INVITE ')).length, 0, 'not forwarded');
  assert.equal(texts.filter((t) => t.startsWith('SIP/2.0 513 ')).length, 1, '513 upstream');
  assert.doesNotThrow(() => clock.advance(200_000));
});
