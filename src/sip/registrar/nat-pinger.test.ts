import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, SeededRandom } from '../../lib/fake-time.ts';
import { buildResponse, parseMessage, type SipMessage } from '../message/index.ts';
import { counting } from '../../../test/support/counting.ts';
import type { BindingFields } from './binding.ts';
import type { LocationEvent } from './location-store.ts';
import { MemoryLocationStore } from './memory-location-store.ts';
import { NatPinger, type NatPingConfig, type PingSocket } from './nat-pinger.ts';
import type { PingAddress } from './nat-ping-request.ts';

const T0 = 1_700_000_000; // wall seconds of FakeClock(0)
const OURS: PingSocket = { address: '192.0.2.10', port: 5060, sentBy: 'sip.example.net:5060' };
const OURS_TCP: PingSocket = { address: '192.0.2.10', port: 5060, sentBy: 'sip.example.net:5060' };

/** `tcp` when it went on a connection (sendOnConnection), else a datagram from `from`. */
interface Sent { readonly from: PingSocket | 'tcp'; readonly to: PingAddress; readonly data: Buffer; readonly atMs: number }

function nated(i: number, extra: Partial<BindingFields> = {}): BindingFields {
  return {
    contact: `sip:u${i}@10.0.${i >> 8}.${i & 255}:5060`, expiresSec: T0 + 3600, callId: `c${i}@x`, cseq: 1,
    received: `sip:198.51.100.${i & 255}:${20000 + i}`, socket: 'udp:192.0.2.10:5060', ...extra,
  };
}

/** A binding registered over TCP from behind a NAT: `received` is the connection's far end. */
function tcpNated(i: number, extra: Partial<BindingFields> = {}): BindingFields {
  return nated(i, { contact: `sip:t${i}@10.0.0.${i}:5060;transport=tcp`, socket: 'tcp:192.0.2.10:5060', received: `sip:198.51.100.${i}:${40000 + i};transport=tcp`, ...extra });
}

function setup(config: Partial<NatPingConfig> = {}) {
  const clock = new FakeClock();
  /** The peers (`address:port`) the fake transport has a live TCP connection to. */
  const connected = new Set<string>();
  const store = new MemoryLocationStore({ clock });
  const sent: Sent[] = [];
  const removed: Array<[string, number]> = [];
  const stats = counting();
  const pinger = new NatPinger({
    store, clock, timers: clock, random: new SeededRandom(7), counters: stats.factory,
    out: {
      socketFor: (socket) => (socket === '' || socket === 'udp:192.0.2.10:5060' ? OURS : socket === 'tcp:192.0.2.10:5060' ? OURS_TCP : undefined),
      send: (from, to, data) => { sent.push({ from, to, data, atMs: clock.nowMs() }); return true; },
      sendOnConnection: (to, data) => {
        if (!connected.has(`${to.address}:${to.port}`)) return 'no-connection';
        sent.push({ from: 'tcp', to, data, atMs: clock.nowMs() });
        return 'sent';
      },
    },
    config: { intervalSec: 30, method: 'options', natedOnly: true, from: 'sip:pinger@sip.example.net', maxPingsLost: 0, ...config },
    onRemoved: (b, n) => removed.push([b.contact, n]),
  });
  return { clock, store, sent, removed, stats: stats.values, pinger, connected };
}

function parsed(s: Sent): SipMessage {
  const r = parseMessage(s.data, { framing: s.from === 'tcp' ? 'stream' : 'datagram' });
  assert.ok(r.ok, 'a ping parses with our own parser');
  return r.value;
}

test('spreading: N bindings over interval I are each pinged once per I, a few per tick, never a burst', () => {
  const { clock, store, sent, pinger } = setup({ intervalSec: 30 });
  const n = 100;
  for (let i = 0; i < n; i++) store.insert(`u${i}@x`, nated(i));
  pinger.start();
  const perTick: number[] = [];
  for (let t = 0; t < 60; t++) {
    const before = sent.length;
    clock.advance(1000);
    perTick.push(sent.length - before);
  }
  assert.ok(Math.max(...perTick) <= Math.ceil(n / 30) + 1, `at most ~N/ticks+1 per tick, got ${Math.max(...perTick)}`);
  assert.ok(perTick.slice(0, 30).every((k) => k >= 3), 'every tick carries its share');
  const firstRound = sent.filter((s) => s.atMs <= 30_000).map((s) => s.to.port).sort();
  assert.equal(firstRound.length, n);
  assert.equal(new Set(firstRound).size, n, 'each binding once in the first interval');
  const secondRound = sent.filter((s) => s.atMs > 30_000).map((s) => s.to.port);
  assert.equal(new Set(secondRound).size, n, 'and once again in the second');
  assert.equal(secondRound.length, n);
  // Every binding waits about one interval between its two pings.
  const at = new Map<number, number[]>();
  for (const s of sent) at.set(s.to.port, [...(at.get(s.to.port) ?? []), s.atMs]);
  for (const [, times] of at) assert.equal((times[1] ?? 0) - (times[0] ?? 0), 30_000);
  pinger.stop();
  clock.advance(60_000);
  assert.equal(sent.length, 2 * n, 'stopped: nothing more');
});

