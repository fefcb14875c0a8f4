import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, limits, type SipParseError } from './index.ts';
import { parseNameAddr } from './name-addr.ts';
import { parseVia } from './via.ts';
import { parseUri } from './uri.ts';

const BASE = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
  'From: <sip:alice@example.com>;tag=1',
  'To: <sip:bob@example.com>',
  'Call-ID: c1',
  'CSeq: 1 OPTIONS',
];
const msg = (extra: string[] = [], body = '', lines = BASE) => Buffer.from([...lines, ...extra, '', body].join('\r\n'), 'latin1');

function code(buf: Buffer, opts?: Parameters<typeof parseMessage>[1]): SipParseError['code'] | 'ok' {
  const r = parseMessage(buf, opts);
  return r.ok ? 'ok' : r.error.code;
}

test('leading CRLFs are skipped (RFC 3261 §7.5); bare LF line ends are tolerated', () => {
  const r = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), msg()]));
  assert.ok(r.ok && r.value.start === 4 && r.value.method === 'OPTIONS');
  const lf = parseMessage(Buffer.from([...BASE, '', ''].join('\n')));
  assert.ok(lf.ok && lf.value.callId === 'c1');
  assert.equal(code(Buffer.from('\r\n\r\n')), 'SIP_PARSE_EMPTY');
});

test('Content-Length framing: datagram vs stream', () => {
  const noCl = parseMessage(msg([], 'hello'));
  assert.ok(noCl.ok && noCl.value.body.toString() === 'hello');
  assert.equal(code(msg([], 'hello'), { framing: 'stream' }), 'SIP_PARSE_MISSING_CONTENT_LENGTH');
  const cl = parseMessage(msg(['Content-Length: 3'], 'hello'));
  assert.ok(cl.ok && cl.value.body.toString() === 'hel');
  assert.equal(code(msg(['l: 6'], 'hello')), 'SIP_PARSE_CONTENT_LENGTH_EXCEEDS_DATAGRAM');
  assert.equal(code(msg(['Content-Length: 123456'], '')), 'SIP_PARSE_BAD_CONTENT_LENGTH');
  assert.equal(code(msg(['Content-Length: 1', 'l: 1'], 'x')), 'SIP_PARSE_MULTIPLE_CONTENT_LENGTH');
});

test('limits: message size, header count, line length, Via count', () => {
  assert.equal(code(Buffer.alloc(limits.MAX_MESSAGE_BYTES + 1, 0x41)), 'SIP_PARSE_TOO_LARGE');
  const many = Array.from({ length: limits.MAX_HEADERS }, (_, i) => `X-${i}: v`);
  assert.equal(code(msg(many)), 'SIP_PARSE_TOO_MANY_HEADERS');
  assert.equal(code(msg([`X-Long: ${'a'.repeat(limits.MAX_LINE_BYTES + 1)}`])), 'SIP_PARSE_LINE_TOO_LONG');
  // The scan measures a header line from its colon to the LF: `: ` + value + CR of MAX_LINE_BYTES + 1
  // bytes passes, one more does not.
  assert.ok(parseMessage(msg([`X-Long: ${'a'.repeat(limits.MAX_LINE_BYTES - 2)}`])).ok);
  assert.equal(code(msg([`X-Long: ${'a'.repeat(limits.MAX_LINE_BYTES - 1)}`])), 'SIP_PARSE_LINE_TOO_LONG');
  const vias = Array.from({ length: limits.MAX_VIA_COUNT }, (_, i) => `Via: SIP/2.0/UDP h${i}.example.com;branch=z9hG4bK${i}`);
  const r = parseMessage(msg(vias));
  assert.ok(r.ok);
  const v = r.value.vias();
  assert.ok(!v.ok && v.error.code === 'SIP_PARSE_TOO_MANY_VIAS');
});

test('header lines without a colon, bad names, truncated headers', () => {
  assert.equal(code(msg(['NoColonHere'])), 'SIP_PARSE_BAD_HEADER');
  assert.equal(code(msg(['Bad Name: x'])), 'SIP_PARSE_BAD_HEADER');
  assert.equal(code(msg([' continuation-first: x'], '', ['OPTIONS sip:b@example.com SIP/2.0'])), 'SIP_PARSE_BAD_HEADER');
  assert.equal(code(Buffer.from(BASE.join('\r\n'))), 'SIP_PARSE_UNTERMINATED_HEADERS');
});

