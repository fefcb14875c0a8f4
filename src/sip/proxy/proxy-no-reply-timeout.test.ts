/**
 * OpenSIPS tm `fr_timeout` ($T_fr_timeout), our relay option / config `noReplyTimeoutMs`: the wait
 * for a reply on a branch, shorter than timer B/F (64·T1 = 32 s), so a dead next hop fails over in
 * seconds. `fr_inv_timeout` is timer C (`timeoutMs`, config `proxy.inviteTimeoutMs`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isReq, isRes, only, request, type Sent } from '../../../test/support/proxy-harness.ts';
import { DEFAULT_TIMER_POLICY } from '../transaction/index.ts';
import type { ProxyRequest } from './proxy-request.ts';
import type { RelayOptions, Resolver } from './proxy-types.ts';
import { SipProxy } from './sip-proxy.ts';
import type { SipTarget } from './sip-source.ts';

const A = 'sip:bob@192.0.2.21';
const B = 'sip:bob@192.0.2.22';
const C = 'sip:bob@192.0.2.23';
const CALLER_IP = '192.0.2.10';

const upstreamFinals = (s: Sent[]) => s.filter((x) => !x.msg.isRequest && x.msg.status >= 200 && x.target.address === CALLER_IP).map((x) => x.msg.status);
const requestsTo = (s: Sent[], method: string) => s.filter((x) => x.msg.isRequest && x.msg.method === method).map((x) => x.target.address);
const firstTo = (s: Sent[], method: string, addr: string) => {
  const m = s.find((x) => x.msg.isRequest && x.msg.method === method && x.target.address === addr);
  assert.ok(m, `no ${method} to ${addr}`);
  return m.msg;
};

test('OpenSIPS fr_timeout: a branch with no reply at all ends as 408 at noReplyTimeoutMs, not at timer B (32 s); the failure handler runs then and relays to a second destination', () => {
  const h = harness();
  const failures: Array<[number, number]> = [];
  h.proxy.onRequest = (pr) => {
    pr.onFailure = (best) => {
      failures.push([h.clock.nowMs(), best.status]);
      pr.relay([{ uri: B }]);
    };
    pr.relay([{ uri: A }], { noReplyTimeoutMs: 5000 });
  };
  const t0 = h.clock.nowMs();
  h.recv(request());
  firstTo(h.take(), 'INVITE', '192.0.2.21');
  h.clock.advance(4999);
  assert.deepEqual(requestsTo(h.take(), 'INVITE').filter((a) => a !== '192.0.2.21'), []);
  assert.deepEqual(failures, []);
  h.clock.advance(1);
  const s = h.take();
  assert.deepEqual(failures, [[t0 + 5000, 408]], 'the failure handler sees the local 408 at fr_timeout');
  assert.deepEqual(requestsTo(s, 'CANCEL'), [], 'RFC 3261 §9.1: no CANCEL before a provisional response');
  assert.deepEqual(upstreamFinals(s), [], 'the caller does not see the 408');
  const second = firstTo(s, 'INVITE', '192.0.2.22');
  h.clock.advance(30_000);
  assert.deepEqual(requestsTo(h.take(), 'INVITE').filter((a) => a === '192.0.2.21'), [], 'the first branch retransmits no more');
  h.answer(second, 200, 'OK');
  assert.deepEqual(upstreamFinals(h.take()), [200]);
});

test('OpenSIPS fr_timeout on INVITE ends only a branch with no response: one that got 100 or 180 runs on until timer C (fr_inv_timeout), which CANCELs it', () => {
  const h = harness();
  let req: ProxyRequest | undefined;
  h.proxy.onRequest = (pr) => { req = pr; pr.relay([{ uri: A }, { uri: B }, { uri: C }], { noReplyTimeoutMs: 2000, timeoutMs: 10_000 }); };
  h.recv(request());
  const s0 = h.take();
  h.answer(firstTo(s0, 'INVITE', '192.0.2.21'), 100, 'Trying');
  h.answer(firstTo(s0, 'INVITE', '192.0.2.22'), 180, 'Ringing');
  h.take();
  const statuses = () => req?.transaction?.branches.map((b) => b.status);
  h.clock.advance(2000);
  assert.deepEqual(statuses(), [0, 0, 408], 'only the branch that never answered ended');
  const s1 = h.take();
  assert.deepEqual(requestsTo(s1, 'CANCEL'), []);
  assert.deepEqual(upstreamFinals(s1), []);
  h.clock.advance(7999);
  assert.deepEqual(statuses(), [0, 0, 408]);
  h.clock.advance(1);
  const s2 = h.take();
  assert.deepEqual(statuses(), [408, 408, 408]);
  assert.deepEqual(requestsTo(s2, 'CANCEL').sort(), ['192.0.2.21', '192.0.2.22'], 'RFC 3261 §16.8: timer C CANCELs the branches with a provisional');
  assert.deepEqual(upstreamFinals(s2), [408]);
});

test('OpenSIPS fr_timeout on a non-INVITE (MESSAGE): a 100 does not stop it; the branch ends as 408 at noReplyTimeoutMs', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(undefined, { noReplyTimeoutMs: 3000 }); };
  h.recv(request({ method: 'MESSAGE' }));
  const msg = only(h.take(), isReq('MESSAGE')).msg;
  h.clock.advance(500);
  h.answer(msg, 100, 'Trying');
  h.clock.advance(2499);
  assert.deepEqual(upstreamFinals(h.take()), []);
  h.clock.advance(1);
  assert.deepEqual(upstreamFinals(h.take()), [408]);
  h.clock.advance(40_000);
  assert.deepEqual(requestsTo(h.take(), 'MESSAGE'), [], 'no retransmission once it gave up');
});

/** One INVITE to A with fr_timeout 2 s; the failure handler (when `failover`) relays to B. */
function timedOut(failover: boolean) {
  const h = harness();
  let req: ProxyRequest | undefined;
  h.proxy.onRequest = (pr) => {
    req = pr;
    if (failover) pr.onFailure = () => { pr.relay([{ uri: B }]); };
    pr.relay([{ uri: A }], { noReplyTimeoutMs: 2000 });
  };
  h.recv(request());
  const invA = firstTo(h.take(), 'INVITE', '192.0.2.21');
  h.clock.advance(2000);
  return { h, invA, atTimeout: h.take(), finalStatus: () => req?.transaction?.finalStatus };
}
const shape = (s: Sent[]) => s.map((x) => [x.target.address, x.msg.isRequest ? x.msg.method : x.msg.status]);
/** What was sent besides retransmissions (timer A of the INVITE to B, timer G of the 408 upstream). */
const late = (s: Sent[]) => shape(s.filter((x) => !isReq('INVITE')(x.msg) && !isRes(408)(x.msg)));