test('natedOnly (the default) pings bindings registered from another address than their Contact; false pings every UDP binding', () => {
  for (const natedOnly of [true, false]) {
    const { clock, store, sent, pinger } = setup({ intervalSec: 2, natedOnly });
    store.insert('a@x', nated(1));
    const { received: _r, ...direct } = nated(2);
    store.insert('b@x', direct);
    store.insert('c@x', nated(3, { socket: 'tcp:192.0.2.10:5060', received: 'sip:198.51.100.3:20003;transport=tcp' }));
    store.insert('d@x', nated(4, { socket: 'udp:203.0.113.99:5060' }));
    store.insert('e@x', nated(5, { path: '<sip:edge.example.net;lr>' }));
    pinger.start();
    clock.advance(2000);
    const to = sent.map((s) => `${s.to.address}:${s.to.port}`).sort();
    // TCP (without natPing.tcp), another node's socket (a replicated binding) and a Path are not ours to ping.
    assert.deepEqual(to, natedOnly ? ['198.51.100.1:20001'] : ['10.0.0.2:5060', '198.51.100.1:20001']);
    assert.ok(sent.every((s) => s.from === OURS));
  }
});

test('an OPTIONS ping is an out-of-dialog request (RFC 3261 §8.1.1) sent to received, from the binding\'s socket', () => {
  const { clock, store, sent, pinger, stats } = setup({ intervalSec: 1 });
  store.insert('alice@x', nated(1));
  pinger.start();
  clock.advance(1000);
  clock.advance(1000);
  assert.equal(sent.length, 2);
  const [a, b] = sent.map(parsed) as [SipMessage, SipMessage];
  assert.deepEqual(sent[0]?.to, { address: '198.51.100.1', port: 20001 });
  assert.equal(a.method, 'OPTIONS');
  assert.equal(a.uriText, 'sip:u1@10.0.0.1:5060');
  const via = a.topVia;
  assert.equal(via.transport, 'UDP');
  assert.equal(`${via.host}:${via.port}`, 'sip.example.net:5060');
  assert.match(via.branch ?? '', /^z9hG4bK/);
  assert.equal(via.rport, true);
  assert.equal(a.maxForwards, 70);
  assert.equal(a.from.uri.raw, 'sip:pinger@sip.example.net');
  assert.ok((a.from.tag ?? '').length > 0);
  assert.equal(a.to.uri.raw, 'sip:u1@10.0.0.1:5060');
  assert.equal(a.to.tag, undefined);
  assert.deepEqual([a.cseq.seq, a.cseq.method], [1, 'OPTIONS']);
  assert.equal(a.get('Content-Length'), '0');
  assert.equal(a.body.length, 0);
  assert.notEqual(a.callId, b.callId, 'a new Call-ID per ping');
  assert.notEqual(a.topVia.branch, b.topVia.branch, 'a fresh branch per ping');
  assert.notEqual(a.from.tag, b.from.tag);
  assert.equal(stats.get('nathelper:pings_sent'), 2);
  assert.equal(pinger.outstandingCount(), 2);
});

test('any reply (a 404 too) keeps the contact: it is consumed, counted, and never removed', () => {
  const { clock, store, sent, pinger, stats, removed } = setup({ intervalSec: 5, maxPingsLost: 2 });
  const b = store.insert('alice@x', nated(1));
  pinger.start();
  for (let i = 0; i < 6; i++) {
    clock.advance(5000);
    const last = sent.at(-1);
    assert.ok(last);
    assert.equal(pinger.receiveResponse(buildResponse(parsed(last), i % 2 === 0 ? 404 : 200, 'x')), true);
  }
  clock.advance(4000); // past the last reply timeout, before the next ping
  assert.deepEqual(store.lookup('alice@x'), [b]);
  assert.deepEqual(removed, []);
  assert.equal(stats.get('nathelper:ping_replies'), 6);
  assert.equal(stats.get('nathelper:pings_lost') ?? 0, 0);
  assert.equal(pinger.outstandingCount(), 0);
});

