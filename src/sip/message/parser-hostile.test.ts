// Hostile and malformed messages found by a review: each test states what RFC 3261 asks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, MessageEditor, buildResponseBytes, trailingBytes } from './index.ts';
import { buildNon2xxAck } from '../proxy/hop-requests.ts';
import { StreamFramer, type FramerEvent } from '../transport/stream-framer.ts';

function msg(over: Record<string, string> = {}, extra: string[] = [], startLine = 'INVITE sip:bob@example.com SIP/2.0'): Buffer {
  return Buffer.from([
    startLine,
    `Via: ${over.via ?? 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-a'}`,
    `From: ${over.from ?? '<sip:a@x.example>;tag=f1'}`,
    `To: ${over.to ?? '<sip:b@y.example>'}`,
    `Call-ID: ${over.callId ?? 'c1@x'}`,
    `CSeq: ${over.cseq ?? '7 INVITE'}`,
    'Max-Forwards: 70',
    ...extra,
    'Content-Length: 0', '', '',
  ].join('\r\n'), 'latin1');
}

// ---- F1 (high): top Via "…,\"…\" unterminated quoted-pair: parse succeeds, topVia getter throws ----
test('F1 top Via line whose quoted string runs into a trailing backslash is refused (or readable)', () => {
  // RFC 3261 §25.1 quoted-string / quoted-pair: `"a,\` never closes: the Via is malformed -> 400.
  const r = parseMessage(msg({ via: 'SIP/2.0/UDP h;x="a,\\' }));
  if (r.ok) assert.doesNotThrow(() => r.value.topVia, 'parseMessage returned a message whose topVia getter throws');
});
test('F1b response with such a Via: accepted, topVia throws', () => {
  const r = parseMessage(msg({ via: 'SIP/2.0/UDP h;branch=z9hG4bK1;x="a,\\' }, [], 'SIP/2.0 200 OK'));
  if (r.ok) assert.doesNotThrow(() => r.value.topVia);
});
test('F1c vias()/routes() silently drop an element with an unterminated quoted-pair', () => {
  const r = parseMessage(msg({}, ['Route: <sip:r1.example;lr>, "x,\\', 'Via: SIP/2.0/UDP b;branch=z9hG4bK-b, SIP/2.0/UDP c;x="\\']));
  assert.ok(r.ok);
  const routes = r.value.routes();
  const vias = r.value.vias();
  // Either an error, or every element: never a shorter list that looks complete.
  assert.ok(!routes.ok || routes.value.length === 2, `routes() ok with ${routes.ok ? routes.value.length : '-'} values`);
  assert.ok(!vias.ok || vias.value.length === 3, `vias() ok with ${vias.ok ? vias.value.length : '-'} values`);
});

