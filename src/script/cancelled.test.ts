import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReq, isRes, request } from '../../test/support/proxy-harness.ts';
import { scriptHarness } from '../../test/support/script-harness.ts';
import { defineRoutes, type RelayOutcome } from './api.ts';

/** The CANCEL of request() (RFC 3261 §9.1: same Request-URI, Call-ID, From, To, CSeq number, top Via). */
function cancelOf(invite: string): string {
  return invite.replace(/^INVITE /, 'CANCEL ').replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL');
}

test('ctx.cancelled (OpenSIPS t_was_cancelled): a handler that awaited learns the caller CANCELled; relay() then starts nothing', async () => {
  let release: () => void = () => {};
  const waiting = new Promise<void>((r) => { release = r; });
  const seen: Array<boolean | RelayOutcome> = [];
  let failureRan = false;
  const routes = defineRoutes({
    async request(_req, ctx) {
      seen.push(ctx.cancelled);
      await waiting; // a cluster query, a database…
      seen.push(ctx.cancelled);
      seen.push(await ctx.relay('sip:bob@192.0.2.20'));
    },
    failure() { failureRan = true; },
  });
  const h = scriptHarness(routes);
  const invite = request();
  h.recv(invite);
  h.take();
  h.recv(cancelOf(invite));
  const answered = h.take();
  assert.ok(answered.some((s) => isRes(487)(s.msg)), 'the INVITE got 487');
  release();
  for (let i = 0; i < 10; i++) await null;
  assert.deepEqual(seen, [false, true, { result: 'cancelled', status: 487 }]);
  assert.equal(h.take().filter((s) => isReq('INVITE')(s.msg)).length, 0, 'nothing relayed after the CANCEL');
  assert.equal(failureRan, false);
});