test('a response that is not to a ping is left for the proxy; a late reply to one is still ours', () => {
  const { clock, store, sent, pinger, stats } = setup({ intervalSec: 10 });
  store.insert('alice@x', nated(1));
  pinger.start();
  clock.advance(10_000);
  const ping = parsed(sent[0] as Sent);
  const other = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKsc0123\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'), { framing: 'datagram' });
  assert.ok(other.ok);
  assert.equal(pinger.receiveResponse(other.value), false);
  clock.advance(5000); // past the 3 s reply timeout
  assert.equal(stats.get('nathelper:pings_lost'), 1);
  assert.equal(pinger.receiveResponse(buildResponse(ping, 200, 'OK')), true, 'ours, dropped, not forwarded');
  assert.equal(stats.get('nathelper:ping_replies') ?? 0, 0);
});

test('maxPingsLost unanswered pings in a row remove the binding through the store (a delete event), counted and reported', () => {
  const { clock, store, sent, pinger, stats, removed } = setup({ intervalSec: 10, maxPingsLost: 3, replyTimeoutMs: 2000 });
  const events: LocationEvent[] = [];
  store.subscribe((e) => events.push(e));
  const quiet = store.insert('alice@x', nated(1));
  const alive = store.insert('bob@x', nated(2));
  pinger.start();
  const alicePings: number[] = [];
  let removedAtMs = -1;
  for (let t = 0; t < 60 && removedAtMs < 0; t++) {
    clock.advance(1000);
    // bob answers every ping, alice none.
    for (const s of sent.splice(0)) {
      if (s.to.port === 20002) assert.equal(pinger.receiveResponse(buildResponse(parsed(s), 200, 'OK')), true);
      else alicePings.push(s.atMs);
    }
    if (store.lookup('alice@x').length === 0) removedAtMs = clock.nowMs();
    else assert.deepEqual(store.lookup('alice@x'), [quiet]);
  }
  assert.equal(alicePings.length, 3, 'removed after its third unanswered ping');
  assert.equal(removedAtMs, (alicePings[2] ?? 0) + 2000, 'once the third reply timeout passed');
  assert.deepEqual(store.lookup('bob@x'), [alive]);
  assert.deepEqual(events.filter((e) => e.kind === 'delete').map((e) => [e.binding.contact, e.kind === 'delete' ? e.origin : '']), [['sip:u1@10.0.0.1:5060', 'local']]);
  assert.deepEqual(removed, [['sip:u1@10.0.0.1:5060', 3]]);
  assert.equal(stats.get('nathelper:contacts_removed'), 1);
  assert.equal(stats.get('nathelper:pings_lost'), 3);
  assert.equal(stats.get('nathelper:ping_replies'), 2);
});

test('a re-REGISTER resets the count of lost pings (the refreshed binding is a new one), and maxPingsLost 0 never removes', () => {
  const a = setup({ intervalSec: 10, maxPingsLost: 2 });
  const b0 = a.store.insert('alice@x', nated(1));
  a.pinger.start();
  a.clock.advance(14_000); // one lost
  const b1 = a.store.update(b0, { ...nated(1), cseq: 2 });
  a.clock.advance(10_000); // one lost, on the new binding
  assert.deepEqual(a.store.lookup('alice@x'), [b1], 'one lost before and one after the refresh: not two in a row');
  a.clock.advance(10_000);
  assert.deepEqual(a.store.lookup('alice@x'), []);

  const never = setup({ intervalSec: 10, maxPingsLost: 0 });
  never.store.insert('alice@x', nated(1));
  never.pinger.start();
  never.clock.advance(200_000);
  assert.equal(never.store.contactCount(), 1);
  assert.equal(never.stats.get('nathelper:pings_lost'), 19);
});

test('crlf mode sends exactly CRLFCRLF (RFC 5626 §4.4.1) and follows no reply', () => {
  const { clock, store, sent, pinger } = setup({ intervalSec: 5, method: 'crlf', maxPingsLost: 0 });
  store.insert('alice@x', nated(1));
  pinger.start();
  clock.advance(5000);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.data.toString('latin1'), '\r\n\r\n');
  assert.equal(pinger.outstandingCount(), 0);
});

