import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER, harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';

const register = (o: { branch?: string; cseq?: number } = {}) => request({ method: 'REGISTER', uri: 'sip:192.0.2.1', ...o });

test('§17.2.2 a non-INVITE answered here over UDP: each retransmission gets the same final again, the script runs once', () => {
  const h = harness();
  let runs = 0;
  h.proxy.onRequest = (pr) => { runs++; pr.reply(200, 'OK'); };
  h.recv(register());
  const first = only(h.take());
  assert.equal(first.msg.status, 200);
  assert.equal(h.proxy.completedCount, 1, 'kept as its final response only');
  assert.equal(h.stat('tm:inuse_transactions'), 1, 'still a transaction in use until timer J');
  h.clock.advance(10_000);
  h.recv(register());
  const again = only(h.take());
  assert.equal(again.msg.status, 200);
  assert.equal(again.msg.to.tag, first.msg.to.tag, 'byte-identical final, same To tag');
  assert.deepEqual(again.target, first.target);
  assert.equal(runs, 1);
});

test('§17.2.2 timer J (64·T1) ends the Completed state: a later copy is a new request and the gauge is back to 0', () => {
  const h = harness();
  let runs = 0;
  h.proxy.onRequest = (pr) => { runs++; pr.reply(200, 'OK'); };
  h.recv(register());
  h.take();
  h.clock.advance(31_000);
  h.recv(register());
  assert.equal(h.take().length, 1);
  assert.equal(runs, 1, 'still absorbed just before 32 s');
  h.clock.advance(3_000);
  assert.equal(h.proxy.completedCount, 0);
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  h.recv(register());
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(runs, 2);
});

test('§8.2.7 statelessRegisterReplies: a REGISTER answered here keeps no state; its retransmission runs the script again. Other methods and relayed REGISTERs stay stateful', async () => {
  const h = harness({ statelessRegisterReplies: true });
  let runs = 0;
  let release: (() => void) | undefined;
  h.proxy.onRequest = async (pr) => {
    runs++;
    if (pr.msg.method === 'REGISTER' && pr.msg.cseq.seq === 5) await new Promise<void>((r) => { release = r; });
    if (pr.msg.method === 'REGISTER' && pr.msg.cseq.seq === 6) { pr.relay([{ uri: 'sip:registrar@192.0.2.30' }]); return; }
    pr.reply(200, 'OK');
  };
  h.recv(register());
  await Promise.resolve();
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 0, 'no timer J entry');
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  h.recv(register());
  await Promise.resolve();
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(runs, 2, 'the retransmission is a new request');
  // While the script is still working, the transaction absorbs retransmissions.
  h.recv(register({ branch: 'z9hG4bKslow', cseq: 5 }));
  h.recv(register({ branch: 'z9hG4bKslow', cseq: 5 }));
  assert.equal(runs, 3);
  assert.equal(h.take().length, 0);
  release?.();
  await new Promise((r) => setImmediate(r));
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.serverTransactionCount, 0);
  // A relayed REGISTER is a proxy transaction like any other: its final is kept for timer J.
  h.recv(register({ branch: 'z9hG4bKrelay', cseq: 6 }));
  await Promise.resolve();
  const fwd = only(h.take());
  h.answer(fwd.msg, 200, 'OK');
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 1);
  // Other methods too.
  h.recv(request({ method: 'OPTIONS', uri: 'sip:192.0.2.1', branch: 'z9hG4bKopt' }));
  await Promise.resolve();
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 2);
});

test('statelessRegisterReplies: a REGISTER the script relayed stays stateful even when it answers before a branch exists (target still resolving)', () => {
  const h = harness({ statelessRegisterReplies: true, resolver: { resolve: () => new Promise(() => {}) } });
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:registrar@pbx.example' }]); pr.reply(200, 'OK'); };
  h.recv(register({ branch: 'z9hG4bKresolving' }));
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 1, 'kept for timer J like any proxied request');
  // It went compact before the script returned (before it entered the table): counted all the same.
  assert.equal(h.stat('tm:inuse_transactions'), 1);
  h.recv(register({ branch: 'z9hG4bKresolving' }));
  assert.equal(only(h.take()).msg.status, 200, 'the retransmission gets the kept final');
  h.clock.advance(40_000);
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});

