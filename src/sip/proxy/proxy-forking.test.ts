import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../message/index.ts';
import { aggregatedChallenges } from './best-response.ts';
import type { BranchInfo } from './proxy-types.ts';
import { harness, isReq, only, request, type Sent } from '../../../test/support/proxy-harness.ts';

const to = (addr: string, q?: number) => (q === undefined ? { uri: `sip:bob@${addr}` } : { uri: `sip:bob@${addr}`, q });
const invitesTo = (s: Sent[]) => s.filter((x) => x.msg.isRequest && x.msg.method === 'INVITE').map((x) => x.target.address);
const branchTo = (s: Sent[], addr: string): SipMessage => {
  const b = s.find((x) => x.msg.isRequest && x.msg.method === 'INVITE' && x.target.address === addr);
  assert.ok(b, `no INVITE to ${addr}`);
  return b.msg;
};
const upstreamFinals = (s: Sent[]) => s.filter((x) => !x.msg.isRequest && x.msg.status >= 200 && x.target.address === '192.0.2.10').map((x) => x.msg.status);

test('§16.7 parallel fork: the best final goes up once every branch answered (lowest class, first received on a tie)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([to('192.0.2.21'), to('192.0.2.22'), to('192.0.2.23')]); };
  h.recv(request());
  const s = h.take();
  assert.deepEqual(invitesTo(s), ['192.0.2.21', '192.0.2.22', '192.0.2.23']);
  h.answer(branchTo(s, '192.0.2.21'), 404, 'Not Found');
  h.answer(branchTo(s, '192.0.2.22'), 486, 'Busy Here');
  assert.deepEqual(upstreamFinals(h.take()), [], 'one branch still pending');
  h.answer(branchTo(s, '192.0.2.23'), 480, 'Temporarily Unavailable');
  assert.deepEqual(upstreamFinals(h.take()), [404], 'lowest class, first received');
});

test('§16.7 6xx cancels pending branches, and its 6xx wins over the 487s', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([to('192.0.2.21'), to('192.0.2.22')]); };
  h.recv(request());
  const s = h.take();
  const b2 = branchTo(s, '192.0.2.22');
  h.answer(b2, 180, 'Ringing');
  h.take();
  h.answer(branchTo(s, '192.0.2.21'), 603, 'Decline');
  const c = only(h.take(), isReq('CANCEL'));
  assert.equal(c.target.address, '192.0.2.22');
  h.answer(b2, 487, 'Request Terminated');
  assert.deepEqual(upstreamFinals(h.take()), [603]);
});

test('§16.7 the first 2xx goes up at once and cancels the others; a further 2xx is forwarded too', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([to('192.0.2.21'), to('192.0.2.22'), to('192.0.2.23')]); };
  h.recv(request());
  const s = h.take();
  for (const a of ['192.0.2.21', '192.0.2.22']) h.answer(branchTo(s, a), 180, 'Ringing');
  h.take();
  h.answer(branchTo(s, '192.0.2.21'), 200, 'OK');
  const after = h.take();
  assert.deepEqual(upstreamFinals(after), [200]);
  assert.deepEqual(after.filter((x) => x.msg.isRequest && x.msg.method === 'CANCEL').map((x) => x.target.address), ['192.0.2.22'],
    'the ringing branch is cancelled now, the silent one when it rings (§9.1)');
  h.answer(branchTo(s, '192.0.2.22'), 200, 'OK', { toTag: 'other' });
  const second = h.take();
  assert.deepEqual(upstreamFinals(second), [200]);
  assert.equal(second[0]?.msg.to.tag, 'other');
});

test('§16.7 step 7: 401 and 407 challenges of all branches are merged into the response that goes up', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([to('192.0.2.21'), to('192.0.2.22')]); };
  h.recv(request());
  const s = h.take();
  h.answer(branchTo(s, '192.0.2.21'), 401, 'Unauthorized', { headers: [['WWW-Authenticate', 'Digest realm="a", nonce="1"']] });
  h.answer(branchTo(s, '192.0.2.22'), 407, 'Proxy Authentication Required', { headers: [['Proxy-Authenticate', 'Digest realm="b", nonce="2"']] });
  const r = only(h.take(), (m) => !m.isRequest).msg;
  assert.equal(r.status, 401);
  assert.deepEqual(r.getAll('WWW-Authenticate'), ['Digest realm="a", nonce="1"']);
  assert.deepEqual(r.getAll('Proxy-Authenticate'), ['Digest realm="b", nonce="2"']);
});