// ---- F2 (medium): bare CR accepted inside header values (treated as LWS) ----
for (const [name, over] of [
  ['From', { from: '<sip:a@x.example>\r;tag=f1' }],
  ['To display name', { to: 'Bob\rSmith <sip:b@y.example>' }],
  ['Via', { via: 'SIP/2.0/UDP\r192.0.2.1;branch=z9hG4bK-a' }],
  ['CSeq', { cseq: '7\rINVITE' }],
] as const) {
  test(`F2 bare CR inside ${name} is refused (RFC 3261 §25.1: LWS = [*WSP CRLF] 1*WSP; CR only in CRLF)`, () => {
    const r = parseMessage(msg(over));
    assert.equal(r.ok, false, `accepted; ${name} value ${JSON.stringify(r.ok ? r.value.headers().find(([n]) => n.startsWith(name.slice(0, 2)))?.[1] : '')}`);
  });
}
test('F2b consequence: the ACK for a non-2xx whose To holds a bare CR throws inside the receive path', () => {
  const req = parseMessage(msg());
  assert.ok(req.ok);
  const res = parseMessage(Buffer.from([
    'SIP/2.0 486 Busy Here', 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-a', 'From: <sip:a@x.example>;tag=f1',
    'To: <sip:b@y.example>\r;tag=t9', 'Call-ID: c1@x', 'CSeq: 7 INVITE', 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'));
  if (!res.ok) return; // refused at parse: fine
  assert.doesNotThrow(() => buildNon2xxAck(req.value, res.value));
});

// ---- F3 (medium): To `;tag` without value -> response keeps a valueless tag first, its tag unreadable ----
test('F3 response to a request whose To carries `;tag` (no value) has a readable To tag', () => {
  // RFC 3261 §25.1 tag-param = "tag" EQUAL token; §8.2.6.2 the UAS MUST add a To tag to a response (other than 100).
  const r = parseMessage(msg({ to: '<sip:b@y.example>;tag' }));
  if (!r.ok) return; // refusing it (400) would be fine too
  const res = parseMessage(buildResponseBytes(r.value, 486, 'Busy Here'), { framing: 'stream' });
  assert.ok(res.ok);
  assert.notEqual(res.value.to.tag, undefined, `To: ${res.value.get('To')}`);
});

// ---- F4 (medium): toTag option is not checked for CR/LF (header injection) ----
test('F4 buildResponseBytes refuses a toTag with CR/LF like it refuses reason and header values', () => {
  const r = parseMessage(msg());
  assert.ok(r.ok);
  assert.throws(() => buildResponseBytes(r.value, 200, 'OK', { toTag: 'abc\r\nX-Injected: yes' }));
});

// ---- F5 (low/medium): empty header value -> value range starts past the CR; edits and copies write a bare CR ----
test('F5 replaceHeader on a header with an empty value writes no bare CR', () => {
  const r = parseMessage(msg({}, ['Subject:', 'Content-Type:   ']));
  assert.ok(r.ok);
  const out = new MessageEditor(r.value).replaceHeader('Subject', 'hi').setBody('v=0\r\n', 'application/sdp').toBuffer().toString('latin1');
  assert.doesNotMatch(out, /\r(?!\n)/, JSON.stringify(out));
});
test('F5b buildResponseBytes copies an empty Via line without a bare CR', () => {
  const r = parseMessage(msg({}, ['v: ']));
  assert.ok(r.ok);
  const out = buildResponseBytes(r.value, 200, 'OK').toString('latin1');
  assert.doesNotMatch(out, /\r(?!\n)/, JSON.stringify(out));
});

// ---- F6: the stream framer cuts at CRLF CRLF and reads lines by CRLF; the parser must not read a stream message otherwise ----
test('F6 on a stream, a message the framer and the parser would frame differently is refused (SIP_PARSE_STREAM_FRAMING)', () => {
  const hdr = ['OPTIONS sip:b@y SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'From: <sip:a@x>;tag=1', 'To: <sip:b@y>', 'Call-ID: c@x', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70'].join('\r\n');
  const first = hdr + '\r\nContent-Length: 5\r\n\nHELLO\r\n\r\n'; // parser alone: headers end at "\r\n\n"; framer: at the next CRLFCRLF
  const second = hdr.replace('c@x', 'second@x') + '\r\nContent-Length: 0\r\n\r\n';
  const ev: FramerEvent[] = [];
  new StreamFramer().push(Buffer.from(first + second, 'latin1'), ev);
  const parsed = ev.flatMap((e) => (e.kind === 'message' ? [parseMessage(e.data, { framing: 'stream' })] : []));
  assert.ok(parsed.length >= 1 && !parsed[0]!.ok && parsed[0]!.error.code === 'SIP_PARSE_STREAM_FRAMING');
  for (const p of parsed) if (p.ok) assert.equal(trailingBytes(p.value), 0, 'framed bytes the parser silently ignored');
  // An LF-only line could hide a Content-Length from the framer, which reads lines by CRLF.
  const hidden = parseMessage(Buffer.from(hdr + '\r\nX: a\nContent-Length: 5\r\n\r\nHELLO', 'latin1'), { framing: 'stream' });
  assert.ok(!hidden.ok && hidden.error.code === 'SIP_PARSE_STREAM_FRAMING');
  // A well-formed stream message still parses.
  assert.ok(parseMessage(Buffer.from(second, 'latin1'), { framing: 'stream' }).ok);
});

test('Content-Length is 1*DIGIT (RFC 3261 §20.14): leading zeros are valid and do not count towards the 5-digit limit, for the parser and the stream framer alike', () => {
  const m = (cl: string, body: string) => Buffer.from(['OPTIONS sip:b@y SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'From: <sip:a@x>;tag=1', 'To: <sip:b@y>', 'Call-ID: c@x', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', `Content-Length: ${cl}`, '', body].join('\r\n'), 'latin1');
  for (const [cl, body] of [['0000005', 'HELLO'], ['00000000', ''], ['5', 'HELLO']] as const) {
    const r = parseMessage(m(cl, body), { framing: 'stream' });
    assert.ok(r.ok, cl);
    assert.equal(r.value.body.length, body.length, cl);
    const ev: FramerEvent[] = [];
    new StreamFramer().push(m(cl, body), ev);
    assert.equal(ev[0]?.kind, 'message', cl);
  }
  assert.ok(!parseMessage(m('123456', ''), { framing: 'stream' }).ok, 'six significant digits are still too many');
});