test('statelessRegisterReplies: a REGISTER answered while the script runs synchronously never enters the server table; one still running when it returns does', async () => {
  const h = harness({ statelessRegisterReplies: true });
  const sizes: number[] = [];
  let release: (() => void) | undefined;
  h.proxy.onRequest = async (pr) => {
    sizes.push(h.proxy.serverTransactionCount);
    if (pr.msg.cseq.seq === 2) await new Promise<void>((r) => { release = r; });
    pr.reply(200, 'OK');
    sizes.push(h.proxy.serverTransactionCount);
  };
  h.recv(register({ branch: 'z9hG4bKsync', cseq: 1 }));
  assert.equal(only(h.take()).msg.status, 200);
  assert.deepEqual(sizes, [0, 0], 'not in the table while the script ran, nor after');
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  h.recv(register({ branch: 'z9hG4bKasync', cseq: 2 }));
  assert.equal(h.proxy.serverTransactionCount, 0, 'queued for the table until the next microtask');
  h.recv(register({ branch: 'z9hG4bKasync', cseq: 2 }));
  assert.equal(h.take().length, 0, 'a retransmission handled in the same loop is absorbed by the queued transaction');
  await Promise.resolve();
  assert.equal(h.proxy.serverTransactionCount, 1, 'entered once the script was still waiting after the microtask');
  assert.equal(h.stat('tm:inuse_transactions'), 1);
  h.recv(register({ branch: 'z9hG4bKasync', cseq: 2 }));
  assert.equal(h.take().length, 0, 'its retransmission is absorbed');
  assert.equal(sizes.length, 3, 'the script ran once for the three copies');
  release?.();
  await new Promise((r) => setImmediate(r));
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  // A script that drops the request synchronously leaves nothing behind either.
  h.proxy.onRequest = (pr) => { pr.drop(); };
  h.recv(register({ branch: 'z9hG4bKdrop', cseq: 3 }));
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});

test('statelessRegisterReplies: a script that awaits a settled promise (a digest check from the cache) and then answers never puts the REGISTER in the table', async () => {
  const h = harness({ statelessRegisterReplies: true });
  const seen: number[] = [];
  let runs = 0;
  h.proxy.onRequest = async (pr) => {
    runs++;
    await Promise.resolve(true);
    seen.push(h.proxy.serverTransactionCount);
    pr.reply(200, 'OK');
  };
  h.recv(register({ branch: 'z9hG4bKsettled', cseq: 1 }));
  // Same synchronous loop (several messages in one TCP read): the copy is matched before any microtask.
  h.recv(register({ branch: 'z9hG4bKsettled', cseq: 1 }));
  assert.equal(runs, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(only(h.take()).msg.status, 200);
  assert.deepEqual(seen, [0], 'not in the table when the script resumed');
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
  // Later copies find nothing (stateless: §8.2.7) and run the script again.
  h.recv(register({ branch: 'z9hG4bKsettled', cseq: 1 }));
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2);
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});

test('entries expire in order: each lives at least timer J and at most timer J plus one bucket', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.reply(200, 'OK'); };
  for (let i = 0; i < 10; i++) {
    h.recv(register({ branch: `z9hG4bKreg${i}` }));
    h.clock.advance(500);
  }
  h.take();
  assert.equal(h.proxy.completedCount, 10);
  // The first was answered 5 s ago; at 32 s after it (27 s from now) it may go, by 33 s it must.
  h.clock.advance(26_900);
  assert.equal(h.proxy.completedCount, 10);
  h.clock.advance(1_100);
  assert.ok(h.proxy.completedCount < 10 && h.proxy.completedCount > 0, `${h.proxy.completedCount}`);
  h.clock.advance(10_000);
  assert.equal(h.proxy.completedCount, 0);
});

test('over TCP timer J is zero: the transaction ends with its final, nothing is kept', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.reply(200, 'OK'); };
  h.recv(register({ branch: 'z9hG4bKtcp' }).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'), { ...CALLER, proto: 'tcp' });
  assert.equal(only(h.take()).msg.status, 200);
  h.clock.advance(1);
  assert.equal(h.proxy.completedCount, 0);
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});

test('a non-INVITE relayed downstream is compacted once its final went up; its retransmission gets that final, not a second relay', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(); };
  const opt = request({ method: 'OPTIONS', uri: 'sip:bob@192.0.2.20' });
  h.recv(opt);
  const fwd = only(h.take());
  h.answer(fwd.msg, 200, 'OK');
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 1);
  h.recv(opt);
  const again = only(h.take());
  assert.equal(again.msg.status, 200);
  assert.equal(again.target.address, '192.0.2.10');
});

test('a forked non-INVITE with a branch still pending keeps its whole transaction', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@192.0.2.20' }, { uri: 'sip:bob@192.0.2.21' }]); };
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@192.0.2.20' }));
  const sent = h.take();
  assert.equal(sent.length, 2);
  h.answer((sent[0] as (typeof sent)[0]).msg, 200, 'OK');
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 0);
  h.answer((sent[1] as (typeof sent)[0]).msg, 486, 'Busy Here');
  assert.equal(h.take().length, 0, 'a second final is not forwarded (§16.7)');
  assert.equal(h.proxy.completedCount, 1, 'compacted once the last branch ended');
});

