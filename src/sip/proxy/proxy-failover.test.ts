import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../message/index.ts';
import { harness, isReq, only, request, type Sent } from '../../../test/support/proxy-harness.ts';
import type { Resolver } from './proxy-types.ts';
import type { SipProto, SipTarget } from './sip-source.ts';

const T1: SipTarget = { proto: 'udp', address: '192.0.2.31', port: 5060 };
const T2: SipTarget = { proto: 'udp', address: '192.0.2.32', port: 5070 };
const T3: SipTarget = { proto: 'tcp', address: '192.0.2.33', port: 5060 };
const NAME_URI = 'sip:bob@pbx.example.com';

/** A resolver answering every name with the same ordered list (what locateServer would return). */
function listResolver(targets: readonly SipTarget[], calls: Array<[string, number | undefined, SipProto | undefined]> = []): Resolver {
  return { resolve: async (host, port, proto) => { calls.push([host, port, proto]); return targets; } };
}
const flush = () => new Promise((r) => setImmediate(r));
const requestsTo = (s: Sent[], method: string) => s.filter((x) => x.msg.isRequest && x.msg.method === method).map((x) => x.target.address);
const upstream = (s: Sent[]) => s.filter((x) => !x.msg.isRequest && x.msg.status >= 200 && x.target.address === '192.0.2.10').map((x) => x.msg.status);
const firstTo = (s: Sent[], method: string, addr: string): SipMessage => {
  const m = s.find((x) => x.msg.isRequest && x.msg.method === method && x.target.address === addr);
  assert.ok(m, `no ${method} to ${addr}`);
  return m.msg;
};

test('RFC 3263 §4.3: a transport error on the first target → the same request to the next target at once, with a new branch', async () => {
  const h = harness({ resolver: listResolver([T1, T2, T3]) });
  h.failing.add('192.0.2.31:5060');
  h.recv(request({ method: 'MESSAGE', uri: NAME_URI }));
  await flush();
  const s = h.take();
  const m = only(s, isReq('MESSAGE'));
  assert.deepEqual(m.target, T2);
  assert.equal(m.msg.uriText, NAME_URI);
  assert.equal(h.stat('tm:dns_failovers'), 1);
  h.answer(m.msg, 200, 'OK');
  assert.deepEqual(upstream(h.take()), [200]);
});

test('RFC 3263 §4.3: a send failure the transport finds after send returned (TCP connect refused, a datagram refused at flush) → the next target at once, not at timer B', async () => {
  const h = harness({ resolver: listResolver([T1, T2]) });
  h.recv(request({ uri: NAME_URI }));
  await flush();
  const first = only(h.take(), isReq('INVITE'));
  assert.deepEqual(first.target, T1);
  h.sendFailedLater(first);
  const s = h.take();
  assert.deepEqual(upstream(s), [], 'no 503 upstream');
  const second = firstTo(s, 'INVITE', T2.address);
  assert.notEqual(second.topVia.branch, first.msg.topVia.branch);
  assert.equal(h.stat('tm:dns_failovers'), 1);
  h.sendFailedLater(first);
  assert.deepEqual(h.take(), [], 'a second report of the same send changes nothing');
  h.answer(second, 200, 'OK');
  assert.deepEqual(upstream(h.take()), [200]);
});

test('RFC 3261 §16.9: a late send failure on the only target is a local 503 at once; one for the branch\'s CANCEL does not end the branch', async () => {
  const h = harness();
  h.recv(request({ method: 'OPTIONS', uri: 'sip:bob@192.0.2.31' }));
  await flush();
  const options = only(h.take(), isReq('OPTIONS'));
  h.sendFailedLater(options);
  assert.deepEqual(upstream(h.take()), [503]);
  h.recv(request({ uri: 'sip:bob@192.0.2.31', branch: 'z9hG4bKcaller2', callId: 'call-2@192.0.2.10' }));
  await flush();
  const invite = only(h.take(), isReq('INVITE'));
  h.answer(invite.msg, 180, 'Ringing');
  h.take();
  h.recv(request({ method: 'CANCEL', uri: 'sip:bob@192.0.2.31', branch: 'z9hG4bKcaller2', callId: 'call-2@192.0.2.10' }));
  const cancel = only(h.take(), isReq('CANCEL'));
  h.sendFailedLater(cancel);
  assert.deepEqual(h.take(), []);
  // The INVITE client transaction still waits for its final response: the 487 is acknowledged.
  h.answer(invite.msg, 487, 'Request Terminated');
  assert.deepEqual(requestsTo(h.take(), 'ACK'), ['192.0.2.31']);
});

test('RFC 3263 §4.3: timer B on an INVITE (no answer in 64·T1) → the next target, and the caller never sees the 408', async () => {
  const h = harness({ resolver: listResolver([T1, T2]) });
  h.recv(request({ uri: NAME_URI }));
  await flush();
  const first = firstTo(h.take(), 'INVITE', T1.address);
  h.clock.advance(32_000);
  const s = h.take();
  assert.deepEqual(upstream(s), [], 'no 408 upstream');
  const second = firstTo(s, 'INVITE', T2.address);
  assert.notEqual(second.topVia.branch, first.topVia.branch, 'a new client transaction (§4.3: new branch)');
  h.answer(second, 180, 'Ringing');
  h.answer(second, 200, 'OK');
  assert.deepEqual(upstream(h.take()), [200]);
});

