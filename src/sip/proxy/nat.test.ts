import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../message/index.ts';
import { fixedContactValue, fixedSdp, isPrivateAddress, natChecksOf, natTest } from './nat.ts';

function msg(o: { via?: string; contact?: string | null; body?: string } = {}): SipMessage {
  const body = o.body ?? '';
  const text = [
    'INVITE sip:bob@example.com SIP/2.0',
    `Via: SIP/2.0/UDP ${o.via ?? '192.168.1.5:5062'};branch=z9hG4bKnat1;rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: nat-1',
    'CSeq: 1 INVITE',
    ...(o.contact === null ? [] : [`Contact: ${o.contact ?? '"Alice" <sip:alice@192.168.1.5:5062;transport=udp>;expires=60'}`]),
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text), { framing: 'datagram' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

const NATED = { address: '203.0.113.7', port: 40000 };

test('nat_uac_test checks by OpenSIPS 3.x name or old bit flags (19 = private-contact, diff-ip-src-via, diff-port-src-via); a typo throws', () => {
  assert.deepEqual([...natChecksOf(19)].sort(), ['diff-ip-src-via', 'diff-port-src-via', 'private-contact']);
  assert.deepEqual([...natChecksOf(8)], ['private-sdp']);
  assert.deepEqual([...natChecksOf('private-via')], ['private-via']);
  assert.deepEqual([...natChecksOf(undefined)].sort(), ['diff-ip-src-via', 'diff-port-src-via', 'private-contact']);
  assert.throws(() => natChecksOf(['private-contakt' as never]), TypeError);
  assert.throws(() => natChecksOf(0), TypeError);
  assert.throws(() => natChecksOf(256), TypeError);
  assert.throws(() => natChecksOf(1.5), TypeError);
});

test('private addresses: RFC 1918, RFC 6598 (100.64/10), RFC 6333 (192.0.0.0/29) only with carrier-grade-nat, IPv6 fc00::/7', () => {
  for (const a of ['10.0.0.1', '172.16.0.1', '172.31.255.254', '192.168.0.1', '100.64.0.1', '100.127.255.255', 'fd00::1', '[fc12::5]']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['172.15.0.1', '172.32.0.1', '100.63.0.1', '100.128.0.1', '192.0.0.5', '203.0.113.1', '2001:db8::1', 'pbx.example.com', '10.0.0', '10.0.0.256', '']) {
    assert.equal(isPrivateAddress(a), false, a);
  }
  assert.equal(isPrivateAddress('192.0.0.5', true), true);
  assert.equal(isPrivateAddress('192.0.0.8', true), false);
});

test('nat_uac_test: each check on a request from behind a NAT, and none on a request from a public UA that says where it is', () => {
  const nated = msg({ body: 'v=0\r\no=- 1 1 IN IP4 192.168.1.5\r\nc=IN IP4 192.168.1.5\r\nm=audio 4000 RTP/AVP 0\r\n' });
  for (const c of ['private-contact', 'diff-ip-src-via', 'private-via', 'private-sdp', 'diff-port-src-via', 'diff-ip-src-contact', 'diff-port-src-contact'] as const) {
    assert.equal(natTest(nated, NATED, natChecksOf(c)), true, c);
  }
  const open = msg({ via: '203.0.113.7:40000', contact: '<sip:alice@203.0.113.7:40000>', body: 'v=0\r\nc=IN IP4 203.0.113.7\r\nm=audio 4000 RTP/AVP 0\r\n' });
  assert.equal(natTest(open, NATED, natChecksOf(127)), false);
  // Defaults: no port in Via or Contact means 5060.
  const dflt = msg({ via: '203.0.113.7', contact: '<sip:alice@203.0.113.7>' });
  assert.equal(natTest(dflt, { address: '203.0.113.7', port: 5060 }, natChecksOf(['diff-port-src-via', 'diff-port-src-contact'])), false);
  assert.equal(natTest(dflt, NATED, natChecksOf('diff-port-src-via')), true);
  // Only carrier-grade-nat makes 192.0.0.0/29 private.
  const cgn = msg({ contact: '<sip:alice@192.0.0.2:5062>' });
  assert.equal(natTest(cgn, NATED, natChecksOf('private-contact')), false);
  assert.equal(natTest(cgn, NATED, natChecksOf(['private-contact', 'carrier-grade-nat'])), true);
  // No Contact: the Contact checks say nothing.
  assert.equal(natTest(msg({ contact: null }), NATED, natChecksOf(['private-contact', 'diff-ip-src-contact'])), false);
});

test('fix_nated_contact: the first Contact URI gets the source host:port; display name, URI and header parameters stay', () => {
  const m = msg();
  assert.equal(fixedContactValue(m, NATED), '"Alice" <sip:alice@203.0.113.7:40000;transport=udp>;expires=60');
  assert.equal(fixedContactValue(m, NATED, ';nat=yes'), '"Alice" <sip:alice@203.0.113.7:40000;transport=udp;nat=yes>;expires=60');
  // IPv6 sources are bracketed; an IPv6 Contact host is replaced whole.
  assert.equal(fixedContactValue(msg({ contact: '<sip:alice@[fd00::5]:5062>' }), { address: '2001:db8::7', port: 5070 }), '<sip:alice@[2001:db8::7]:5070>');
  // Without a user part, and URI headers kept after the parameters.
  assert.equal(fixedContactValue(msg({ contact: '<sip:192.168.1.5;ob?X-A=1>' }), NATED), '<sip:203.0.113.7:40000;ob?X-A=1>');
  // A bare addr-spec: what follows is header parameters, so added URI parameters need the brackets (RFC 3261 §20.10).
  assert.equal(fixedContactValue(msg({ contact: 'sip:alice@192.168.1.5:5062;expires=60' }), NATED), '<sip:alice@203.0.113.7:40000>;expires=60');
  assert.equal(fixedContactValue(msg({ contact: 'sip:alice@192.168.1.5:5062;expires=60' }), NATED, ';nat=yes'), '<sip:alice@203.0.113.7:40000;nat=yes>;expires=60');
  // Nothing to rewrite.
  assert.equal(fixedContactValue(msg({ contact: null }), NATED), undefined);
  assert.equal(fixedContactValue(msg({ contact: '<tel:+15551234>' }), NATED), undefined);
  assert.throws(() => fixedContactValue(m, NATED, 'nat=yes'), TypeError);
  assert.throws(() => fixedContactValue(m, NATED, ';nat yes'), TypeError);
});

const OFFER = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.168.1.5\r\ns=-\r\nc=IN IP4 192.168.1.5\r\nt=0 0\r\n'
  + 'm=audio 49170 RTP/AVP 0\r\nm=video 51372 RTP/AVP 31\r\nc=IN IP4 192.168.1.6/127\r\nm=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n';

test('fix_nated_sdp rewrite-media-ip: every c= address becomes the source (TTL suffix kept), o= and null addresses stay unless asked', () => {
  const m = msg({ body: OFFER });
  const media = fixedSdp(m, NATED)?.toString('latin1');
  assert.equal(media, OFFER.replace('c=IN IP4 192.168.1.5', 'c=IN IP4 203.0.113.7').replace('c=IN IP4 192.168.1.6/127', 'c=IN IP4 203.0.113.7/127'));
  const all = fixedSdp(m, NATED, { origin: true, nullAddresses: true })?.toString('latin1') ?? '';
  assert.match(all, /^o=alice 2890844526 2890844526 IN IP4 203\.0\.113\.7\r$/m);
  assert.equal(all.includes('0.0.0.0'), false);
  // An IPv6 address changes the address type; a given address wins over the source.
  assert.match(fixedSdp(m, { address: '2001:db8::7', port: 5060 })?.toString('latin1') ?? '', /^c=IN IP6 2001:db8::7\r$/m);
  assert.match(fixedSdp(m, NATED, { address: '198.51.100.1' })?.toString('latin1') ?? '', /^c=IN IP4 198\.51\.100\.1\r$/m);
  assert.throws(() => fixedSdp(m, NATED, { address: 'media.example.com' }), TypeError);
  // Nothing to change, no SDP, another content type: undefined.
  assert.equal(fixedSdp(msg({ body: 'v=0\r\nc=IN IP4 203.0.113.7\r\n' }), NATED), undefined);
  assert.equal(fixedSdp(msg(), NATED), undefined);
});

test('fix_nated_contact rewrites the URI, not text that looks like it: a display name holding the URI stays as it was', () => {
  const m = msg({ contact: '"<sip:alice@192.168.1.5:5062>" <sip:alice@192.168.1.5:5062>;+sip.instance="<urn:uuid:1>"' });
  assert.equal(fixedContactValue(m, NATED), '"<sip:alice@192.168.1.5:5062>" <sip:alice@203.0.113.7:40000>;+sip.instance="<urn:uuid:1>"');
  // Other Contact values are kept, after the first.
  const two = msg({ contact: '<sip:a@192.168.1.5>, "B" <sip:b@192.168.1.6>;q=0.5' });
  assert.equal(fixedContactValue(two, NATED), '<sip:a@203.0.113.7:40000>, "B" <sip:b@192.168.1.6>;q=0.5');
});