test('OpenSIPS fr_timeout marks the timed-out INVITE branch to be cancelled (T_UAC_TO_CANCEL): a late 180 is absorbed and CANCELs that branch at once; its 487 is ACKed hop-by-hop and absorbed', () => {
  for (const failover of [true, false]) {
    const { h, invA, atTimeout } = timedOut(failover);
    assert.deepEqual(requestsTo(atTimeout, 'CANCEL'), [], 'RFC 3261 §9.1: no CANCEL before a provisional');
    const invB = failover ? firstTo(atTimeout, 'INVITE', '192.0.2.22') : undefined;
    assert.deepEqual(upstreamFinals(atTimeout), failover ? [] : [408]);
    h.clock.advance(3000);
    h.answer(invA, 180, 'Ringing');
    const s1 = h.take();
    // Before: the 180 matched no client transaction and went upstream statelessly; A rang on.
    assert.deepEqual(late(s1), [['192.0.2.21', 'CANCEL']], `failover ${failover}: only a CANCEL to A, the 180 not upstream`);
    const cancel = firstTo(s1, 'CANCEL', '192.0.2.21');
    assert.equal(cancel.topVia.branch, invA.topVia.branch, '§9.1: the CANCEL of that branch');
    h.answer(cancel, 200, 'OK');
    h.answer(invA, 487, 'Request Terminated');
    const s2 = h.take();
    assert.deepEqual(late(s2), [['192.0.2.21', 'ACK']], 'the 487 ACKed hop-by-hop (§17.1.1.3), nothing upstream');
    assert.equal(firstTo(s2, 'ACK', '192.0.2.21').topVia.branch, invA.topVia.branch);
    h.answer(invA, 487, 'Request Terminated');
    assert.deepEqual(late(h.take()), [['192.0.2.21', 'ACK']], 'a retransmitted 487 ACKed again');
    if (invB !== undefined) {
      h.answer(invB, 200, 'OK');
      assert.deepEqual(upstreamFinals(h.take()), [200], 'the failover branch still answers the call');
    }
    h.clock.advance(70_000); // timer D of A's 487, timer K of the CANCEL, timer L or H upstream
    assert.equal(h.proxy.clientTransactionCount, 0);
    assert.equal(h.stat('tm:inuse_transactions'), 0, `failover ${failover}: nothing left`);
  }
});