test('expired bindings not yet swept are not pinged; an empty store sends nothing', () => {
  const { clock, store, sent, pinger } = setup({ intervalSec: 1 });
  store.insert('alice@x', nated(1, { expiresSec: T0 + 2 }));
  pinger.start();
  clock.advance(3000);
  assert.equal(sent.length, 1, 'pinged at 1 s, while valid, and not once expired');
  assert.throws(() => setup({ intervalSec: 0 }), RangeError);
});

test('a Contact the request builder refuses costs its own ping, not the rest of the tick', () => {
  const { clock, store, sent, stats, pinger } = setup({ intervalSec: 1 });
  store.insert('bad@x', nated(1, { contact: 'sip:bad user@10.0.0.9:5060' }));
  store.insert('u2@x', nated(2));
  pinger.start();
  clock.advance(1000);
  assert.deepEqual(sent.map((s) => s.to.address), ['198.51.100.2']);
  assert.equal(stats.get('nathelper:ping_send_failures'), 1);
});

test('a binding keeps its once-per-interval ping when a sibling in its AoR is removed between two ticks', () => {
  const { clock, store, sent, pinger } = setup({ intervalSec: 4, method: 'crlf' });
  const first = store.insert('x@d', nated(1));
  store.insert('x@d', nated(2));
  store.insert('x@d', nated(3));
  store.insert('y@d', nated(4));
  pinger.start();
  clock.advance(5000); // round 1, one per tick, and round 2's first ping (u1): the walk stops inside x@d
  store.remove(first);
  clock.advance(8000);
  const u2 = sent.filter((s) => s.to.port === 20002).map((s) => s.atMs);
  const gaps = u2.slice(1).map((t, i) => t - (u2[i] as number));
  assert.ok(u2.length >= 3 && gaps.every((g) => g <= 5000), `u2 pinged at ${u2.join(', ')}`);
});

test('a binding another node took (replicated here) is neither pinged nor removed here: only its owner is in the phone\'s NAT mapping', () => {
  const { clock, store, sent, pinger } = setup({ intervalSec: 5, maxPingsLost: 2, replyTimeoutMs: 1000 });
  store.insert('x@d', nated(1), { origin: 'replicated' });
  store.insert('y@d', nated(2));
  pinger.start();
  clock.advance(30_000);
  assert.ok(sent.length > 0 && sent.every((s) => s.to.port === 20002), 'only the local binding is pinged');
  assert.equal(store.lookup('x@d').length, 1, 'the replicated binding stays');
  assert.equal(store.lookup('y@d').length, 0, 'the local one, unanswered, is removed');
});

test('tcp off (the default, as natping_tcp 0): a TCP binding is not pinged even with its connection up', () => {
  const { clock, store, sent, pinger, connected, stats } = setup({ intervalSec: 2 });
  store.insert('t@x', tcpNated(1));
  connected.add('198.51.100.1:40001');
  pinger.start();
  clock.advance(10_000);
  assert.deepEqual(sent, []);
  assert.equal(stats.get('nathelper:tcp_not_connected') ?? 0, 0, 'not even looked at');
});

test('tcp on: a TCP binding is pinged on its connection only while one is up; without one it is skipped and counted, never dialled', () => {
  const { clock, store, sent, pinger, connected, stats } = setup({ intervalSec: 2, tcp: true, maxPingsLost: 1, replyTimeoutMs: 1000 });
  const b = store.insert('t@x', tcpNated(1));
  pinger.start();
  clock.advance(2000);
  assert.equal(sent.length, 0, 'no connection: nothing sent (the output would have had to dial)');
  assert.equal(stats.get('nathelper:tcp_not_connected'), 1);
  clock.advance(4000);
  assert.equal(stats.get('nathelper:tcp_not_connected'), 3, 'once per interval, like a ping');
  assert.deepEqual(store.lookup('t@x'), [b], 'a skipped ping is not a lost one: maxPingsLost 1 removes nothing');
  assert.equal(stats.get('nathelper:pings_lost') ?? 0, 0);
  assert.equal(stats.get('nathelper:ping_send_failures') ?? 0, 0);
  connected.add('198.51.100.1:40001');
  clock.advance(2000);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.from, 'tcp', 'on the connection, not as a datagram');
  assert.deepEqual(sent[0]?.to, { address: '198.51.100.1', port: 40001 }, 'to received: the far end of the connection');
  assert.equal(stats.get('nathelper:pings_sent'), 1);
  assert.equal(stats.get('nathelper:tcp_not_connected'), 3);
});

