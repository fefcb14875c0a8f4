import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../message/index.ts';
import { harness, request, type Sent } from '../../../test/support/proxy-harness.ts';
import type { BestResponse } from './proxy-types.ts';
import { redirectTargets } from './redirect-targets.ts';

const A = 'sip:bob@192.0.2.21';
const invitesTo = (s: Sent[]) => s.filter((x) => x.msg.isRequest && x.msg.method === 'INVITE').map((x) => x.target.address);
const acksTo = (s: Sent[]) => s.filter((x) => x.msg.isRequest && x.msg.method === 'ACK').map((x) => x.target.address);
const upstream = (s: Sent[]) => s.filter((x) => !x.msg.isRequest && x.msg.status >= 200 && x.target.address === '192.0.2.10').map((x) => x.msg.status);
const inviteTo = (s: Sent[], addr: string): SipMessage => {
  const m = s.find((x) => x.msg.isRequest && x.msg.method === 'INVITE' && x.target.address === addr);
  assert.ok(m, `no INVITE to ${addr}: ${invitesTo(s).join(', ')}`);
  return m.msg;
};
const moved = (...contacts: string[]): Array<[string, string]> => contacts.map((c) => ['Contact', c]);

test('RFC 3261 §16.5 / §16.7 step 4: with recurse3xx a 302\'s Contacts join the target set best q first; the caller gets the recursed 200, never the 302', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: A }], { recurse3xx: true }); };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 302, 'Moved Temporarily', { headers: moved('<sip:bob@192.0.2.41>;q=0.5', '<sip:bob@192.0.2.42>;q=0.9') });
  const s1 = h.take();
  assert.deepEqual(acksTo(s1), ['192.0.2.21'], 'the 302 is acknowledged hop by hop');
  assert.deepEqual(invitesTo(s1), ['192.0.2.42'], 'higher q first, lower q after it (serial)');
  assert.deepEqual(upstream(s1), []);
  const b42 = inviteTo(s1, '192.0.2.42');
  assert.equal(b42.uriText, 'sip:bob@192.0.2.42', 'the Contact is the new Request-URI');
  h.answer(b42, 486, 'Busy Here');
  const s2 = h.take();
  assert.deepEqual(invitesTo(s2), ['192.0.2.41']);
  h.answer(inviteTo(s2, '192.0.2.41'), 200, 'OK');
  assert.deepEqual(upstream(h.take()), [200]);
  assert.equal(h.stat('tm:recursed_targets'), 2);
});

test('RFC 3261 §16.7 step 4: recursion is off by default (as in OpenSIPS/Kamailio): the 302 goes upstream as it is', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: A }]); };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 302, 'Moved Temporarily', { headers: moved('<sip:bob@192.0.2.41>') });
  const s = h.take();
  assert.deepEqual(invitesTo(s), []);
  assert.deepEqual(upstream(s), [302]);
  assert.equal(h.stat('tm:recursed_targets'), 0);
});

test('RFC 3261 §16.5: a Contact already tried (or pending) is not added again; with nothing new the 302 goes up', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: A }, { uri: 'sip:bob@192.0.2.22', q: 0.1 }], { recurse3xx: true }); };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 302, 'Moved Temporarily', { headers: moved('<sip:bob@192.0.2.21>', '<sip:bob@192.0.2.22>') });
  const s = h.take();
  assert.deepEqual(invitesTo(s), ['192.0.2.22'], 'only the relay\'s own next target, once');
  h.answer(inviteTo(s, '192.0.2.22'), 404, 'Not Found');
  assert.deepEqual(upstream(h.take()), [302], 'the 302 was not consumed, and it ranks above the 404 (§16.7 step 6)');
});

