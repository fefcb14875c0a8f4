// RFC 4475 §3.1.2 (invalid), §3.2 (transaction layer), §3.3 (application layer), §3.4 (RFC 2543)
// and test.dat: each rejected with a typed error, or parsed with what the higher layer needs exposed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorsDir, skipWithoutVectors } from '../../../test/support/vectors.ts';
import {
  parseMessage, parseNameAddr, parseMaxForwards, parseExpires, checkRequestSemantics, isRfc3261Branch, paramValue, hasParam,
  type SipMessage, type SipParseError, type ParseOptions,
} from './index.ts';

const skip = skipWithoutVectors('rfc4475');
if (skip !== false) console.log(`# NOTICE: ${skip}`);

function bytes(name: string): Buffer {
  const dir = vectorsDir('rfc4475');
  assert.ok(dir !== undefined);
  return readFileSync(join(dir, name));
}
function ok(name: string, opts?: ParseOptions): SipMessage {
  const r = parseMessage(bytes(name), opts);
  assert.ok(r.ok, `${name}: ${r.ok ? '' : `${r.error.code} ${r.error.message}`}`);
  return r.value;
}
function rejected(name: string, code: SipParseError['code']): SipParseError {
  const r = parseMessage(bytes(name));
  assert.ok(!r.ok, `${name} should be rejected`);
  assert.equal(r.error.code, code, `${name}: ${r.error.message}`);
  return r.error;
}
/** The error still lets a server answer 400: the top Via and the dialog identifiers were read. */
function answerable(e: SipParseError, callId: string): void {
  assert.ok(e.partial?.topVia !== undefined, 'top Via readable');
  assert.equal(e.partial?.callId, callId);
  assert.ok(e.partial?.cseq !== undefined);
}

test('3.1.2.1 badinv01: extraneous separators in Via', { skip }, () => {
  const e = rejected('badinv01.dat', 'SIP_PARSE_BAD_VIA');
  assert.equal(e.partial?.topVia, undefined);
  assert.equal(e.partial?.callId, 'badinv01.0ha0isndaksdjasdf3234nas');
});

test('3.1.2.2 clerr: Content-Length larger than the datagram -> 400', { skip }, () => {
  const e = rejected('clerr.dat', 'SIP_PARSE_CONTENT_LENGTH_EXCEEDS_DATAGRAM');
  answerable(e, 'clerr.0ha0isndaksdjweiafasdk3');
  assert.equal(e.partial?.topVia?.branch, 'z9hG4bK-39234-23523');
  assert.equal(e.partial?.kind, 'request');
});

test('3.1.2.3 ncl: negative Content-Length', { skip }, () => {
  answerable(rejected('ncl.dat', 'SIP_PARSE_BAD_CONTENT_LENGTH'), 'ncl.0ha0isndaksdj2193423r542w35');
});

test('3.1.2.4 scalar02: overlarge request scalars (400 because of CSeq)', { skip }, () => {
  const e = rejected('scalar02.dat', 'SIP_PARSE_BAD_CSEQ');
  assert.equal(e.partial?.topVia?.branch, 'z9hG4bK342sdfoi3');
  assert.equal(parseMaxForwards('300').ok, false);
  assert.equal(parseExpires('1'.padEnd(100, '0')).ok, false);
  assert.equal(parseExpires('4294967295').ok, true);
});

test('3.1.2.5 scalarlg: overlarge response scalars (response dropped)', { skip }, () => {
  const e = rejected('scalarlg.dat', 'SIP_PARSE_BAD_CSEQ');
  assert.equal(e.partial?.kind, 'response');
  assert.equal(e.partial?.status, 503);
});

test('3.1.2.6 quotbal: unterminated quoted display name', { skip }, () => {
  answerable(rejected('quotbal.dat', 'SIP_PARSE_BAD_NAME_ADDR'), 'quotbal.aksdj');
});

test('3.1.2.7 ltgtruri: <> around the Request-URI', { skip }, () => {
  answerable(rejected('ltgtruri.dat', 'SIP_PARSE_BAD_REQUEST_URI'), 'ltgtruri.1@192.0.2.5');
});

for (const [file, callId] of [['lwsruri.dat', 'lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423'], ['lwsstart.dat', 'lwsstart.dfknq234oi243099adsdfnawe3@example.com'], ['trws.dat', 'trws.oicu34958239neffasdhr2345r']] as const) {
  test(`3.1.2.8-10 ${file}: malformed Request-Line white space, headers still read for the 400`, { skip }, () => {
    answerable(rejected(file, 'SIP_PARSE_BAD_START_LINE'), callId);
  });
}

