import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri, uriEquals, formatUri, parseVia, parseNameAddr, paramValue, type Uri } from './index.ts';
import { schemeOf, validUri } from './uri.ts';

function u(s: string): Uri {
  const r = parseUri(s);
  assert.ok(r !== undefined, s);
  return r;
}

test('sip URI components, IPv6 reference, port, params, headers', () => {
  const x = u('sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?subject=project%20x&priority=urgent');
  assert.ok(x.kind === 'sip');
  assert.equal(x.scheme, 'sips');
  assert.equal(x.user, 'alice');
  assert.equal(x.password, 'secret');
  assert.equal(x.host, '[2001:db8::10]');
  assert.equal(x.port, 5061);
  assert.equal(paramValue(x.params, 'transport'), 'tcp');
  assert.equal(x.params[1]?.value, undefined);
  assert.deepEqual(x.headers.map((h) => [h.name, h.value]), [['subject', 'project%20x'], ['priority', 'urgent']]);
  assert.equal(formatUri(x), x.raw);
});

test('tel and other schemes', () => {
  const t = u('tel:+1-201-555-0123;phone-context=example.com');
  assert.ok(t.kind === 'tel' && t.number === '+1-201-555-0123');
  assert.ok(uriEquals(t, u('tel:+12015550123;phone-context=example.com')));
  const o = u('urn:service:sos');
  assert.equal(o.kind, 'other');
  assert.equal(o.scheme, 'urn');
});

test('malformed URIs are refused', () => {
  for (const bad of ['', 'sip:', 'sip:user@', 'sip:[::1', 'sip:host:99999', 'sip:host;', 'sip:us er@host', 'sip:a%zz@host', '<sip:a@b>', 'sip:host?', '1sip:a@b', 'http://a b']) {
    assert.equal(parseUri(bad), undefined, bad);
  }
});

test('RFC 3261 §19.1.4 equivalent URIs', () => {
  const eq: Array<[string, string]> = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
  ];
  for (const [a, b] of eq) assert.ok(uriEquals(u(a), u(b)), `${a} == ${b}`);
});

test('RFC 3261 §19.1.4 non-equivalent URIs', () => {
  const ne: Array<[string, string]> = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp;ttl=1'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;maddr=192.0.2.1'],
    ['sip:bob@biloxi.com', 'sips:bob@biloxi.com'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
  ];
  for (const [a, b] of ne) assert.ok(!uriEquals(u(a), u(b)), `${a} != ${b}`);
});

test('Via: IPv6 sent-by, rport with and without value, received, maddr, ttl', () => {
  const a = parseVia('SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKabc;rport;received=2001:db8::1;maddr=224.2.0.1;ttl=16');
  assert.ok(a.ok);
  assert.equal(a.value.host, '[2001:db8::9]');
  assert.equal(a.value.port, 5070);
  assert.equal(a.value.rport, true);
  assert.equal(a.value.received, '2001:db8::1');
  assert.equal(a.value.maddr, '224.2.0.1');
  assert.equal(a.value.ttl, 16);
  const b = parseVia('SIP/2.0/TCP h.example.com;rport=5062;branch=z9hG4bK1');
  assert.ok(b.ok && b.value.rport === 5062 && b.value.transport === 'TCP');
  for (const bad of ['SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP host;', 'SIP/2.0/UDP host;=x', 'SIP/2.0/UDPhost', 'SIP/2.0/UDP host garbage']) {
    assert.equal(parseVia(bad).ok, false, bad);
  }
});

test('name-addr forms', () => {
  const a = parseNameAddr('"A \\"quoted\\" name" <sip:a@example.com;lr>;tag=x;expires=60');
  assert.ok(a.ok);
  assert.equal(a.value.displayName, 'A "quoted" name');
  assert.equal(a.value.tag, 'x');
  assert.equal(paramValue(a.value.params, 'expires'), '60');
  const b = parseNameAddr('sip:b@example.com;tag=y');
  assert.ok(b.ok && b.value.tag === 'y' && b.value.uri.raw === 'sip:b@example.com' && !b.value.angle);
  const c = parseNameAddr('Two Tokens <tel:+123>');
  assert.ok(c.ok && c.value.displayName === 'Two Tokens');
  for (const bad of ['', '<sip:a@b', '"unclosed <sip:a@b>', '<sip:a@b>;tag=', '<sip:a@b> junk', 'sip:a@b?x=y']) assert.equal(parseNameAddr(bad).ok, false, bad);
});