test('status lines', () => {
  const resp = (line: string) => Buffer.from([line, ...BASE.slice(1), '', ''].join('\r\n'));
  const r = parseMessage(resp('SIP/2.0 180 Ringing'));
  assert.ok(r.ok && r.value.status === 180 && r.value.reason === 'Ringing' && r.value.kind === 'response');
  assert.equal(code(resp('SIP/2.0 18 Ringing')), 'SIP_PARSE_BAD_STATUS_CODE');
  assert.equal(code(resp('SIP/2.0 700 Nope')), 'SIP_PARSE_BAD_STATUS_CODE');
  assert.equal(code(resp('SIP/2.0  200 OK')), 'SIP_PARSE_BAD_STATUS_CODE');
});

test('Contact: * and generic getters', () => {
  const r = parseMessage(msg(['Contact: *', 'Expires: 0', 'Accept: a/b, "x,y" ; q=1, <c,d>']));
  assert.ok(r.ok);
  const c = r.value.contacts();
  assert.ok(c.ok && c.value.star && c.value.values.length === 0);
  const e = r.value.expires();
  assert.ok(e.ok && e.value === 0);
  assert.deepEqual(r.value.getList('accept'), ['a/b', '"x,y" ; q=1', '<c,d>']);
  const bad = parseMessage(msg(['Contact: *', 'm: <sip:a@b>']));
  assert.ok(bad.ok);
  assert.equal(bad.value.contacts().ok, false);
  assert.deepEqual(r.value.headers()[0], ['Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa']);
});

test('Contact: * is recognised around LWS and folding; a value starting with * that is not * alone is refused', () => {
  for (const line of ['Contact:   *  ', 'Contact:\r\n *', 'm:*']) {
    const r = parseMessage(msg([line, 'Expires: 0']));
    assert.ok(r.ok, line);
    const c = r.value.contacts();
    assert.ok(c.ok && c.value.star, JSON.stringify(line));
  }
  for (const line of ['Contact: *;expires=0', 'Contact: *, <sip:a@b>']) {
    const r = parseMessage(msg([line]));
    assert.ok(r.ok, line);
    assert.equal(r.value.contacts().ok, false, line);
  }
});

test('a second Max-Forwards, a bad Max-Forwards and a missing Via are errors with partial info', () => {
  assert.equal(code(msg(['Max-Forwards: 70', 'Max-Forwards: 69'])), 'SIP_PARSE_DUPLICATE_HEADER');
  assert.equal(code(msg(['Max-Forwards: 256'])), 'SIP_PARSE_BAD_MAX_FORWARDS');
  const r = parseMessage(msg([], '', BASE.filter((l) => !l.startsWith('Via'))));
  assert.ok(!r.ok && r.error.code === 'SIP_PARSE_MISSING_HEADER' && r.error.partial?.callId === 'c1' && r.error.message === 'Missing Via');
});

test('the essential headers read the same from the ASCII header block (ranges of one string) as decoded one by one (a non-ASCII byte anywhere)', () => {
  const heads = [
    BASE,
    ['INVITE sips:%61lice@[2001:db8::1]:5061;transport=tcp;lr SIP/2.0', 'v: SIP / 2.0 / tcp [2001:db8::9]:5070 ; branch = z9hG4bK-x ;rport;received=192.0.2.9, SIP/2.0/UDP h.example', 'f: "A \\"q\\" <x>" <sip:a@x.example;user=phone>;TAG=t-1;x="a;b"', 't:sip:b@y.example;tag=2', 'i: abc@host', 'CSeq: 7 INVITE', 'Max-Forwards: 9'],
    ['REGISTER sip:registrar.example SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5060', ' ;branch=z9hG4bKfold', 'From: Bob  Smith <tel:+1-555-0100>;tag=9', 'To: Bob <tel:+1-555-0100>', 'Call-ID: 1234', 'CSeq: 2', ' REGISTER',
      'User-Agent: Phone/1.0 (a long enough user agent)', 's: folded', '\tsubject', 'Expires:  600 ', 'X-Other: a,b'],
  ];
  for (const head of heads) {
    const ascii = parseMessage(msg([], 'body', head));
    const mixed = parseMessage(msg([], 'b\u00e9dy', head));
    assert.ok(ascii.ok && mixed.ok, head[0]);
    const a = ascii.value;
    const m = mixed.value;
    assert.equal(a.headString() !== '', true, 'ASCII datagram: one header-block string');
    assert.equal(m.headString(), '', 'non-ASCII datagram: decoded per header');
    const view = (x: typeof a) => JSON.stringify({
      uri: x.uri, uriText: x.uriText, via: x.topVia, from: x.from, fromTag: x.from.tag, fromParams: x.from.params,
      to: x.to, toTag: x.to.tag, callId: x.callId, cseq: x.cseq, mf: x.maxForwards,
      // Every other value too (headerValue: slices of the block, or decoded; folded lines unfolded).
      values: x.headers(), ua: x.get('user-agent'), subject: x.get('s'), expires: x.expires(),
    });
    assert.equal(view(a), view(m), head[0]);
  }
});