test('serial forking by q: highest q first, equal q in parallel, the next group after a failure', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([to('192.0.2.31', 0.1), to('192.0.2.21', 1), to('192.0.2.22', 1), to('192.0.2.41', 0.5)]); };
  h.recv(request());
  const s1 = h.take();
  assert.deepEqual(invitesTo(s1), ['192.0.2.21', '192.0.2.22']);
  h.answer(branchTo(s1, '192.0.2.21'), 486, 'Busy Here');
  h.answer(branchTo(s1, '192.0.2.22'), 404, 'Not Found');
  const s2 = h.take();
  assert.deepEqual(invitesTo(s2), ['192.0.2.41']);
  assert.deepEqual(upstreamFinals(s2), []);
  h.answer(branchTo(s2, '192.0.2.41'), 480, 'Temporarily Unavailable');
  const s3 = h.take();
  assert.deepEqual(invitesTo(s3), ['192.0.2.31']);
  h.answer(branchTo(s3, '192.0.2.31'), 200, 'OK');
  assert.deepEqual(upstreamFinals(h.take()), [200]);
  // parallel: true ignores q.
  const p = harness();
  p.proxy.onRequest = (pr) => { pr.relay([to('192.0.2.31', 0.1), to('192.0.2.21', 1)], { parallel: true }); };
  p.recv(request());
  assert.deepEqual(invitesTo(p.take()), ['192.0.2.21', '192.0.2.31']);
});