test('escapes compare as octets: invalid UTF-8 escapes stay distinct', () => {
  assert.ok(!uriEquals(u('sip:%FF@h.example.com'), u('sip:%FE@h.example.com')));
  assert.ok(uriEquals(u('sip:%C3%A9@h.example.com'), u('sip:%c3%a9@h.example.com')));
  assert.ok(uriEquals(u('sip:a%40b@h.example.com'), u('sip:a%40b@H.example.com')));
});

test('validUri (no allocation, for From/To and the Request-URI) accepts exactly what parseUri accepts, inside a longer string; schemeOf gives its scheme', () => {
  const parts = ['sip', 'SIP', 'sips', 'tel', 'Tel', 'urn', 'x', ':', '@', ';', '=', '?', '&', '%', '%2', '%41', 'a', '1', '+', '-', '.', '[', ']', '::1', ' ', '"', '<', ',', 'lr', 'é', ':5060', '99999', 'host', 'u%zz', '/', '*', '#', '('];
  // mulberry32: a small seeded generator whose low bits are usable (an LCG's are not).
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  let accepted = 0;
  for (let it = 0; it < 30_000; it++) {
    let s = ['sip:', 'sips:', 'tel:', 'SIP:', 'x:', ''][rnd(6)] ?? '';
    for (let k = rnd(10); k > 0; k--) s += parts[rnd(parts.length)] ?? '';
    const pre = ['', '<', 'ab '][rnd(3)] ?? '';
    const whole = pre + s + (['', '>', ';x=1&y', '>;a=b'][rnd(4)] ?? '');
    const uri = parseUri(s);
    const parsed = uri !== undefined;
    assert.equal(validUri(whole, pre.length, pre.length + s.length), parsed, JSON.stringify(s));
    if (uri !== undefined) {
      accepted++;
      assert.equal(schemeOf(s), uri.scheme, `schemeOf ${JSON.stringify(s)}`);
    }
  }
  assert.ok(accepted > 1000, 'the generator must produce valid URIs too');
});

test('a name-addr URI is validated at parse time and built on first read', () => {
  assert.equal(parseNameAddr('<sip:a@[::1>;tag=x').ok, false);
  const r = parseNameAddr('"A" <sip:alice@example.com:5070;transport=tcp>;tag=t1');
  assert.ok(r.ok);
  assert.equal(r.value.tag, 't1');
  const x = r.value.uri;
  assert.ok(x.kind === 'sip' && x.host === 'example.com' && x.port === 5070 && x.raw === 'sip:alice@example.com:5070;transport=tcp');
  assert.equal(r.value.uri, x, 'parsed once, then cached');
});

test('a parsed name-addr serialises with its uri (JSON.stringify, loggers), not its internal offsets', () => {
  const r = parseNameAddr('"A" <sip:a@x.example;transport=udp>;tag=1');
  assert.ok(r.ok);
  const j = JSON.parse(JSON.stringify(r.value)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j).sort(), ['angle', 'displayName', 'params', 'tag', 'uri']);
  assert.equal((j.uri as { host: string }).host, 'x.example');
  assert.equal(j.tag, '1');
});

