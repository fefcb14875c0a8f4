import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../sip/message/index.ts';
import { isFailedRegister, sipAddressHost } from './ban-list-wiring.ts';

function register(extra: string[] = []): SipMessage {
  const r = parseMessage(Buffer.from([
    'REGISTER sip:example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', 'Max-Forwards: 70',
    'From: <sip:ghost@example.com>;tag=a', 'To: <sip:ghost@example.com>', 'Call-ID: c1', 'CSeq: 1 REGISTER',
    ...extra, 'Content-Length: 0', '', '',
  ].join('\r\n')));
  assert.ok(r.ok);
  return r.value;
}

test('a REGISTER fails on 403/404, or on 401 to credentials unless the nonce was only stale', () => {
  const bare = register();
  const withCreds = register(['Authorization: Digest username="ghost", realm="example.com", nonce="x", uri="sip:example.com", response="0"']);
  assert.equal(isFailedRegister(bare, 403, undefined), true);
  assert.equal(isFailedRegister(bare, 404, undefined), true);
  assert.equal(isFailedRegister(bare, 401, undefined), false, 'the first challenge of every exchange');
  assert.equal(isFailedRegister(withCreds, 401, [['WWW-Authenticate', 'Digest realm="example.com", nonce="y"']]), true);
  assert.equal(isFailedRegister(withCreds, 401, [['WWW-Authenticate', 'Digest realm="example.com", nonce="y", stale=true']]), false);
  assert.equal(isFailedRegister(withCreds, 200, undefined), false);
  assert.equal(isFailedRegister(withCreds, 500, undefined), false);
});

test('peer SIP addresses reduce to their hosts', () => {
  assert.equal(sipAddressHost('sip:127.0.0.1:5060'), '127.0.0.1');
  assert.equal(sipAddressHost('sip:[2001:db8::1]:5060;transport=tcp'), '2001:db8::1');
  assert.equal(sipAddressHost('sips:proxy@10.0.0.1'), '10.0.0.1');
  assert.equal(sipAddressHost(''), undefined);
});
