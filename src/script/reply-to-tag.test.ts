/**
 * ctx.reply's `toTag` (ReplyOptions): the To tag of a locally generated response, through the
 * script host and the proxy — stateful and stateless, the ACK of a stateless non-2xx absorbed, and a
 * tag that is not a token refused as the script's TypeError before anything is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRes, only, request } from '../../test/support/proxy-harness.ts';
import { scriptHarness } from '../../test/support/script-harness.ts';
import { defineRoutes } from './api.ts';

const run = scriptHarness;

test('a stateless 302 with a chosen To tag carries it, and its ACK is absorbed instead of reaching the script', () => {
  const seen: string[] = [];
  const h = run(defineRoutes({
    request(req, ctx) {
      seen.push(`${req.method} ${req.to.tag ?? '-'}`);
      if (req.method === 'INVITE') {
        ctx.reply(302, 'Moved Temporarily', { stateless: true, toTag: 'redir-7f3a', headers: [['Contact', '<sip:bob@192.0.2.30>']] });
      } else {
        void ctx.relay();
      }
    },
  }));
  h.recv(request({ method: 'INVITE' }));
  const res = only(h.take(), isRes(302)).msg;
  assert.equal(res.to.tag, 'redir-7f3a');
  assert.equal(res.get('Contact'), '<sip:bob@192.0.2.30>');
  // §17.1.1.3: the ACK of a non-2xx carries the INVITE's branch and the response's To tag.
  h.recv(request({ method: 'ACK', toTag: 'redir-7f3a' }));
  assert.deepEqual(h.take(), [], 'the ACK is not forwarded');
  assert.equal(h.stat('sl:filtered_acks'), 1);
  assert.deepEqual(seen, ['INVITE -']);
});

test('a stateful provisional and final with the same chosen tag both carry it; an in-dialog request keeps its own', () => {
  const h = run(defineRoutes({
    request(req, ctx) {
      ctx.reply(180, 'Ringing', { toTag: 'b2b-1' });
      ctx.reply(req.to.tag === undefined ? 486 : 491, undefined, { toTag: 'b2b-1' });
    },
  }));
  h.recv(request({ method: 'INVITE' }));
  const out = h.take();
  assert.equal(only(out, isRes(180)).msg.to.tag, 'b2b-1');
  assert.equal(only(out, isRes(486)).msg.to.tag, 'b2b-1');
  h.recv(request({ method: 'INVITE', toTag: 'dlg7', cseq: 2, branch: 'z9hG4bKreinv' }));
  assert.equal(only(h.take(), isRes(491)).msg.to.tag, 'dlg7', '§8.2.6.2: the request\'s tag');
});

test('a toTag that is not a token is a TypeError the script sees, and nothing was sent for it', () => {
  const caught: unknown[] = [];
  const h = run(defineRoutes({
    request(_req, ctx) {
      for (const toTag of ['two words', 'a\r\nX-Injected: 1', '', 7 as unknown as string]) {
        try {
          ctx.reply(486, 'Busy Here', { stateless: true, toTag });
        } catch (e) {
          caught.push(e);
        }
      }
      // Refused before the request was marked answered: the script can still answer it.
      ctx.reply(486, 'Busy Here', { stateless: true, toTag: 'ok-1' });
    },
  }));
  h.recv(request({ method: 'INVITE' }));
  assert.equal(caught.length, 4);
  for (const e of caught) assert.ok(e instanceof TypeError, String(e));
  assert.equal(only(h.take(), isRes(486)).msg.to.tag, 'ok-1');
});

test('a bad toTag the script does not catch gets the request a 500 (the script erred), not a crash', () => {
  const h = run(defineRoutes({
    request(_req, ctx) { ctx.reply(404, 'Not Found', { toTag: 'bad;tag=x' }); },
  }));
  h.recv(request({ method: 'INVITE' }));
  const res = only(h.take(), isRes(500)).msg;
  assert.notEqual(res.to.tag, 'bad;tag=x');
});