test('3.1.2.11 escruri: escaped headers in the Request-URI', { skip }, () => {
  answerable(rejected('escruri.dat', 'SIP_PARSE_BAD_REQUEST_URI'), 'escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5');
});

test('3.1.2.12 baddate: Date is not interpreted by this layer; a proxy forwards it untouched', { skip }, () => {
  const m = ok('baddate.dat');
  assert.equal(m.get('Date'), 'Fri, 01 Jan 2010 16:00:00 EST');
});

test('3.1.2.13 regbadct: Contact URI with ? must be in <>', { skip }, () => {
  const c = ok('regbadct.dat').contacts();
  assert.ok(!c.ok);
  assert.equal(c.error.code, 'SIP_PARSE_BAD_NAME_ADDR');
});

test('3.1.2.14 badaspec: spaces inside <>', { skip }, () => {
  answerable(rejected('badaspec.dat', 'SIP_PARSE_BAD_NAME_ADDR'), 'badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3');
});

test('3.1.2.15 baddn: unquoted display names with non-token characters', { skip }, () => {
  // The archive's file also lacks the final empty line, which alone makes it unparseable.
  rejected('baddn.dat', 'SIP_PARSE_UNTERMINATED_HEADERS');
  const fixed = parseMessage(Buffer.concat([bytes('baddn.dat'), Buffer.from('\r\n')]));
  assert.ok(!fixed.ok);
  assert.equal(fixed.error.code, 'SIP_PARSE_BAD_NAME_ADDR');
  assert.equal(parseNameAddr('Bell, Alexander <sip:a.g.bell@example.com>;tag=43').ok, false);
});

test('3.1.2.16 badvers: SIP/7.0 parses and is answered 505', { skip }, () => {
  const m = ok('badvers.dat');
  assert.equal(m.version, 'SIP/7.0');
  assert.equal(m.topVia.version, '7.0');
  assert.equal(checkRequestSemantics(m)?.status, 505);
});

test('3.1.2.17/18 mismatch01/02: CSeq method differs from the method -> 400', { skip }, () => {
  const m1 = ok('mismatch01.dat');
  assert.deepEqual([m1.method, m1.cseq.method], ['OPTIONS', 'INVITE']);
  assert.equal(checkRequestSemantics(m1)?.status, 400);
  const m2 = ok('mismatch02.dat');
  assert.deepEqual([m2.method, m2.cseq.method], ['NEWMETHOD', 'INVITE']);
  assert.equal(checkRequestSemantics(m2)?.status, 400);
  assert.equal(m2.body.length, 138);
});

test('3.1.2.19 bigcode: overlarge response code', { skip }, () => {
  rejected('bigcode.dat', 'SIP_PARSE_BAD_STATUS_CODE');
});

test('3.2.1 badbranch: magic cookie without identifier', { skip }, () => {
  const m = ok('badbranch.dat');
  assert.equal(m.topVia.branch, 'z9hG4bK');
  assert.equal(isRfc3261Branch(m.topVia.branch), false);
  assert.equal(isRfc3261Branch('z9hG4bKx'), true);
});

test('3.3.1 insuf: missing Call-ID/From/To -> 400 with what was readable', { skip }, () => {
  const e = rejected('insuf.dat', 'SIP_PARSE_MISSING_HEADER');
  assert.equal(e.partial?.topVia?.branch, 'z9hG4bKkdj.insuf');
  assert.deepEqual(e.partial?.cseq, { seq: 193942, method: 'INVITE' });
  assert.equal(e.partial?.callId, undefined);
});

test('3.3.2/3.3.3 unkscm, novelsc: unknown Request-URI schemes parse and get 416', { skip }, () => {
  const a = ok('unkscm.dat');
  assert.equal(a.uri.kind, 'other');
  assert.equal(a.uri.scheme, 'nobodyknowsthisscheme');
  assert.equal(checkRequestSemantics(a)?.status, 416);
  const b = ok('novelsc.dat');
  assert.equal(b.uri.scheme, 'soap.beep');
  assert.equal(checkRequestSemantics(b)?.status, 416);
});

