import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse, type SipMessage } from '../message/index.ts';
import { PROXY_IP, harness, isReq, isRes, only, request, type Sent } from '../../../test/support/proxy-harness.ts';
import { ResponseEdits } from './forward-builder.ts';
import type { ProxyRequest } from './proxy-request.ts';
import type { BranchInfo, Resolver } from './proxy-types.ts';

// The reply hook (OpenSIPS onreply_route armed by t_on_reply) belongs to the branches a relay
// creates: Kamailio tm copies t->on_reply into each uac when it adds the branch (t_fwd.c) and runs
// uac->on_reply for that branch's replies. Arming another one later changes only later branches.

const inviteTo = (s: Sent[], addr: string): SipMessage => {
  const m = s.find((x) => x.msg.isRequest && x.msg.method === 'INVITE' && x.target.address === addr);
  assert.ok(m, `no INVITE to ${addr}`);
  return m.msg;
};
const flush = () => new Promise((r) => setImmediate(r));

/** A hook that records `name status@branch-index`. */
function recorder(seen: string[], name: string): ProxyRequest['onReply'] {
  return (res: SipMessage, b: BranchInfo) => { seen.push(`${name} ${res.status}@${b.index}`); };
}

test('each branch runs the reply hook armed when its relay created it: a second relay with another hook leaves the first relay\'s branches theirs', () => {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (p) => {
    p.onReply = recorder(seen, 'A');
    p.relay([{ uri: 'sip:bob@192.0.2.21' }]);
    p.onReply = recorder(seen, 'B');
    // Two q groups: the lower one starts later, when another hook may be armed; it keeps B.
    p.relay([{ uri: 'sip:bob@192.0.2.22', q: 1 }, { uri: 'sip:bob@192.0.2.23', q: 0.5 }]);
    p.onReply = recorder(seen, 'C');
  };
  h.recv(request());
  // A second relay's targets wait for the branches already pending (serial, as a lower q).
  const a = inviteTo(h.take(), '192.0.2.21');
  h.answer(a, 180, 'Ringing');
  h.answer(a, 486, 'Busy Here');
  const b = inviteTo(h.take(), '192.0.2.22');
  h.answer(b, 180, 'Ringing');
  h.answer(b, 486, 'Busy Here');
  h.answer(inviteTo(h.take(), '192.0.2.23'), 183, 'Session Progress');
  assert.deepEqual(seen, ['A 180@0', 'A 486@0', 'B 180@1', 'B 486@1', 'B 183@2']);
});

test('a branch added by 3xx recursion, or by RFC 3263 failover to the next address, keeps the reply hook of the branch it replaces', async () => {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (p) => {
    p.onReply = recorder(seen, 'A');
    p.relay([{ uri: 'sip:bob@192.0.2.21' }], { recurse3xx: true });
    p.onReply = recorder(seen, 'B');
  };
  h.recv(request());
  h.answer(inviteTo(h.take(), '192.0.2.21'), 302, 'Moved Temporarily', { headers: [['Contact', '<sip:bob@192.0.2.41>']] });
  h.answer(inviteTo(h.take(), '192.0.2.41'), 180, 'Ringing');
  assert.deepEqual(seen, ['A 302@0', 'A 180@1']);

  const resolver: Resolver = { resolve: async () => [{ proto: 'udp', address: '192.0.2.31', port: 5060 }, { proto: 'udp', address: '192.0.2.32', port: 5060 }] };
  const f = harness({ resolver });
  seen.length = 0;
  f.proxy.onRequest = (p) => {
    p.onReply = recorder(seen, 'A');
    p.relay([{ uri: 'sip:bob@pbx.example.com' }]);
    p.onReply = recorder(seen, 'B');
  };
  f.recv(request({ uri: 'sip:bob@pbx.example.com' }));
  await flush();
  f.answer(inviteTo(f.take(), '192.0.2.31'), 503, 'Service Unavailable');
  f.answer(inviteTo(f.take(), '192.0.2.32'), 180, 'Ringing');
  assert.deepEqual(seen, ['A 503@0', 'A 180@1']);
});

test('§16.7 step 5: a 2xx of a new dialog on a branch compacted after the first 2xx (a forking proxy downstream) runs the observer and the reply hook as the first did; retransmissions of either replay that dialog\'s edits without them', () => {
  const h = harness();
  const seen: string[] = [];
  h.proxy.onRequest = (p) => {
    p.observeReply = (res) => { seen.push(`observe ${res.status} ${res.to.tag}`); };
    p.onReply = (res: SipMessage, b: BranchInfo) => {
      const s = b.responseSource;
      seen.push(`hook ${res.status} ${res.to.tag}@${b.index} from ${s?.remoteAddress}:${s?.remotePort}`);
      const e = new ResponseEdits();
      e.contact = `<sip:${res.to.tag}@${s?.remoteAddress}:${s?.remotePort}>`;
      return e;
    };
    p.relay();
  };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  const from = (port: number) => ({ proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: port, localAddress: PROXY_IP, localPort: 5060 });
  const ok = (tag: string) => Buffer.from(buildResponse(inv, 200, 'OK', { toTag: tag, headers: [['Contact', `<sip:${tag}@10.9.9.9>`]] }).bytes);
  h.core.receive(ok('dlg1'), from(41000));
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:dlg1@198.51.100.9:41000>');
  assert.equal(h.proxy.completedCount, 2, 'compacted at the first 2xx');
  h.core.receive(ok('dlg2'), from(42000));
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:dlg2@198.51.100.9:42000>', 'the hook\'s edit of the second dialog, from its own source');
  h.core.receive(ok('dlg1'), from(41000));
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:dlg1@198.51.100.9:41000>', 'first dialog retransmitted: its edits replayed');
  h.core.receive(ok('dlg2'), from(42000));
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:dlg2@198.51.100.9:42000>', 'second dialog retransmitted: its edits replayed');
  assert.deepEqual(seen, [
    'observe 200 dlg1', 'hook 200 dlg1@0 from 198.51.100.9:41000',
    'observe 200 dlg2', 'hook 200 dlg2@0 from 198.51.100.9:42000',
  ]);
  assert.equal(h.stat('core:fwd_replies'), 4);
  assert.equal(h.stat('tm:inuse_transactions'), 2, 'the kept hooks are no transaction');
  // The hooks (and the script's objects they hold) are kept T4, as OpenSIPS/Kamailio keep a
  // transaction for wt_timer after its final; a dialog after that goes up as it came, until timer M.
  h.clock.advance(6_000);
  h.core.receive(ok('dlg3'), from(43000));
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:dlg3@10.9.9.9>');
  h.core.receive(ok('dlg2'), from(42000));
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:dlg2@198.51.100.9:42000>', 'a dialog forwarded with edits keeps them to timer M');
  assert.equal(seen.length, 4);
  assert.equal(h.proxy.completedCount, 2);
});