test('OpenSIPS fr_timeout, late 2xx on the timed-out branch (RFC 3261 §16.7 step 5): it goes up through the transaction; with no final upstream yet it is the final and CANCELs the failover branch', () => {
  const { h, invA, atTimeout, finalStatus } = timedOut(true);
  const invB = firstTo(atTimeout, 'INVITE', '192.0.2.22');
  h.answer(invB, 180, 'Ringing');
  assert.deepEqual(shape(h.take()), [[CALLER_IP, 180]]);
  h.answer(invA, 200, 'OK');
  const s = h.take();
  assert.deepEqual(upstreamFinals(s), [200], 'the callee that answered late gets its dialog');
  // Before: forwarded statelessly, so B rang on and could answer a second 200.
  assert.deepEqual(requestsTo(s, 'CANCEL'), ['192.0.2.22'], '§16.7 step 10: the pending branch is CANCELled');
  assert.equal(finalStatus(), 200);
  h.answer(invA, 200, 'OK');
  assert.deepEqual(upstreamFinals(h.take()), [200], 'its retransmission goes up too');
});

test('OpenSIPS fr_timeout, late 2xx after the 408 went upstream: forwarded like every 2xx after a final (§16.7 step 5), no CANCEL', () => {
  const { h, invA, atTimeout } = timedOut(false);
  assert.deepEqual(upstreamFinals(atTimeout), [408]);
  h.clock.advance(10_000);
  h.answer(invA, 200, 'OK');
  assert.deepEqual(late(h.take()), [[CALLER_IP, 200]]);
});

test('OpenSIPS fr_timeout keeps the timed-out INVITE branch only to 64·T1 after the request: counted in tm:inuse_transactions like any branch, then gone', () => {
  const { h } = timedOut(false);
  const t0 = h.clock.nowMs() - 2000;
  assert.equal(h.proxy.clientTransactionCount, 1, 'kept after the 408 (before: gone at fr_timeout)');
  assert.equal(h.stat('tm:inuse_transactions'), 2, 'the server transaction and the kept branch');
  h.clock.advance(t0 + 32_000 - 1 - h.clock.nowMs());
  assert.equal(h.proxy.clientTransactionCount, 1);
  h.clock.advance(1);
  assert.equal(h.proxy.clientTransactionCount, 0, 'gone at 64·T1');
  h.clock.advance(10_000); // the server transaction's timer H (no ACK came) too
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  assert.deepEqual(requestsTo(h.take(), 'INVITE'), [], 'no retransmission of the INVITE after fr_timeout');
});

test('OpenSIPS fr_timeout on a non-INVITE: a late final from the timed-out branch is absorbed (no CANCEL for non-INVITE), whether the 408 went up or a failover branch is pending; the branch is gone at 64·T1', () => {
  for (const failover of [false, true]) {
    const h = harness();
    h.proxy.onRequest = (pr) => {
      let tried = false; // relayed from the hook, it runs again at B's final (see MAX_FAILURE_ROUNDS)
      if (failover) pr.onFailure = () => { if (!tried) { tried = true; pr.relay([{ uri: B }]); } };
      pr.relay([{ uri: A }], { noReplyTimeoutMs: 3000 });
    };
    h.recv(request({ method: 'MESSAGE' }));
    const msgA = firstTo(h.take(), 'MESSAGE', '192.0.2.21');
    h.clock.advance(3000);
    const s0 = h.take();
    assert.deepEqual(upstreamFinals(s0), failover ? [] : [408]);
    h.clock.advance(1000);
    h.answer(msgA, 200, 'OK');
    const s1 = h.take().filter((x) => !isReq('MESSAGE')(x.msg));
    // Before: the 200 matched no client transaction and went upstream statelessly, after the 408
    // or ahead of the failover branch's own final.
    assert.deepEqual(shape(s1), [], `failover ${failover}: nothing upstream, nothing to A`);
    if (failover) {
      h.answer(firstTo(s0, 'MESSAGE', '192.0.2.22'), 202, 'Accepted');
      assert.deepEqual(upstreamFinals(h.take()), [202], 'the failover branch\'s final is the one that goes up');
    }
    h.clock.advance(40_000);
    assert.equal(h.proxy.clientTransactionCount, 0);
    assert.equal(h.stat('tm:inuse_transactions'), 0);
  }
});

