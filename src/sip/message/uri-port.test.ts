import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri, sipUriPort, type SipUri } from './index.ts';

function sip(s: string): SipUri {
  const u = parseUri(s);
  assert.ok(u !== undefined && u.kind === 'sip', s);
  return u;
}

test('sipUriPort: the URI\'s port, else 5060 for sip: and 5061 for sips: (RFC 3261 §19.1.2), whatever the transport parameter', () => {
  assert.equal(sipUriPort(sip('sip:alice@192.168.1.5')), 5060);
  assert.equal(sipUriPort(sip('sips:alice@192.168.1.5')), 5061);
  assert.equal(sipUriPort(sip('SIPS:alice@192.168.1.5')), 5061);
  assert.equal(sipUriPort(sip('sip:alice@192.168.1.5:5062')), 5062);
  assert.equal(sipUriPort(sip('sips:[fd00::5]:5070')), 5070);
  assert.equal(sipUriPort(sip('sip:alice@example.com;transport=tls')), 5060);
});