test('name-addr parameters are checked at parse time and built on first read', () => {
  for (const bad of ['<sip:a@b>;;x', '<sip:a@b>;tag=', '<sip:a@b>;x="unclosed', '<sip:a@b>;=1', '<sip:a@b> junk']) assert.equal(parseNameAddr(bad).ok, false, bad);
  const r = parseNameAddr('<sip:a@b> ; tag = 7f ;x="a;b" ;lr');
  assert.ok(r.ok);
  assert.equal(r.value.tag, '7f');
  assert.deepEqual(r.value.params.map((p) => [p.name, p.value]), [['tag', '7f'], ['x', '"a;b"'], ['lr', undefined]]);
  assert.equal(r.value.params, r.value.params, 'built once, then cached');
  const plain = parseNameAddr('sip:bob@example.com');
  assert.ok(plain.ok);
  assert.equal(plain.value.tag, undefined);
  assert.equal(plain.value.params.length, 0);
  // The tag found by the check is the first `tag` parameter's value, as paramValue reads it.
  for (const v of ['<sip:a@b>;TAG=x', '<sip:a@b>;tag;tag=y', '<sip:a@b>;x=1;tag="q;r"', '<sip:a@b>;tags=1;tag=2', '<sip:a@b>;tag=1;tag=2', 'sip:a@b;ta=1']) {
    const na = parseNameAddr(v);
    assert.ok(na.ok, v);
    assert.equal(na.value.tag, paramValue(na.value.params, 'tag'), v);
  }
});

test('RFC 3261 §25.1 escaped = "%" HEXDIG HEXDIG: a bad escape anywhere in a URI makes it invalid (user, password, parameters, headers; tel too)', () => {
  const bad = [
    'sip:a%zz@host', 'sip:a%4@host', 'sip:a%@host', // user
    'sip:a:p%g1@host', 'sip:a:p%@host', // password
    'sip:a@host;foo=%zz', 'sip:a@host;foo=a%4', 'sip:a@host;foo=%', 'sip:a@host;f%x1=1', 'sip:a@host;%=1', 'sip:host;lr;maddr=%2', // uri-parameter
    'sip:a@host?h=%zz', 'sip:a@host?h%=1', 'sip:a@host?h=v%', // header
    'tel:+1-201-555-0123;ext=%q1', 'tel:+12015550123;x%=1',
  ];
  for (const s of bad) {
    assert.equal(parseUri(s), undefined, s);
    assert.equal(validUri(s, 0, s.length), false, s);
  }
  for (const s of ['sip:a%41@host;foo=%41b;%62ar=1?h%41=%20v', 'sip:a:p%41@host', 'tel:+12015550123;ext=%31']) {
    assert.ok(parseUri(s) !== undefined, s);
    assert.equal(validUri(s, 0, s.length), true, s);
  }
});

test('RFC 3261 §19.1.4: escaped reserved characters are not equal to the characters themselves; other escapes are', () => {
  // The RFC's own example: an escaped unreserved character equals the character.
  assert.ok(uriEquals(u('sip:%61lice@atlanta.com;transport=TCP'), u('sip:alice@AtLanTa.CoM;Transport=tcp')));
  const ne: Array<[string, string]> = [
    ['sip:a%3Bb@h.example.com', 'sip:a;b@h.example.com'], // ";" in the user part
    ['sip:a%2Fb@h.example.com', 'sip:a/b@h.example.com'],
    ['sip:a%3Fb@h.example.com', 'sip:a?b@h.example.com'],
    ['sip:a%2Cb@h.example.com', 'sip:a,b@h.example.com'],
    ['sip:u:p%3Dq@h.example.com', 'sip:u:p=q@h.example.com'], // password
    ['sip:h.example.com;x=a%3Ab', 'sip:h.example.com;x=a:b'], // uri-parameter value
    ['sip:h.example.com?s=a%3Fb', 'sip:h.example.com?s=a?b'], // header value
    ['sip:a%253Bb@h.example.com', 'sip:a%3Bb@h.example.com'], // an escaped "%" is not an escape
  ];
  for (const [a, b] of ne) assert.ok(!uriEquals(u(a), u(b)), `${a} != ${b}`);
  const eq: Array<[string, string]> = [
    ['sip:a%3bb@h.example.com', 'sip:a%3Bb@h.example.com'], // the same octet, hex in either case
    ['sip:%7Euser@h.example.com', 'sip:~user@h.example.com'],
    ['sip:h.example.com;x=%41', 'sip:h.example.com;x=a'], // parameter values compare case-insensitively
    ['sip:a%25b@h.example.com', 'sip:a%25b@h.example.com'],
  ];
  for (const [a, b] of eq) assert.ok(uriEquals(u(a), u(b)), `${a} == ${b}`);
});
