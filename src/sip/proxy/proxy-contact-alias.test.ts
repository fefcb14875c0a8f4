import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../message/index.ts';
import { CALLER, PROXY_IP, harness, isReq, only, request } from '../../../test/support/proxy-harness.ts';

const NATED_CALLER = { ...CALLER, remoteAddress: '203.0.113.7', remotePort: 40000 };
const PRIVATE_CONTACT = 'Contact: <sip:alice@192.168.1.5:5062>';

test('add_contact_alias on a relayed INVITE: the forwarded Contact keeps the UA host:port and carries the source as alias; the received message is not changed', () => {
  const h = harness();
  let received: SipMessage | undefined;
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    received = pr.msg;
    said.push(pr.addContactAlias());
    pr.recordRoute();
    pr.relay();
  };
  h.recv(request().replace('Contact: <sip:alice@192.0.2.10:5060>', PRIVATE_CONTACT), NATED_CALLER);
  const fwd = only(h.take(), isReq('INVITE')).msg;
  assert.equal(fwd.get('Contact'), '<sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1>');
  assert.equal(fwd.getAll('Contact').length, 1);
  assert.ok(fwd.get('Record-Route') !== undefined);
  assert.equal(received?.get('Contact'), '<sip:alice@192.168.1.5:5062>');
  assert.deepEqual(said, [true]);
});

test('add_contact_alias says false and changes nothing when the Contact names the source, or after fix_nated_contact rewrote it', () => {
  const h = harness();
  const said: string[] = [];
  h.proxy.onRequest = (pr) => {
    if (pr.msg.callId === 'fixed') said.push(`fix ${pr.fixNatedContact()}`);
    said.push(`alias ${pr.addContactAlias()}`);
    pr.relay();
  };
  // CALLER's Contact is <sip:alice@192.0.2.10:5060>, and it sends from 192.0.2.10:5060 over UDP.
  h.recv(request());
  assert.equal(only(h.take(), isReq('INVITE')).msg.get('Contact'), '<sip:alice@192.0.2.10:5060>');
  h.recv(request({ callId: 'fixed', branch: 'z9hG4bKfixed' }).replace('Contact: <sip:alice@192.0.2.10:5060>', PRIVATE_CONTACT), NATED_CALLER);
  assert.equal(only(h.take(), isReq('INVITE')).msg.get('Contact'), '<sip:alice@203.0.113.7:40000>');
  assert.deepEqual(said, ['alias false', 'fix true', 'alias false']);
});

test('fix_nated_contact after add_contact_alias says false and the forwarded Contact keeps the alias (Kamailio: "you can\'t rewrite the same Contact twice", in either order)', () => {
  const h = harness();
  const said: string[] = [];
  h.proxy.onRequest = (pr) => {
    said.push(`alias ${pr.addContactAlias()}`, `fix ${pr.fixNatedContact()}`, `fix ${pr.fixNatedContact(';nat=yes')}`);
    pr.relay();
  };
  h.recv(request().replace('Contact: <sip:alice@192.0.2.10:5060>', PRIVATE_CONTACT), NATED_CALLER);
  assert.equal(only(h.take(), isReq('INVITE')).msg.get('Contact'), '<sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1>');
  assert.deepEqual(said, ['alias true', 'fix false', 'fix false']);
});

test('handle_ruri_alias on an in-dialog request: sent to the alias address (UDP, and TCP by ;transport=tcp), the Request-URI without the alias', () => {
  const h = harness();
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    assert.equal(pr.looseRoute(), true);
    said.push(pr.handleRuriAlias());
    pr.relay();
  };
  // The callee sends its BYE to the Contact it was given, along the route set (our Record-Route).
  const bye = (alias: string, branch: string): string => request({ method: 'BYE', uri: `sip:alice@192.168.1.5:5062;alias=${alias};ob`, toTag: 'b1', branch, cseq: 2 })
    .replace('Content-Length', `Route: <sip:${PROXY_IP};lr>\r\nContent-Length`);
  h.recv(bye('203.0.113.7~40000~1', 'z9hG4bKbye1'));
  let out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.proto, out.target.address, out.target.port], ['udp', '203.0.113.7', 40000]);
  assert.equal(out.msg.uriText, 'sip:alice@192.168.1.5:5062;ob');
  assert.equal(out.msg.get('Route'), undefined, 'our own Route was removed');
  h.recv(bye('203.0.113.7~40002~2', 'z9hG4bKbye2'));
  out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.proto, out.target.address, out.target.port], ['tcp', '203.0.113.7', 40002]);
  assert.equal(out.msg.uriText, 'sip:alice@192.168.1.5:5062;ob');
  assert.deepEqual(said, [true, true]);
});