test('RFC 6026 Accepted: after a relayed 2xx the INVITE\'s server and client states go compact; INVITE retransmissions are absorbed, a retransmitted 2xx still goes up', () => {
  const h = harness();
  let runs = 0;
  let onReply = 0;
  h.proxy.onRequest = (pr) => { runs++; pr.onReply = () => { onReply++; }; pr.relay(); };
  const inv = request();
  h.recv(inv);
  const fwd = only(h.take(), isReq('INVITE')).msg;
  h.answer(fwd, 200, 'OK');
  const ok = only(h.take());
  assert.equal(ok.msg.status, 200);
  assert.equal(h.proxy.completedCount, 2, 'server (timer L) and branch (timer M) kept as compact entries');
  assert.equal(h.proxy.serverTransactionCount, 1);
  assert.equal(h.proxy.clientTransactionCount, 1);
  assert.equal(h.stat('tm:inuse_transactions'), 2);
  h.recv(inv);
  assert.equal(h.take().length, 0, 'INVITE retransmission absorbed in Accepted (RFC 6026 §8.7)');
  assert.equal(runs, 1);
  h.answer(fwd, 200, 'OK');
  const again = only(h.take());
  assert.equal(again.msg.status, 200, '2xx retransmission forwarded (§16.7 step 5)');
  assert.deepEqual(again.target, ok.target);
  const vias = again.msg.vias();
  assert.equal(vias.ok ? vias.value.length : -1, 1, 'our Via removed');
  assert.equal(h.stat('core:fwd_replies'), 2);
  assert.equal(onReply, 1, 'the script\'s reply hook saw the first 2xx only');
  h.answer(fwd, 486, 'Busy Here');
  assert.equal(h.take().length, 0, 'a non-2xx after the 2xx is absorbed');
  // §16.10: the response context still exists, so a CANCEL gets 200 and changes nothing.
  h.recv(request({ method: 'CANCEL' }));
  assert.equal(only(h.take()).msg.status, 200);
  h.clock.advance(34_000);
  assert.equal(h.proxy.completedCount, 0);
  assert.equal(h.proxy.serverTransactionCount, 0);
  assert.equal(h.proxy.clientTransactionCount, 0);
  assert.equal(h.stat('tm:inuse_transactions'), 0, 'each compact entry counted as its transaction until it expired');
  h.answer(fwd, 200, 'OK');
  assert.equal(only(h.take()).msg.status, 200, 'after timer M a 2xx is forwarded statelessly by its Via');
});

test('RFC 6026 Accepted: a 2xx answered by the script itself goes compact too; the ACK of the 2xx is not absorbed', () => {
  const h = harness();
  let acks = 0;
  h.proxy.onRequest = (pr) => { if (pr.msg.method === 'ACK') { acks++; pr.drop(); return; } pr.reply(200, 'OK'); };
  h.recv(request());
  assert.equal(only(h.take(), isRes(200)).msg.status, 200);
  assert.equal(h.proxy.completedCount, 1);
  h.recv(request({ method: 'ACK', toTag: 'x', branch: 'z9hG4bKack2' }));
  assert.equal(acks, 1, '§17.2.3: the ACK of a 2xx matches no transaction and reaches the script');
});

test('a forked INVITE whose other branch ended with a non-2xx keeps its machines (timer D must ACK retransmitted finals)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: 'sip:bob@192.0.2.20' }, { uri: 'sip:bob@192.0.2.21' }], { parallel: true }); };
  h.recv(request());
  const sent = h.take().filter((x) => x.msg.isRequest);
  assert.equal(sent.length, 2);
  const [a, b] = sent as [(typeof sent)[0], (typeof sent)[0]];
  h.answer(a.msg, 180, 'Ringing');
  h.answer(b.msg, 180, 'Ringing');
  h.take();
  h.answer(a.msg, 200, 'OK');
  assert.ok(h.take().some((x) => x.msg.status === 200));
  h.answer(b.msg, 487, 'Request Terminated');
  assert.equal(only(h.take(), isReq('ACK')).target.address, '192.0.2.21');
  assert.equal(h.proxy.completedCount, 0, 'not compacted');
  h.answer(b.msg, 487, 'Request Terminated');
  assert.equal(only(h.take()).msg.method, 'ACK', 'the retransmitted 487 is ACKed again by its machine');
});

test('§17.1.2.2 a relayed BYE: once its 200 went up the branch\'s Completed state (timer K) is compact; a retransmitted 200 is absorbed', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ method: 'BYE', toTag: 'b1' }));
  const bye = only(h.take(), isReq('BYE')).msg;
  h.answer(bye, 200, 'OK');
  assert.equal(only(h.take()).msg.status, 200);
  assert.equal(h.proxy.completedCount, 1, 'the server side (timer J)');
  assert.equal(h.proxy.clientTransactionCount, 1, 'the client side (timer K)');
  h.answer(bye, 200, 'OK');
  assert.equal(h.take().length, 0, 'absorbed in Completed');
  h.clock.advance(6_000);
  assert.equal(h.proxy.clientTransactionCount, 0, 'gone after T4 plus one bucket');
  assert.equal(h.stat('tm:inuse_transactions'), 1, 'the server side still in timer J');
  h.clock.advance(30_000);
  assert.equal(h.stat('tm:inuse_transactions'), 0);
});
