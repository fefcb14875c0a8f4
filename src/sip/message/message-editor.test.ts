import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, MessageEditor, buildResponse, buildRequest, formatVia, serialize, type SipMessage } from './index.ts';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP p0.example.com;branch=z9hG4bK0',
  'v: SIP/2.0/TCP p1.example.com;branch=z9hG4bK1',
  'Max-Forwards: 70',
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'Route: <sip:p3.example.com;lr>',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'X-Untouched:   weird   spacing  ',
  'Content-Type: application/sdp',
  'Content-Length: 5',
  '',
  'v=0\r\n',
].join('\r\n');

function parse(s: string | Buffer): SipMessage {
  const r = parseMessage(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code} ${r.error.message}`);
  return r.value;
}
function routeHosts(m: SipMessage): string[] {
  const r = m.routes();
  assert.ok(r.ok);
  return r.value.map((n) => (n.uri.kind === 'sip' ? n.uri.host : '?'));
}

test('an unedited message serializes to the received bytes without copying', () => {
  const buf = Buffer.from(INVITE, 'latin1');
  const m = parse(buf);
  const out = serialize(m);
  assert.equal(out.buffer, buf.buffer);
  assert.ok(out.equals(buf));
  assert.ok(new MessageEditor(m).toBuffer().equals(buf));
});

test('proxy edits: Via on top, Record-Route, pop Route inside a multi-value line, Max-Forwards', () => {
  const m = parse(INVITE);
  const ed = new MessageEditor(m);
  ed.addViaTop(formatVia({ transport: 'UDP', host: '192.0.2.9', port: 5060, branch: 'z9hG4bKproxy1', rport: true }));
  ed.prependRecordRoute('<sip:192.0.2.9;lr>');
  assert.equal(ed.popTopRoute(), true);
  assert.equal(ed.decrementMaxForwards(), 69);
  const out = ed.toBuffer().toString('latin1');
  const f = parse(out);
  const vias = f.vias();
  assert.ok(vias.ok);
  assert.deepEqual(vias.value.map((v) => v.host), ['192.0.2.9', 'pc33.atlanta.example.com', 'p0.example.com', 'p1.example.com']);
  assert.equal(f.topVia.rport, true);
  assert.deepEqual(routeHosts(f), ['p2.example.com', 'p3.example.com']);
  assert.equal(f.get('Record-Route'), '<sip:192.0.2.9;lr>');
  assert.equal(f.maxForwards, 69);
  // Untouched headers are copied byte for byte, odd spacing included.
  assert.ok(out.includes('\r\nX-Untouched:   weird   spacing  \r\n'));
  assert.ok(out.includes('\r\nv: SIP/2.0/TCP p1.example.com;branch=z9hG4bK1\r\n'));
  assert.ok(f.body.equals(Buffer.from('v=0\r\n')));
});

test('popping Route values across lines, then none left', () => {
  const ed = new MessageEditor(parse(INVITE));
  assert.equal(ed.popTopRoute(), true);
  assert.equal(ed.popTopRoute(), true);
  assert.deepEqual(routeHosts(parse(ed.toBuffer())), ['p3.example.com']);
  assert.equal(ed.popTopRoute(), true);
  assert.equal(ed.popTopRoute(), false);
  const f = parse(ed.toBuffer());
  assert.equal(f.has('Route'), false);
});

test('removeTopVia drops one value of a multi-value line (response path)', () => {
  const ed = new MessageEditor(parse(INVITE));
  ed.removeTopVia();
  const v = parse(ed.toBuffer()).vias();
  assert.ok(v.ok);
  assert.deepEqual(v.value.map((x) => x.host), ['p0.example.com', 'p1.example.com']);
  ed.removeTopVia();
  ed.removeTopVia();
  const r = parseMessage(ed.toBuffer());
  assert.ok(!r.ok && r.error.code === 'SIP_PARSE_MISSING_HEADER');
});

test('Request-URI, body, add/remove/replace headers', () => {
  const ed = new MessageEditor(parse(INVITE));
  ed.setRequestUri('sip:bob@192.0.2.4:5070;transport=tcp');
  ed.setBody('v=0\r\no=- 1 1 IN IP4 192.0.2.4\r\n', 'application/sdp');
  ed.addHeader('x-added', 'one', 'top');
  ed.addHeader('Subject', 'two');
  assert.equal(ed.removeHeader('x-untouched'), 1);
  ed.replaceHeader('call-id', 'new-call-id@example.com');
  const f = parse(ed.toBuffer());
  assert.equal(f.uri.kind === 'sip' && f.uri.port, 5070);
  assert.equal(f.body.toString(), 'v=0\r\no=- 1 1 IN IP4 192.0.2.4\r\n');
  assert.equal(f.contentLength, f.body.length);
  assert.equal(f.get('X-Added'), 'one');
  assert.equal(f.headerName(0), 'x-added');
  assert.equal(f.get('s'), 'two');
  assert.equal(f.has('X-Untouched'), false);
  assert.equal(f.callId, 'new-call-id@example.com');
  assert.equal(f.getAll('Content-Type').length, 1);
});

test('removeLine drops one header line by index and leaves the other lines of its name (RFC 3261 §20.28: one credentials value a line)', () => {
  const m = parse(INVITE.replace('X-Untouched:', 'Proxy-Authorization: Digest realm="a.example"\r\nproxy-authorization: Digest realm="b.example"\r\nX-Untouched:'));
  const first = m.indexOf('Proxy-Authorization');
  const second = m.indexOf('Proxy-Authorization', first + 1);
  const ed = new MessageEditor(m);
  assert.equal(ed.removeLine(second), true);
  assert.equal(ed.removeLine(second), false, 'already removed');
  const f = parse(ed.toBuffer());
  assert.deepEqual(f.getAll('Proxy-Authorization'), ['Digest realm="a.example"']);
  assert.equal(f.get('X-Untouched'), 'weird   spacing');
  assert.throws(() => new MessageEditor(m).removeLine(m.headerCount));
});

test('Max-Forwards added as 70 when absent (RFC 3261 §16.6 step 3); Content-Length added when absent', () => {
  const noMf = INVITE.replace('Max-Forwards: 70\r\n', '').replace('Content-Length: 5\r\n', '');
  const ed = new MessageEditor(parse(noMf));
  assert.equal(ed.decrementMaxForwards(), 70);
  const f = parse(ed.toBuffer());
  assert.equal(f.maxForwards, 70);
  assert.equal(f.contentLength, 5);
});

test('buildResponse copies Via/From/To/Call-ID/CSeq and adds a To tag above 100 (RFC 3261 §8.2.6)', () => {
  const req = parse(INVITE);
  const trying = buildResponse(req, 100, 'Trying');
  assert.equal(trying.to.tag, undefined);
  const r = buildResponse(req, 486, 'Busy Here', { toTag: 'abc', headers: [['Retry-After', '60']] });
  assert.equal(r.status, 486);
  assert.equal(r.reason, 'Busy Here');
  assert.equal(r.to.tag, 'abc');
  assert.equal(r.from.tag, '1928301774');
  assert.equal(r.callId, req.callId);
  assert.deepEqual(r.cseq, req.cseq);
  const v = r.vias();
  assert.ok(v.ok);
  assert.equal(v.value.length, 3);
  assert.equal(r.get('Retry-After'), '60');
  assert.equal(r.contentLength, 0);
  assert.equal(r.has('Route'), false);
  // A derived tag is stable for a retransmission (stateless answers).
  assert.equal(buildResponse(req, 404, 'Not Found').to.tag, buildResponse(parse(INVITE), 404, 'Not Found').to.tag);
});

test('derived To tags: one per RFC 3261 branch (a CANCEL gets its INVITE\'s, §9.2); RFC 2543 requests by Call-ID, From tag and CSeq', () => {
  const tag = (text: string) => buildResponse(parse(text), 487, 'Request Terminated').to.tag;
  const base = tag(INVITE);
  assert.match(base ?? '', /^[0-9a-f]{16}$/);
  assert.equal(tag(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 CANCEL').replace('INVITE sip:', 'CANCEL sip:')), base, 'CANCEL: same branch, same tag');
  assert.notEqual(tag(INVITE.replace('z9hG4bKnashds8', 'z9hG4bKnashds9')), base, 'another transaction, another tag');
  // Without the magic cookie the branch does not identify the transaction (RFC 2543).
  const old = INVITE.replace('branch=z9hG4bKnashds8', 'branch=1');
  assert.equal(tag(old), tag(old), 'stable for a retransmission');
  assert.notEqual(tag(old.replace('a84b4c76e66710', 'a84b4c76e66711')), tag(old), 'another Call-ID');
  assert.notEqual(tag(old.replace('tag=1928301774', 'tag=1928301775')), tag(old), 'another From tag');
  assert.notEqual(tag(old.replace('314159 INVITE', '314160 INVITE')), tag(old), 'another CSeq');
});

test('buildResponse writes extra headers with canonical names and UTF-8 values, and refuses Content-Length or a line break', () => {
  const req = parse(INVITE);
  const r = buildResponse(req, 200, 'OK', { headers: [['contact', '<sip:bob@192.0.2.4>;expires=60'], ['m', '<sip:b2@192.0.2.5>'], ['X-Note', 'café ☕'], ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT']] });
  const text = r.bytes.toString('utf8');
  assert.match(text, /\r\nContact: <sip:bob@192\.0\.2\.4>;expires=60\r\nContact: <sip:b2@192\.0\.2\.5>\r\nX-Note: café ☕\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT\r\nContent-Length: 0\r\n\r\n$/);
  assert.equal(r.get('X-Note'), 'café ☕');
  for (const name of ['Content-Length', 'content-length', 'l']) assert.throws(() => buildResponse(req, 200, 'OK', { headers: [[name, '0']] }), /Content-Length is computed/);
  assert.throws(() => buildResponse(req, 200, 'OK', { headers: [['X-Evil', 'a\r\nVia: SIP/2.0/UDP evil']] }), /CR or LF/);
  assert.throws(() => buildResponse(req, 200, 'OK', { headers: [['X-Evil\n', 'a']] }), /CR or LF/);
});

test('buildRequest builds a parseable request and refuses bad input', () => {
  const r = buildRequest({
    method: 'CANCEL',
    uri: 'sip:bob@biloxi.example.com',
    headers: [
      ['Via', 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8'],
      ['Max-Forwards', '70'], ['To', 'Bob <sip:bob@biloxi.example.com>'],
      ['From', 'Alice <sip:alice@atlanta.example.com>;tag=1928301774'], ['Call-ID', 'a84b4c76e66710'], ['CSeq', '314159 CANCEL'],
    ],
  });
  assert.equal(r.method, 'CANCEL');
  assert.equal(r.contentLength, 0);
  assert.throws(() => buildRequest({ method: 'BAD METHOD', uri: 'sip:x@y', headers: [] }));
  assert.throws(() => buildRequest({ method: 'OPTIONS', uri: 'sip:x@y', headers: [['Via', 'x\r\nInjected: 1']] }));
});

test('edits refuse CR/LF that would smuggle in header lines', () => {
  const ed = new MessageEditor(parse(INVITE));
  assert.throws(() => ed.addHeader('X-A', 'v\r\nInjected: 1'));
  assert.throws(() => ed.addViaTop('SIP/2.0/UDP h;branch=z9hG4bK1\r\nX: y'));
  assert.throws(() => ed.replaceHeader('Subject', 'a\nb'));
  assert.throws(() => ed.setRequestUri('sip:a@b SIP/2.0\r\nX: y'));
});