test('3.3.4 unksm2: unknown schemes in To, From, Contact', { skip }, () => {
  const m = ok('unksm2.dat');
  assert.deepEqual([m.to.uri.scheme, m.from.uri.scheme], ['isbn', 'http']);
  const c = m.contacts();
  assert.ok(c.ok);
  assert.equal(c.value.values[0]!.uri.raw, 'name:John_Smith');
  assert.equal(checkRequestSemantics(m), undefined);
});

test('3.3.5 bext01: Require and Proxy-Require exposed as lists', { skip }, () => {
  const m = ok('bext01.dat');
  assert.deepEqual(m.getList('Require'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
  assert.deepEqual(m.getList('proxy-require'), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
});

test('3.3.6/3.3.7/3.3.15 invut, regaut01, sdp01: parse; the application decides', { skip }, () => {
  const m = ok('invut.dat');
  assert.equal(m.contentType, 'application/unknownformat');
  assert.equal(m.body.length, 40);
  assert.equal(ok('regaut01.dat').get('Authorization'), 'NoOneKnowsThisScheme opaque-data=here');
  assert.equal(ok('sdp01.dat').get('Accept'), 'text/nobodyKnowsThis');
});

test('3.3.8 multi01: several values in single-value headers', { skip }, () => {
  const e = rejected('multi01.dat', 'SIP_PARSE_DUPLICATE_HEADER');
  assert.equal(e.partial?.topVia?.branch, 'z9hG4bKkdjuw');
});

test('3.3.9 mcl01: two Content-Length values', { skip }, () => {
  answerable(rejected('mcl01.dat', 'SIP_PARSE_MULTIPLE_CONTENT_LENGTH'), 'mcl01.fhn2323orihawfdoa3o4r52o3irsdf');
});

test('3.3.10 bcast: the second Via is a broadcast address (visible to the transport layer)', { skip }, () => {
  const v = ok('bcast.dat').vias();
  assert.ok(v.ok);
  assert.equal(v.value[1]!.host, '255.255.255.255');
});

test('3.3.11 zeromf: Max-Forwards 0', { skip }, () => {
  assert.equal(ok('zeromf.dat').maxForwards, 0);
});

test('3.3.12-14 cparam01/02, regescrt: Contact parameters and escaped headers', { skip }, () => {
  const c1 = ok('cparam01.dat').contacts();
  assert.ok(c1.ok);
  const a = c1.value.values[0]!;
  assert.ok(hasParam(a.params, 'unknownparam')); // addr-spec: a header parameter
  assert.ok(a.uri.kind === 'sip' && a.uri.params.length === 0);
  const c2 = ok('cparam02.dat').contacts();
  assert.ok(c2.ok);
  const b = c2.value.values[0]!;
  assert.equal(b.params.length, 0);
  assert.ok(b.uri.kind === 'sip' && hasParam(b.uri.params, 'unknownparam')); // inside <>: a URI parameter
  const c3 = ok('regescrt.dat').contacts();
  assert.ok(c3.ok);
  const u = c3.value.values[0]!.uri;
  assert.ok(u.kind === 'sip' && paramValue(u.headers, 'Route') === '%3Csip:sip.example.com%3E');
});

test('3.4.1 inv2543: RFC 2543 INVITE (no branch, no Max-Forwards, no Content-Length)', { skip }, () => {
  const m = ok('inv2543.dat');
  assert.equal(m.topVia.branch, undefined);
  assert.equal(isRfc3261Branch(m.topVia.branch), false);
  assert.equal(m.maxForwards, undefined);
  assert.equal(m.contentLength, undefined);
  assert.equal(m.from.tag, undefined);
  assert.ok(m.body.toString('latin1').startsWith('v=0\r\n'));
  assert.equal(m.bodyEnd, bytes('inv2543.dat').length); // the body runs to the datagram's end
  const stream = parseMessage(bytes('inv2543.dat'), { framing: 'stream' });
  assert.ok(!stream.ok && stream.error.code === 'SIP_PARSE_MISSING_CONTENT_LENGTH');
});

test('test.dat: Request-Line without SIP-Version gets a typed error, not a parse', { skip }, () => {
  // RFC 3261 §7.1 requires the SIP-Version; the archive's extra file has none, no Via and a header
  // line without a colon. We refuse it (see the report: the brief expected it to parse).
  const e = rejected('test.dat', 'SIP_PARSE_BAD_START_LINE');
  assert.equal(e.partial?.callId, 'test.0ha0isndaksdj@192.0.2.1');
});
