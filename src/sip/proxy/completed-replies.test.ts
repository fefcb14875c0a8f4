import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER, harness, only, request } from '../../../test/support/proxy-harness.ts';

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
