import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isRes, only, request } from '../../../test/support/proxy-harness.ts';

/** A proxy whose script answers every INVITE statelessly with `reply` and relays everything else, noting what it saw. */
function node(reply: { status: number; toTag?: string }) {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (pr) => {
    seen.push(`${pr.msg.method} ${pr.msg.to.tag ?? '-'}`);
    if (pr.msg.method === 'INVITE') pr.reply(reply.status, 'Busy Here', reply.toTag === undefined ? { stateless: true } : { stateless: true, toTag: reply.toTag });
    else pr.relay();
  };
  return { h, seen };
}

test('the ACK of a stateless non-2xx sent with a chosen To tag is absorbed (sl:filtered_acks), not routed by the script', () => {
  const { h, seen } = node({ status: 486, toTag: 'chosen1' });
  h.recv(request({ method: 'INVITE' }));
  assert.equal(only(h.take(), isRes(486)).msg.to.tag, 'chosen1');
  // §17.1.1.3: the ACK of a non-2xx has the INVITE's branch and the response's To tag.
  h.recv(request({ method: 'ACK', toTag: 'chosen1' }));
  assert.deepEqual(h.take(), [], 'not forwarded');
  assert.equal(h.stat('sl:filtered_acks'), 1);
  assert.deepEqual(seen, ['INVITE -']);
});

test('an ACK with a tag we did not send, or with our chosen tag but another branch (a 2xx ACK of a dialog), still reaches the script', () => {
  const { h, seen } = node({ status: 486, toTag: 'chosen1' });
  h.recv(request({ method: 'INVITE' }));
  h.take();
  h.recv(request({ method: 'ACK', toTag: 'unknown9' }));
  h.recv(request({ method: 'ACK', toTag: 'chosen1', branch: 'z9hG4bKack2xx' }));
  assert.deepEqual(seen, ['INVITE -', 'ACK unknown9', 'ACK chosen1']);
  assert.equal(h.stat('sl:filtered_acks'), 0);
});

test('the memory of chosen tags is time-bounded: a much later ACK reaches the script, and no timer is left', () => {
  const { h, seen } = node({ status: 486, toTag: 'chosen1' });
  h.recv(request({ method: 'INVITE' }));
  h.take();
  h.clock.advance(60_000);
  assert.equal(h.clock.pendingCount(), 0, 'no timer once the memory is empty');
  h.recv(request({ method: 'ACK', toTag: 'chosen1' }));
  assert.deepEqual(seen, ['INVITE -', 'ACK chosen1']);
});

test('the ACK of a stateless non-2xx to an in-dialog INVITE (its To tag kept, §8.2.6.2) is absorbed too; OpenSIPS lets it through', () => {
  const { h, seen } = node({ status: 491 });
  h.recv(request({ method: 'INVITE', toTag: 'dlg7', cseq: 2, branch: 'z9hG4bKreinv' }));
  assert.equal(only(h.take(), isRes(491)).msg.to.tag, 'dlg7');
  h.recv(request({ method: 'ACK', toTag: 'dlg7', cseq: 2, branch: 'z9hG4bKreinv' }));
  assert.deepEqual(h.take(), []);
  assert.equal(h.stat('sl:filtered_acks'), 1);
  // The next re-INVITE's 2xx ACK, in the same dialog: end to end, for the script.
  h.recv(request({ method: 'ACK', toTag: 'dlg7', cseq: 3, branch: 'z9hG4bKack3' }));
  assert.deepEqual(seen, ['INVITE dlg7', 'ACK dlg7']);
});

test('a chosen To tag that is not a token is refused with a TypeError before the request is answered (no builder invariant)', () => {
  const h = harness();
  const errors: unknown[] = [];
  h.proxy.onRequest = (pr) => {
    for (const stateless of [true, false]) {
      try { pr.reply(486, 'Busy Here', { stateless, toTag: 'x\r\nVia: evil' }); } catch (e) { errors.push(e); }
    }
    assert.equal(pr.disposition, 'pending');
    pr.reply(486, 'Busy Here', { stateless: true, toTag: 'fine' });
  };
  h.recv(request({ method: 'INVITE' }));
  assert.equal(errors.length, 2);
  for (const e of errors) assert.ok(e instanceof TypeError, String(e));
  assert.equal(only(h.take(), isRes(486)).msg.to.tag, 'fine');
});
