// RFC 3261 §25.1 (and RFC 3581) rules a review found unchecked: what the grammar refuses, the
// parser refuses with 400 and a stable SIP_PARSE_* code; the legal neighbours still parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from './index.ts';
import { parseVia } from './via.ts';
import { canonicalSipUriEnd, parseUri, parseUriGeneral, validUri, type SipUri } from './uri.ts';
import * as limits from './limits.ts';

function msg(via: string, from = '<sip:a@x.example>;tag=f1', to = '<sip:b@y.example>'): Buffer {
  return Buffer.from([
    'INVITE sip:bob@example.com SIP/2.0', `Via: ${via}`, `From: ${from}`, `To: ${to}`,
    'Call-ID: c1@x', 'CSeq: 7 INVITE', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n'), 'latin1');
}

function refused(buf: Buffer, code: string): void {
  const r = parseMessage(buf);
  assert.equal(r.ok, false, `accepted: ${buf.toString('latin1').split('\r\n').slice(1, 4).join(' | ')}`);
  if (!r.ok) assert.equal(r.error.code, code);
}

test('RFC 3261 §25.1 via-branch = "branch" EQUAL token: a quoted branch is refused (400, SIP_PARSE_BAD_VIA)', () => {
  refused(msg('SIP/2.0/UDP 192.0.2.1;branch="z9hG4bK-a"'), 'SIP_PARSE_BAD_VIA');
  refused(msg('SIP/2.0/UDP 192.0.2.1 ; branch = "z9hG4bK-a"'), 'SIP_PARSE_BAD_VIA');
  refused(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a, SIP/2.0/UDP h;BRANCH="z9hG4bK-b"'), 'SIP_PARSE_BAD_VIA');
  assert.equal(parseVia('SIP/2.0/UDP h;branch="z9hG4bK-a"').ok, false);
  // Other Via parameters are generic-params: quoted values stay legal.
  assert.ok(parseMessage(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a;x="a;b"')).ok);
});

test('RFC 3261 §25.1 tag-param = "tag" EQUAL token: a quoted From or To tag is refused (400, SIP_PARSE_BAD_NAME_ADDR)', () => {
  refused(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a', '<sip:a@x.example>;tag="f1"'), 'SIP_PARSE_BAD_NAME_ADDR');
  refused(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a', '<sip:a@x.example>;tag=f1', '<sip:b@y.example> ;TAG="t 1"'), 'SIP_PARSE_BAD_NAME_ADDR');
  refused(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a', '<sip:a@x.example>;tag=f1;tag="f2"'), 'SIP_PARSE_BAD_NAME_ADDR');
  // The same refusal as a tag that is no token unquoted.
  refused(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a', '<sip:a@x.example>;tag=f@1'), 'SIP_PARSE_BAD_NAME_ADDR');
  const ok = parseMessage(msg('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a', '"A" <sip:a@x.example> ; tag = f1;x="q"'));
  assert.ok(ok.ok);
  assert.equal(ok.value.from.tag, 'f1');
});

test('RFC 3261 §25.1 via-received / via-maddr / via-ttl and RFC 3581 response-port: quoted values, flags, bad numbers are refused', () => {
  for (const p of [
    'received="192.0.2.9"', 'rport="5060"', 'maddr="224.2.0.1"', 'ttl="16"',
    'received', 'maddr', 'ttl',
    'rport=abc', 'rport=65536', 'ttl=256', 'ttl=x1',
  ]) {
    const via = `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a;${p}`;
    assert.equal(parseVia(via).ok, false, via);
    refused(msg(via), 'SIP_PARSE_BAD_VIA');
  }
  for (const p of ['rport', 'rport=5062', 'received=192.0.2.9', 'received=2001:db8::1', 'maddr=224.2.0.1', 'ttl=0', 'ttl=255']) {
    const via = `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a;${p}`;
    assert.ok(parseVia(via).ok, via);
    assert.ok(parseMessage(msg(via)).ok, via);
  }
});

test('RFC 3261 §25.1 escaped = "%" HEXDIG HEXDIG: a Request-URI or From URI parameter with a bad escape is refused (400)', () => {
  const via = 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a';
  const withRuri = (ruri: string) => Buffer.from(msg(via).toString('latin1').replace('sip:bob@example.com', ruri), 'latin1');
  refused(withRuri('sip:bob@example.com;x=%zz'), 'SIP_PARSE_BAD_REQUEST_URI');
  refused(withRuri('sip:bob@example.com;x=1%'), 'SIP_PARSE_BAD_REQUEST_URI');
  refused(msg(via, '<sip:a@x.example;p=%4>;tag=f1'), 'SIP_PARSE_BAD_URI');
  assert.ok(parseMessage(withRuri('sip:bob@example.com;x=%7a')).ok);
});

test('RFC 3261 §7.3.1 folding: a Via with continuation lines is held to MAX_LINE_BYTES like an unfolded line (SIP_PARSE_LINE_TOO_LONG)', () => {
  const value = (n: number) => Array.from({ length: n }, (_, i) => `SIP/2.0/UDP h${i}.example;branch=z9hG4bK${i}`).join(',\r\n ');
  const withVia = (v: string) => msg(v);
  // ~51 KB over 7 continuation lines of under 8 KB each: refused before any Via is parsed.
  const line = ` ${'SIP/2.0/UDP h.example;branch=z9hG4bK1, '.repeat(190)}`;
  const big = `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a,\r\n${Array.from({ length: 7 }, () => line).join('\r\n')}SIP/2.0/UDP z`;
  assert.ok(big.length > 50_000);
  refused(withVia(big), 'SIP_PARSE_LINE_TOO_LONG');
  // Measured as for one line, from the colon: the same bytes folded or not pass or fail together.
  const at = (len: number) => `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a;x=${'a'.repeat(len)}`;
  const fit = at(limits.MAX_LINE_BYTES - 2 - at(0).length);
  assert.ok(parseMessage(withVia(fit)).ok);
  assert.ok(parseMessage(withVia(fit.replace(';x=', '\r\n ;x=').slice(0, -3))).ok);
  refused(withVia(`${fit}a`), 'SIP_PARSE_LINE_TOO_LONG');
  refused(withVia(`${fit.replace(';x=', '\r\n ;x=').slice(0, -3)}aaaa`), 'SIP_PARSE_LINE_TOO_LONG');
  // A usual folded Via list still parses.
  const r = parseMessage(withVia(value(20)));
  assert.ok(r.ok);
  assert.equal(r.value.topVia.host, 'h0.example');
});

test('RFC 3261 §20.42: the values on the first Via line count against MAX_VIA_COUNT (SIP_PARSE_TOO_MANY_VIAS), the 400 still reaches the top one', () => {
  const vias = (n: number) => Array.from({ length: n }, (_, i) => `SIP/2.0/UDP h${i};branch=z9hG4bK${i}`).join(',');
  assert.ok(parseMessage(msg(vias(limits.MAX_VIA_COUNT))).ok);
  const r = parseMessage(msg(vias(limits.MAX_VIA_COUNT + 1)));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.code, 'SIP_PARSE_TOO_MANY_VIAS');
    assert.equal(r.error.partial?.topVia?.branch, 'z9hG4bK0');
  }
});

test('RFC 3261 §25.1 pname = 1*paramchar, param-unreserved has "&": a URI parameter name with & parses (general and one-pass paths agree)', () => {
  for (const raw of ['sip:h;a&b', 'sip:bob@example.com;x&y=1', 'sip:h;&=v;lr', 'sips:a@h:5061;[a]/:&+$=1', 'sip:h;a%26b&c=d&e', 'tel:+1555;a&b=c']) {
    const u = parseUri(raw);
    assert.ok(u !== undefined, raw);
    assert.deepEqual(u, parseUriGeneral(raw), raw);
    assert.ok(validUri(raw, 0, raw.length), raw);
  }
  const u = parseUri('sip:bob@example.com;x&y=1;lr');
  assert.ok(u !== undefined && u.kind === 'sip');
  assert.deepEqual(u.params, [{ name: 'x&y', value: '1' }, { name: 'lr', value: undefined }]);
  // In a URI's headers `&` separates the headers (§25.1 headers = "?" header *( "&" header )).
  const h = parseUri('sip:h;a&b=c?x=1&y=2');
  assert.ok(h !== undefined && h.kind === 'sip');
  assert.deepEqual(h.params, [{ name: 'a&b', value: 'c' }]);
  assert.deepEqual(h.headers, [{ name: 'x', value: '1' }, { name: 'y', value: '2' }]);
  // `;` and `?` end a parameter; `=` is no paramchar.
  for (const raw of ['sip:h;a&b==1', 'sip:h;a&b;', 'sip:h;a=b=c', 'sip:h;a?b', 'sip:h;a&%2']) {
    assert.equal(parseUri(raw), undefined, raw);
    assert.equal(validUri(raw, 0, raw.length), false, raw);
  }
  // The one-pass check reads it to the end, in a Request-URI and inside a From's <>.
  const ruri = 'sip:bob@example.com;x&y=1';
  assert.equal(canonicalSipUriEnd(Buffer.from(ruri, 'latin1'), 0, ruri.length), ruri.length);
  const via = 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a';
  const withRuri = Buffer.from(msg(via, '<sip:a@x.example;p&q=1>;tag=f1').toString('latin1').replace('sip:bob@example.com', ruri), 'latin1');
  const r = parseMessage(withRuri);
  assert.ok(r.ok);
  assert.deepEqual((r.value.uri as SipUri).params, [{ name: 'x&y', value: '1' }]);
  assert.deepEqual((r.value.from.uri as SipUri).params, [{ name: 'p&q', value: '1' }]);
});

test('RFC 3261 §25.1 via-received = "received" EQUAL (IPv4address / IPv6address), via-maddr = "maddr" EQUAL host, via-ttl 1*3DIGIT: malformed values are refused (400, SIP_PARSE_BAD_VIA) on both paths', () => {
  for (const p of [
    'received=example.com', 'received=192.0.2', 'received=192.0.2.1.5', 'received=192.0.2.256', 'received=1234.0.0.1', 'received=192.0.2.1:5060',
    'received=2001:db8::1::2', 'received=2001:db8:::1', 'received=12345::1', 'received=1:2:3:4:5:6:7:8:9', 'received=1:2:3:4:5:6:7', 'received=:1', 'received=1:',
    'received=[2001:db8::1', 'received=2001:db8::1]', 'received=[192.0.2.1]', 'received=::ffff:1.2.3', 'received=[]', 'received=fe80::1%eth0',
    'maddr=a:b', 'maddr=[zz::1]', 'maddr=-h.example', 'maddr=h-.example', 'maddr=a..b', 'maddr=1.2.3', 'maddr=h.example:5060', 'maddr=h_1.example', 'maddr=[::1]:5060', 'maddr=%41',
    'ttl=0016', 'ttl=0000',
  ]) {
    const via = `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a;${p}`;
    assert.equal(parseVia(via).ok, false, via);
    refused(msg(via), 'SIP_PARSE_BAD_VIA');
    // Not the top Via: every value of the first Via line is checked (RFC 4475 badinv01).
    refused(msg(`SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a, SIP/2.0/UDP h.example;branch=z9hG4bK-b;${p}`), 'SIP_PARSE_BAD_VIA');
  }
  for (const p of [
    'received=192.0.2.9', 'received=010.000.0.255', 'received=2001:db8::1', 'received=::', 'received=::1', 'received=1:2:3:4:5:6:7:8', 'received=1::8', 'received=::ffff:192.0.2.1',
    'received=1:2:3:4:5:6:1.2.3.4', 'received=FE80::aBc',
    // RFC 5118 §4.5: an IPv6 reference in received is taken as well as the bare address.
    'received=[2001:db8::9:255]',
    'maddr=224.2.0.1', 'maddr=h.example', 'maddr=h.example.', 'maddr=x', 'maddr=a-1.b2.example', 'maddr=[2001:db8::1]', 'maddr=1.example.com',
    'ttl=1', 'ttl=016', 'ttl=255',
  ]) {
    const via = `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-a;${p}`;
    assert.ok(parseVia(via).ok, via);
    assert.ok(parseMessage(msg(via)).ok, via);
  }
  // Only the first occurrence is read (paramGet), so only it is held to the grammar, as rport and ttl are.
  assert.ok(parseVia('SIP/2.0/UDP h;branch=z9hG4bK-a;received=192.0.2.1;received=x').ok);
});