test('handle_ruri_alias without an alias, or with a malformed one, says false and the request follows its Request-URI unchanged', () => {
  const h = harness();
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    said.push(pr.handleRuriAlias());
    pr.relay();
  };
  h.recv(request({ method: 'BYE', uri: 'sip:alice@192.0.2.30:5062', toTag: 'b1' }));
  let out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.address, out.target.port, out.msg.uriText], ['192.0.2.30', 5062, 'sip:alice@192.0.2.30:5062']);
  h.recv(request({ method: 'BYE', uri: 'sip:alice@192.0.2.30:5062;alias=203.0.113.7~40000~9', toTag: 'b1', branch: 'z9hG4bKbad' }));
  out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.address, out.target.port, out.msg.uriText], ['192.0.2.30', 5062, 'sip:alice@192.0.2.30:5062;alias=203.0.113.7~40000~9']);
  // Two aliases: which one names the phone is anyone's guess (RFC 3261 §19.1.1 allows a parameter once).
  const two = 'sip:alice@192.0.2.30:5062;alias=203.0.113.7~40000~1;alias=198.51.100.1~5060~1';
  h.recv(request({ method: 'BYE', uri: two, toTag: 'b1', branch: 'z9hG4bKtwo' }));
  out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.address, out.target.port, out.msg.uriText], ['192.0.2.30', 5062, two]);
  assert.deepEqual(said, [false, false, false]);
});

test('handle_ruri_alias reads $ru as the script left it (setRequestUri first)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => {
    pr.setRequestUri('sip:alice@192.168.1.5:5062;alias=198.51.100.4~5090~1');
    assert.equal(pr.handleRuriAlias(), true);
    pr.relay();
  };
  h.recv(request({ method: 'MESSAGE' }));
  const out = only(h.take(), isReq('MESSAGE'));
  assert.deepEqual([out.target.address, out.target.port, out.msg.uriText], ['198.51.100.4', 5090, 'sip:alice@192.168.1.5:5062']);
});

test('handle_ruri_alias leaves a request alone while a Route remains after ours: that proxy is the next hop, the alias is for the one nearest the UA', () => {
  const h = harness();
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    said.push(pr.handleRuriAlias());
    pr.relay();
  };
  h.recv(request({ method: 'BYE', uri: 'sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1', toTag: 'b1' })
    .replace('Content-Length', `Route: <sip:${PROXY_IP};lr>, <sip:192.0.2.99;lr>\r\nContent-Length`));
  const out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.address, out.target.port], ['192.0.2.99', 5060]);
  assert.equal(out.msg.uriText, 'sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1');
  assert.equal(out.msg.get('Route'), '<sip:192.0.2.99;lr>');
  assert.deepEqual(said, [false]);
});

test('handle_ruri_alias on the ACK of a 2xx (no transaction, forwarded statelessly): to the alias address, without the alias', () => {
  const h = harness();
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    said.push(pr.handleRuriAlias());
    pr.relay();
  };
  h.recv(request({ method: 'ACK', uri: 'sip:bob@10.1.1.20:5070;alias=198.51.100.9~41000~1', toTag: 'b1', branch: 'z9hG4bKack2xx' })
    .replace('Content-Length', `Route: <sip:${PROXY_IP};lr>\r\nContent-Length`));
  const out = only(h.take(), isReq('ACK'));
  assert.deepEqual([out.target.address, out.target.port, out.msg.uriText], ['198.51.100.9', 41000, 'sip:bob@10.1.1.20:5070']);
  assert.deepEqual(said, [true]);
});

test('handle_ruri_alias leaves a sips Request-URI alone when its alias is not TLS: the request is refused, never sent over UDP (RFC 3261 §26.2.2)', () => {
  const h = harness();
  const said: boolean[] = [];
  h.proxy.onRequest = (pr) => {
    said.push(pr.handleRuriAlias());
    pr.relay();
  };
  h.recv(request({ method: 'BYE', uri: 'sips:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1', toTag: 'b1', branch: 'z9hG4bKsips', cseq: 2 })
    .replace('Content-Length', `Route: <sip:${PROXY_IP};lr>\r\nContent-Length`));
  const sent = h.take();
  assert.equal(sent.filter((s) => isReq('BYE')(s.msg)).length, 0, 'nothing forwarded');
  assert.equal(only(sent).msg.status, 503);
  assert.deepEqual(said, [false]);
});