test('OpenSIPS fr_timeout feeds RFC 3263 §4.3 failover: a located target that does not answer is replaced by the next one at noReplyTimeoutMs', async () => {
  const T1: SipTarget = { proto: 'udp', address: '192.0.2.31', port: 5060 };
  const T2: SipTarget = { proto: 'udp', address: '192.0.2.32', port: 5060 };
  const resolver: Resolver = { resolve: async () => [T1, T2] };
  const h = harness({ resolver });
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@pbx.example.com' }], { noReplyTimeoutMs: 4000 }); };
  h.recv(request({ method: 'OPTIONS', uri: 'sip:bob@pbx.example.com' }));
  await new Promise((r) => setImmediate(r));
  firstTo(h.take(), 'OPTIONS', T1.address);
  h.clock.advance(4000);
  const s = h.take();
  assert.deepEqual(upstreamFinals(s), []);
  h.answer(firstTo(s, 'OPTIONS', T2.address), 200, 'OK');
  assert.deepEqual(upstreamFinals(h.take()), [200]);
  assert.equal(h.stat('tm:dns_failovers'), 1);
});

test('node defaults (config proxy.noReplyTimeoutMs / inviteTimeoutMs) apply to every relay; a relay\'s own values override them, and a no-reply wait above timer B changes nothing', () => {
  const policy = { ...DEFAULT_TIMER_POLICY, timerCMs: 200_000 };
  const run = (opts: RelayOptions, answer: number | undefined): number => {
    const h = harness({ noReplyTimeoutMs: 4000, policy });
    h.proxy.onRequest = (pr) => { pr.relay(undefined, opts); };
    const t0 = h.clock.nowMs();
    h.recv(request());
    const inv = only(h.take(), isReq('INVITE')).msg;
    if (answer !== undefined) h.answer(inv, answer, 'Ringing');
    for (let i = 0; i < 400_000; i += 500) {
      h.clock.advance(500);
      if (h.take().some((x) => isRes(408)(x.msg))) return h.clock.nowMs() - t0;
    }
    return -1;
  };
  assert.equal(run({}, undefined), 4000, 'the node\'s no-reply wait');
  assert.equal(run({ noReplyTimeoutMs: 1000 }, undefined), 1000, 'the relay\'s own');
  assert.equal(run({ noReplyTimeoutMs: 100_000 }, undefined), 32_000, 'never longer than timer B (64·T1)');
  assert.equal(run({}, 180), 200_000, 'the node\'s timer C');
  assert.equal(run({ timeoutMs: 30_000 }, 180), 30_000, 'the relay\'s timer C');
});

test('relay options timeoutMs and noReplyTimeoutMs: non-positive or non-finite values are a TypeError (the request gets 500, nothing is forwarded)', () => {
  for (const key of ['timeoutMs', 'noReplyTimeoutMs'] as const) {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5000' as unknown as number]) {
      const h = harness();
      let err: unknown;
      h.proxy.onRequest = (pr) => {
        try { pr.relay(undefined, { [key]: bad }); } catch (e) { err = e; throw e; }
      };
      h.recv(request());
      assert.ok(err instanceof TypeError, `${key}: ${String(bad)}`);
      assert.match(err.message, new RegExp(key));
      const s = h.take();
      assert.deepEqual(requestsTo(s, 'INVITE'), [], `${key}: ${String(bad)} forwarded nothing`);
      assert.deepEqual(upstreamFinals(s), [500]);
    }
  }
  const base = { out: { send: () => true }, counters: harness().stats, timers: harness().clock, random: { next: () => 0 } as never, serverHeader: 'x', listeners: [] };
  assert.throws(() => new SipProxy({ ...base, noReplyTimeoutMs: 0 }), TypeError);
  assert.throws(() => new SipProxy({ ...base, policy: { ...DEFAULT_TIMER_POLICY, timerCMs: Number.NaN } }), TypeError);
  assert.ok(new SipProxy({ ...base, noReplyTimeoutMs: 5000 }));
});
