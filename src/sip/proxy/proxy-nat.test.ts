import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse, type SipMessage } from '../message/index.ts';
import { CALLER, PROXY_IP, harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';
import { fixedContactValue } from './nat.ts';
import type { BranchInfo } from './proxy-types.ts';
import { ResponseEdits } from './forward-builder.ts';

/** A reply hook doing fix_nated_contact with the response's source. */
function contactFix(res: SipMessage, b: BranchInfo): ResponseEdits | undefined {
  const s = b.responseSource;
  if (s === undefined) return undefined;
  const e = new ResponseEdits();
  e.contact = fixedContactValue(res, { address: s.remoteAddress, port: s.remotePort });
  return e;
}

const NATED_CALLER = { ...CALLER, remoteAddress: '203.0.113.7', remotePort: 40000 };
const PRIVATE_CONTACT = 'Contact: <sip:alice@192.168.1.5:5062;transport=udp>';

test('fix_nated_contact on a request: the forwarded Contact carries the packet source; the received message is not changed', () => {
  const h = harness();
  let received: SipMessage | undefined;
  h.proxy.onRequest = (pr) => {
    received = pr.msg;
    assert.equal(pr.fixNatedContact(';nat=yes'), true);
    pr.relay();
  };
  h.recv(request().replace('Contact: <sip:alice@192.0.2.10:5060>', PRIVATE_CONTACT), NATED_CALLER);
  const fwd = only(h.take(), isReq('INVITE')).msg;
  assert.equal(fwd.get('Contact'), '<sip:alice@203.0.113.7:40000;transport=udp;nat=yes>');
  assert.equal(fwd.getAll('Contact').length, 1);
  assert.equal(received?.get('Contact'), '<sip:alice@192.168.1.5:5062;transport=udp>');
});

test('fix_nated_contact applies to a stateless forward, and says false for a request without Contact', () => {
  const h = harness();
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    said.push(pr.fixNatedContact());
    pr.forwardStateless();
  };
  h.recv(request({ method: 'MESSAGE' }).replace('Contact: <sip:alice@192.0.2.10:5060>', PRIVATE_CONTACT), NATED_CALLER);
  assert.equal(only(h.take(), isReq('MESSAGE')).msg.get('Contact'), '<sip:alice@203.0.113.7:40000;transport=udp>');
  h.recv(request({ method: 'MESSAGE', branch: 'z9hG4bKnoc' }).replace(/Contact: [^\r]*\r\n/, ''), NATED_CALLER);
  assert.equal(only(h.take(), isReq('MESSAGE')).msg.get('Contact'), undefined);
  assert.deepEqual(said, [true, false]);
});

test('fix_nated_contact in the reply hook (onreply_route): the 180 and 200 go upstream with the callee source; a 2xx retransmitted after compaction too', () => {
  const h = harness();
  const sources: string[] = [];
  h.proxy.onRequest = (pr) => {
    pr.onReply = (res: SipMessage, b: BranchInfo) => {
      const s = b.responseSource;
      sources.push(`${res.status} ${s?.remoteAddress}:${s?.remotePort}`);
      return contactFix(res, b);
    };
    pr.relay();
  };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  // The callee is behind a NAT: its responses come from 198.51.100.9:41000 with a private Contact.
  const fromCallee = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  const respond = (status: number, reason: string): void => {
    const res = buildResponse(inv, status, reason, { toTag: 'callee1', headers: [['Contact', '<sip:bob@10.1.1.20:5070>']] });
    h.core.receive(Buffer.from(res.bytes), fromCallee);
  };
  respond(180, 'Ringing');
  assert.equal(only(h.take(), isRes(180)).msg.get('Contact'), '<sip:bob@198.51.100.9:41000>');
  respond(200, 'OK');
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@198.51.100.9:41000>');
  assert.deepEqual(sources, ['180 198.51.100.9:41000', '200 198.51.100.9:41000']);
  // The transaction is compacted at its 2xx: a retransmitted 200 goes up without the hook, with the same Contact.
  respond(200, 'OK');
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@198.51.100.9:41000>');
  assert.equal(sources.length, 2, 'the hook saw the first 2xx only');
});

test('without a fix the reply hook changes nothing in the response that goes upstream', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.onReply = () => {}; pr.relay(); };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  h.answer(inv, 200, 'OK', { headers: [['Contact', '<sip:bob@10.1.1.20:5070>']] });
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@10.1.1.20:5070>');
});

test('after compaction, a 2xx of another dialog on the same branch (a forking proxy downstream) gets its own Contact fixed by the hook, not the first dialog\'s', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => {
    pr.onReply = contactFix;
    pr.relay();
  };
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  const from = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  const first = buildResponse(inv, 200, 'OK', { toTag: 'dlg1', headers: [['Contact', '<sip:desk@10.9.9.9:5060>']] });
  const second = buildResponse(inv, 200, 'OK', { toTag: 'dlg2', headers: [['Contact', '<sip:mobile@10.8.8.8:5070>']] });
  h.core.receive(Buffer.from(first.bytes), from);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:desk@198.51.100.9:41000>');
  h.core.receive(Buffer.from(second.bytes), from);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:mobile@198.51.100.9:41000>', 'its own Contact, fixed: not the first dialog\'s');
  h.core.receive(Buffer.from(first.bytes), from);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:desk@198.51.100.9:41000>', 'the first 2xx retransmitted keeps its fix');
});