test('tcp on: the OPTIONS says Via SIP/2.0/TCP (no rport), is framed by Content-Length 0, and its reply is matched as over UDP', () => {
  const { clock, store, sent, pinger, connected, stats, removed } = setup({ intervalSec: 2, tcp: true, maxPingsLost: 2, replyTimeoutMs: 1500 });
  store.insert('t@x', tcpNated(1));
  store.insert('u@x', nated(2));
  connected.add('198.51.100.1:40001');
  pinger.start();
  clock.advance(2000);
  const tcpPing = sent.find((s) => s.from === 'tcp');
  const udpPing = sent.find((s) => s.from !== 'tcp');
  assert.ok(tcpPing && udpPing);
  const m = parsed(tcpPing);
  assert.equal(m.method, 'OPTIONS');
  assert.equal(m.uriText, 'sip:t1@10.0.0.1:5060;transport=tcp');
  assert.equal(m.topVia.transport, 'TCP');
  assert.equal(`${m.topVia.host}:${m.topVia.port}`, 'sip.example.net:5060');
  assert.equal(m.topVia.rport, undefined, 'rport is for UDP (RFC 3581); a TCP reply returns on the connection');
  assert.equal(m.get('Content-Length'), '0');
  assert.ok(tcpPing.data.toString('latin1').endsWith('\r\nContent-Length: 0\r\n\r\n'), 'one whole message on the stream, nothing after it');
  assert.equal(parsed(udpPing).topVia.transport, 'UDP', 'UDP bindings keep their Via');
  assert.equal(pinger.receiveResponse(buildResponse(m, 200, 'OK')), true);
  assert.equal(stats.get('nathelper:ping_replies'), 1);
  // The TCP phone goes silent: lost pings are counted and maxPingsLost removes it, as over UDP.
  for (let t = 0; t < 10; t++) clock.advance(1000);
  assert.deepEqual(store.lookup('t@x'), []);
  assert.ok((stats.get('nathelper:pings_lost') ?? 0) >= 4);
  assert.deepEqual(removed.map(([c]) => c).sort(), ['sip:t1@10.0.0.1:5060;transport=tcp', 'sip:u2@10.0.0.2:5060']);
});

test('tcp on, method crlf: exactly CRLFCRLF on the connection (RFC 5626 §4.4.1), followed by no reply', () => {
  const { clock, store, sent, pinger, connected } = setup({ intervalSec: 2, tcp: true, method: 'crlf' });
  store.insert('t@x', tcpNated(1));
  connected.add('198.51.100.1:40001');
  pinger.start();
  clock.advance(2000);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.from, 'tcp');
  assert.equal(sent[0]?.data.toString('latin1'), '\r\n\r\n');
  assert.equal(pinger.outstandingCount(), 0);
});

test('tcp on: a TCP binding registered from its Contact is pinged at the Contact; one on another node\'s socket or without an IP is not', () => {
  const { clock, store, sent, pinger, connected } = setup({ intervalSec: 2, tcp: true, natedOnly: false });
  const { received: _r, ...direct } = tcpNated(1, { contact: 'sip:t1@203.0.113.5:5070;transport=tcp' });
  store.insert('a@x', direct);
  store.insert('b@x', tcpNated(2, { socket: 'tcp:203.0.113.99:5060' }));
  const { received: _r3, ...named } = tcpNated(3, { contact: 'sip:t3@phone.example.net;transport=tcp' });
  store.insert('c@x', named);
  for (const p of ['203.0.113.5:5070', '198.51.100.2:40002']) connected.add(p);
  pinger.start();
  clock.advance(2000);
  assert.deepEqual(sent.map((s) => `${s.to.address}:${s.to.port}`), ['203.0.113.5:5070']);
});

test('tcp on, natedOnly false: a binding without received whose Contact writes its IPv6 address in capitals is pinged on its connection (the table keys the socket\'s lower-case form)', () => {
  const { clock, store, sent, pinger, connected, stats } = setup({ intervalSec: 2, tcp: true, natedOnly: false });
  // RFC 3261 §19.1.4: hex digits compare case-insensitively, so the registrar found the Contact equal to the source and kept no received.
  store.insert('t@x', { contact: 'sip:t@[2001:DB8::7]:5070;transport=tcp', expiresSec: T0 + 3600, callId: 'v6@x', cseq: 1, socket: 'tcp:192.0.2.10:5060' });
  connected.add('2001:db8::7:5070');
  pinger.start();
  clock.advance(2000);
  assert.equal(stats.get('nathelper:tcp_not_connected') ?? 0, 0);
  assert.deepEqual(sent.map((s) => s.to), [{ address: '2001:db8::7', port: 5070 }]);
});