test('the Request-URI scheme, read in passing for a plain sip:/sips: URI and from the text otherwise', () => {
  const scheme = (uri: string) => {
    const r = parseMessage(msg([], '', [`OPTIONS ${uri} SIP/2.0`, ...BASE.slice(1)]));
    assert.ok(r.ok, uri);
    return r.value.uriScheme;
  };
  assert.equal(scheme('sip:bob@example.com'), 'sip');
  assert.equal(scheme('sips:bob@example.com:5061;transport=tcp'), 'sips');
  assert.equal(scheme('SIPS:bob@example.com'), 'sips');
  assert.equal(scheme('sip:%62ob@example.com'), 'sip');
  assert.equal(scheme('tel:+1-555-0100'), 'tel');
  assert.equal(scheme('urn:service:sos'), 'urn');
});

test('Contact lists: usual and unusual elements in one line and across lines, in order, the same as parsed one by one', () => {
  const values = ['<sip:a@192.0.2.1:5060>;expires=60', '"B, the second" <sip:b@h.example;transport=tcp>;q=0.5', 'sip:c@h.example', 'Dee <sip:%64@h>;+sip.instance="<urn:uuid:1>"'];
  const r = parseMessage(msg([`Contact: ${values[0]} , ${values[1]},${values[2]}`, `m: ${values[3]}`]));
  assert.ok(r.ok);
  const c = r.value.contacts();
  assert.ok(c.ok && !c.value.star);
  const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
  assert.deepEqual(c.value.values.map(json), values.map((v) => { const p = parseNameAddr(v); assert.ok(p.ok, v); return json(p.value); }));
  assert.deepEqual(c.value.values.map((na) => na.uri.raw), ['sip:a@192.0.2.1:5060', 'sip:b@h.example;transport=tcp', 'sip:c@h.example', 'sip:%64@h']);
});

test('RFC 3261 §25.1: a CR or LF inside a quoted string (qdtext, quoted-pair) is refused, not carried into what we build', () => {
  const to = (v: string) => BASE.map((l) => (l.startsWith('To:') ? `To: ${v}` : l));
  for (const bad of ['"B\rob" <sip:bob@example.com>', '"B\\\rob" <sip:bob@example.com>', '"Bob\r" <sip:bob@example.com>']) {
    assert.equal(code(msg([], '', to(bad))), 'SIP_PARSE_BAD_NAME_ADDR', JSON.stringify(bad));
  }
  assert.equal(code(msg(['Route: "x\ry" <sip:192.0.2.21;lr>'])), 'ok', 'parsed lazily');
  const r = parseMessage(msg(['Route: "x\ry" <sip:192.0.2.21;lr>']));
  assert.ok(r.ok && !r.value.routes().ok, 'a Route with one is refused when read');
  // Folding is unfolded first: a folded display name is still fine.
  assert.equal(code(msg([], '', to('"Bob\r\n Smith" <sip:bob@example.com>'))), 'ok');
});

test('RFC 3261 §20.42/§25.1: white space around the sent-by colon is allowed (COLON = SWS ":" SWS), not in a URI', () => {
  for (const [text, host, port] of [
    ['SIP/2.0/UDP host : 5070;branch=z9hG4bK1', 'host', 5070],
    ['SIP/2.0/UDP host: 5070 ;branch=z9hG4bK1', 'host', 5070],
    ['SIP/2.0/UDP [::1] :5070;branch=z9hG4bK1', '[::1]', 5070],
    ['SIP/2.0/UDP host ;branch=z9hG4bK1', 'host', undefined],
  ] as const) {
    const r = parseVia(text);
    assert.ok(r.ok, text);
    assert.deepEqual([r.value.host, r.value.port, r.value.branch], [host, port, 'z9hG4bK1'], text);
  }
  assert.equal(parseUri('sip:bob@host :5070'), undefined);
});
