import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, only, request } from '../../test/support/proxy-harness.ts';
import { portOf } from './proxy-binding.ts';
import type { ReplyBranch } from './api.ts';

test('the script reply hook gets the branch a response came on (OpenSIPS $T_branch_idx): index, R-URI and where it went', () => {
  const h = harness();
  const seen: Array<[number, ReplyBranch]> = [];
  h.proxy.onRequest = (pr) => {
    portOf(pr).setHooks({ onReply: (res, branch) => { seen.push([res.status, branch]); } });
    pr.relay([{ uri: 'sip:a@192.0.2.71' }, { uri: 'sip:b@192.0.2.72:5080' }], { parallel: true });
  };
  h.recv(request());
  const out = h.take();
  const toB = only(out, (m) => m.isRequest && m.method === 'INVITE' && m.uriText === 'sip:b@192.0.2.72:5080');
  h.answer(toB.msg, 180, 'Ringing');
  assert.deepEqual(seen, [[180, { index: 1, uri: 'sip:b@192.0.2.72:5080', target: { proto: 'udp', address: '192.0.2.72', port: 5080 } }]]);
});

test('$ru and $du read back after the edits (req.uriText stays the received one); a second final reply says false', () => {
  const h = harness();
  const got: unknown[] = [];
  h.proxy.onRequest = (pr) => {
    const port = portOf(pr);
    got.push(port.requestUri, port.destination);
    port.setRequestUri('sip:carol@198.51.100.9');
    port.setDestination('sip:203.0.113.5:5080');
    got.push(port.requestUri, port.destination, port.msg.uriText);
    got.push(port.reply(486, 'Busy Here'), port.reply(500, 'Again'));
  };
  h.recv(request({ method: 'MESSAGE' }));
  assert.deepEqual(got, [
    'sip:bob@192.0.2.20', undefined,
    'sip:carol@198.51.100.9', 'sip:203.0.113.5:5080', 'sip:bob@192.0.2.20',
    true, false,
  ]);
});