test('RFC 3261 §16.5: recursion is bounded: at most maxRecursedTargets Contacts per transaction, across chained redirects', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: A }], { recurse3xx: true, maxRecursedTargets: 2 }); };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 302, 'Moved', { headers: moved('<sip:bob@192.0.2.41>') });
  const s1 = h.take();
  // 41 redirects to 42 and 43: only one more fits the budget.
  h.answer(inviteTo(s1, '192.0.2.41'), 302, 'Moved', { headers: moved('<sip:bob@192.0.2.42>', '<sip:bob@192.0.2.43>') });
  const s2 = h.take();
  assert.deepEqual(invitesTo(s2), ['192.0.2.42']);
  h.answer(inviteTo(s2, '192.0.2.42'), 302, 'Moved', { headers: moved('<sip:bob@192.0.2.44>') });
  const s3 = h.take();
  assert.deepEqual(invitesTo(s3), [], 'budget used up');
  assert.deepEqual(upstream(s3), [302], 'the last, unconsumed 302 goes up');
  assert.equal(h.stat('tm:recursed_targets'), 2);
});

test('RFC 3261 §16.7 step 6: when every recursed branch fails, the best of their answers goes up (the consumed 302 no longer competes), and the failure hook sees it', async () => {
  const h = harness();
  const seen: number[] = [];
  h.proxy.onRequest = (pr) => {
    pr.onFailure = (best: BestResponse) => { seen.push(best.status); };
    pr.relay([{ uri: A }], { recurse3xx: true });
  };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 301, 'Moved Permanently', {
    headers: moved('<sip:bob@192.0.2.41>', '<sip:bob@192.0.2.42>', '<sip:bob@192.0.2.46>;expires=0'),
  });
  const s = h.take();
  assert.deepEqual(invitesTo(s), ['192.0.2.41', '192.0.2.42'], 'equal q in parallel; expires=0 skipped');
  h.answer(inviteTo(s, '192.0.2.41'), 500, 'Server Internal Error');
  h.answer(inviteTo(s, '192.0.2.42'), 486, 'Busy Here');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [486]);
  assert.deepEqual(upstream(h.take()), [486]);
});

test('RFC 3261 §16.7 step 4: a 3xx with Contacts we cannot recurse on (tel:, sips:) stays a candidate, so the caller still gets those alternatives', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: A }], { recurse3xx: true }); };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 302, 'Moved Temporarily', { headers: moved('<tel:+15551234>', '<sips:bob@192.0.2.45>', '<sip:bob@192.0.2.41>') });
  const s = h.take();
  assert.deepEqual(invitesTo(s), ['192.0.2.41'], 'tel and sips skipped, the sip Contact tried');
  h.answer(inviteTo(s, '192.0.2.41'), 404, 'Not Found');
  assert.deepEqual(upstream(h.take()), [302], 'the 302 with the untried alternatives ranks above the 404 (§16.7 step 6)');
});

test('redirectTargets: q-ordered (stable), §19.1.4 equality against what was tried, bounded, malformed Contact → nothing', () => {
  const res = (contacts: string): SipMessage => {
    const r = parseMessage(Buffer.from(`SIP/2.0 302 Moved\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContact: ${contacts}\r\nContent-Length: 0\r\n\r\n`));
    assert.ok(r.ok);
    return r.value;
  };
  const m = res('<sip:a@h1>;q=0.2, <sip:b@h2>, <sip:c@h3>;q=0.2, <sip:d@H4;transport=udp>;q=bad');
  assert.deepEqual(redirectTargets(m, [], 10), [{ uri: 'sip:b@h2', q: 1 }, { uri: 'sip:d@H4;transport=udp', q: 1 }, { uri: 'sip:a@h1', q: 0.2 }, { uri: 'sip:c@h3', q: 0.2 }]);
  assert.deepEqual(redirectTargets(m, ['sip:d@h4;transport=UDP', 'sip:b@h2'], 10).map((t) => t.uri), ['sip:a@h1', 'sip:c@h3']);
  assert.equal(redirectTargets(m, [], 1).length, 1);
  assert.deepEqual(redirectTargets(m, [], 0), []);
  assert.deepEqual(redirectTargets(res('<sip:a@h1'), [], 10), []);
});