test('RFC 3263 §4.3: a 503 → ACK to that target, the request to the next; the best response then comes from the targets tried later', async () => {
  const h = harness({ resolver: listResolver([T1, T2]) });
  h.recv(request({ uri: NAME_URI }));
  await flush();
  h.answer(firstTo(h.take(), 'INVITE', T1.address), 503, 'Service Unavailable');
  const s = h.take();
  assert.deepEqual(requestsTo(s, 'ACK'), [T1.address], 'the 503 is acknowledged hop by hop');
  const second = firstTo(s, 'INVITE', T2.address);
  assert.deepEqual(upstream(s), []);
  h.answer(second, 486, 'Busy Here');
  assert.deepEqual(upstream(h.take()), [486]);
});

test('RFC 3263 §4.3 + RFC 3261 §16.7 step 6: when every target answers 503 the caller gets 500, not 503', async () => {
  const h = harness({ resolver: listResolver([T1, T2]) });
  h.recv(request({ uri: NAME_URI }));
  await flush();
  h.answer(firstTo(h.take(), 'INVITE', T1.address), 503, 'Service Unavailable');
  h.answer(firstTo(h.take(), 'INVITE', T2.address), 503, 'Service Unavailable');
  assert.deepEqual(upstream(h.take()), [500]);
  assert.equal(h.stat('tm:dns_failovers'), 1);
});

test('RFC 3261 §16.8: timer C is not a §4.3 failure: the ringing branch is cancelled and 408 goes up, no next target', async () => {
  const h = harness({ resolver: listResolver([T1, T2]) });
  h.proxy.onRequest = (pr) => { pr.relay(undefined, { timeoutMs: 5000 }); };
  h.recv(request({ uri: NAME_URI }));
  await flush();
  h.answer(firstTo(h.take(), 'INVITE', T1.address), 180, 'Ringing');
  h.take();
  h.clock.advance(5000);
  const s = h.take();
  assert.deepEqual(requestsTo(s, 'INVITE'), []);
  assert.deepEqual(requestsTo(s, 'CANCEL'), [T1.address]);
  assert.deepEqual(upstream(s), [408]);
});

test('RFC 3263 §4.3 within the transaction\'s time: a non-INVITE that timed out (timer F = the caller\'s own) is not retried; a later 4xx is final', async () => {
  const h = harness({ resolver: listResolver([T1, T2]) });
  h.recv(request({ method: 'MESSAGE', uri: NAME_URI }));
  await flush();
  h.take();
  h.clock.advance(32_000);
  const s = h.take();
  assert.deepEqual(requestsTo(s, 'MESSAGE').filter((a) => a === T2.address), [], 'no retry after the caller gave up');
  assert.deepEqual(upstream(s), [408]);
  // A 404 is an answer, not a failure: no failover.
  const g = harness({ resolver: listResolver([T1, T2]) });
  g.recv(request({ method: 'MESSAGE', uri: NAME_URI }));
  await flush();
  g.answer(firstTo(g.take(), 'MESSAGE', T1.address), 404, 'Not Found');
  const t = g.take();
  assert.deepEqual(requestsTo(t, 'MESSAGE'), []);
  assert.deepEqual(upstream(t), [404]);
});

test('RFC 3263 §4.1: the Resolver gets no transport when the URI has none (NAPTR decides) and the URI\'s otherwise', async () => {
  const calls: Array<[string, number | undefined, SipProto | undefined]> = [];
  const h = harness({ resolver: listResolver([T1], calls) });
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: NAME_URI }, { uri: 'sip:bob@pbx.example.com:5080;transport=tcp' }], { parallel: true }); };
  h.recv(request());
  await flush();
  assert.deepEqual(calls, [['pbx.example.com', undefined, undefined], ['pbx.example.com', 5080, 'tcp']]);
});

test('RFC 3263 §4.1: a located target on a transport we do not listen on is skipped for the next one', async () => {
  const h = harness({ resolver: listResolver([T3, T2]), udpOnly: true });
  h.recv(request({ method: 'MESSAGE', uri: NAME_URI }));
  await flush();
  assert.deepEqual(only(h.take(), isReq('MESSAGE')).target, T2);
  const u = harness({ resolver: listResolver([T3]), udpOnly: true });
  u.recv(request({ method: 'MESSAGE', uri: NAME_URI }));
  await flush();
  assert.deepEqual(upstream(u.take()), [503]);
});

test('RFC 3261 §16.7 step 5: a 6xx on one branch stops a branch whose DNS answers only afterwards', async () => {
  let answer: ((t: readonly SipTarget[]) => void) | undefined;
  const h = harness({ resolver: { resolve: () => new Promise((r) => { answer = r; }) } });
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@192.0.2.21' }, { uri: 'sip:bob@slow.example' }]); };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE'));
  h.answer(inv.msg, 603, 'Decline');
  answer?.([{ proto: 'udp', address: '192.0.2.99', port: 5060 }]);
  await new Promise((r) => setImmediate(r));
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest && x.msg.method === 'INVITE').length, 0, 'no INVITE after the 6xx');
  assert.deepEqual(s.filter((x) => !x.msg.isRequest && x.target.address === '192.0.2.10').map((x) => x.msg.status), [603]);
});

test('RFC 3263 resolution gets the first attempt\'s time: a DNS that never answers ends the branch as a local 503, not a transaction held for minutes', async () => {
  const h = harness({ resolver: { resolve: () => new Promise(() => {}) } });
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@never.example' }], { timeoutMs: 5000 }); };
  h.recv(request());
  assert.equal(only(h.take()).msg.status, 100);
  h.clock.advance(5_100);
  const s = h.take();
  assert.deepEqual(s.filter((x) => !x.msg.isRequest).map((x) => x.msg.status), [503]);
});