test('failure hook serial-forks to a new target (voicemail) before any response goes up', async () => {
  const h = harness();
  const seen: string[] = [];
  let outcome: unknown;
  h.proxy.onRequest = async (pr) => {
    pr.vars.set('attempt', 1);
    pr.onFailure = async (best) => {
      seen.push(`failure ${best.status} attempt ${String(pr.vars.get('attempt'))}`);
      await Promise.resolve();
      pr.vars.set('attempt', 2);
      void pr.relay([{ uri: 'sip:vm@192.0.2.99' }]);
    };
    outcome = await pr.relay();
  };
  h.recv(request());
  const s1 = h.take();
  h.answer(branchTo(s1, '192.0.2.20'), 486, 'Busy Here');
  await new Promise((r) => setImmediate(r));
  const s2 = h.take();
  assert.deepEqual(seen, ['failure 486 attempt 1']);
  assert.deepEqual(upstreamFinals(s2), [], 'the 486 is held while the hook runs');
  const vm = branchTo(s2, '192.0.2.99');
  assert.equal(vm.uriText, 'sip:vm@192.0.2.99');
  h.answer(vm, 200, 'OK');
  assert.deepEqual(upstreamFinals(h.take()), [200]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(outcome, { result: 'answered', status: 200 });
});

test('failure hook that awaits its own relay: when that branch set fails too, the best response goes up and both relays resolve (it hung with 100 Trying)', async () => {
  const h = harness();
  const outcomes: unknown[] = [];
  h.proxy.onRequest = async (pr) => {
    let rounds = 0;
    pr.onFailure = async () => { if (rounds++ === 0) outcomes.push(await pr.relay([{ uri: 'sip:vm@192.0.2.99' }])); };
    outcomes.push(await pr.relay());
  };
  h.recv(request());
  h.answer(branchTo(h.take(), '192.0.2.20'), 486, 'Busy Here');
  await new Promise((r) => setImmediate(r));
  const vm = branchTo(h.take(), '192.0.2.99');
  h.answer(vm, 480, 'Temporarily Unavailable');
  // The second set failed: the hook runs again (re-armed by its relay) and this time relays nothing.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const finals = upstreamFinals(h.take());
  assert.equal(finals.length, 1, 'one final upstream (the best of 486 and 480, §16.7 step 6)');
  assert.deepEqual(outcomes, [{ result: 'failed', status: finals[0] }, { result: 'failed', status: finals[0] }]);
});

test('failover across three destinations through the failure hook: each relay from the hook arms it again (OpenSIPS t_on_failure + t_relay)', async () => {
  const h = harness();
  const dests = ['192.0.2.41', '192.0.2.42', '192.0.2.43'];
  const seen: number[] = [];
  h.proxy.onRequest = (pr) => {
    let next = 1;
    pr.onFailure = (best) => {
      seen.push(best.status);
      const d = dests[next++];
      if (d !== undefined && best.status === 503) void pr.relay([{ uri: `sip:bob@${d}` }]);
    };
    void pr.relay([{ uri: `sip:bob@${dests[0]}` }]);
  };
  h.recv(request());
  h.answer(branchTo(h.take(), '192.0.2.41'), 503, 'Service Unavailable');
  await new Promise((r) => setImmediate(r));
  h.answer(branchTo(h.take(), '192.0.2.42'), 503, 'Service Unavailable');
  await new Promise((r) => setImmediate(r));
  const third = branchTo(h.take(), '192.0.2.43');
  h.answer(third, 200, 'OK');
  assert.deepEqual(upstreamFinals(h.take()), [200]);
  assert.deepEqual(seen, [503, 503]);
});

test('failure hook that does nothing: the best response goes up; reply hook sees every response on its branch', () => {
  const h = harness();
  const replies: string[] = [];
  h.proxy.onRequest = (pr) => {
    pr.onReply = (res: SipMessage, b: BranchInfo) => { replies.push(`${b.index}:${res.status}`); };
    pr.onFailure = () => {};
    pr.relay([to('192.0.2.21'), to('192.0.2.22')]);
  };
  h.recv(request());
  const s = h.take();
  h.answer(branchTo(s, '192.0.2.22'), 100, 'Trying');
  h.answer(branchTo(s, '192.0.2.21'), 404, 'Not Found');
  h.answer(branchTo(s, '192.0.2.22'), 408, 'Request Timeout');
  assert.deepEqual(replies, ['1:100', '0:404', '1:408']);
  assert.deepEqual(upstreamFinals(h.take()), [404]);
});

test('the script replies through the transaction: final once, relay refused afterwards', async () => {
  const h = harness();
  let after: unknown;
  h.proxy.onRequest = async (pr) => {
    pr.reply(302, 'Moved Temporarily', { headers: [['Contact', '<sip:bob@192.0.2.77>']] });
    assert.equal(pr.reply(404, 'Not Found'), false);
    after = await pr.relay();
  };
  h.recv(request());
  await new Promise((r) => setImmediate(r));
  const r = only(h.take(), (m) => !m.isRequest && m.status >= 200).msg;
  assert.equal(r.status, 302);
  assert.equal(r.get('Contact'), '<sip:bob@192.0.2.77>');
  assert.deepEqual(after, { result: 'refused', status: 302, code: 'SIP_PROXY_ALREADY_ANSWERED' });
  h.recv(request({ method: 'ACK', toTag: r.to.tag ?? '' }));
  assert.equal(h.take().length, 0, 'the ACK of the 302 is absorbed');
});

test('§16.7 step 7: a challenge value holding a CR or LF (never valid; the header is not parsed) is left out of the merge, not thrown on', () => {
  const res = (status: number, hdr: string) => {
    const r = parseMessage(Buffer.from(`SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n${hdr}\r\nContent-Length: 0\r\n\r\n`, 'latin1'));
    assert.ok(r.ok);
    return r.value;
  };
  const best = { status: 401, reason: 'X', msg: res(401, 'WWW-Authenticate: Digest realm="a"'), branch: undefined };
  const other = { status: 407, reason: 'X', msg: res(407, 'Proxy-Authenticate: Digest realm="b\rc"\r\nProxy-Authenticate: Digest realm="d"'), branch: undefined };
  assert.deepEqual(aggregatedChallenges(best, [best, other]), [['Proxy-Authenticate', 'Digest realm="d"']]);
});
