// RFC 4475 §3.1.1: valid messages that must parse with the meaning the RFC gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorsDir, skipWithoutVectors } from '../../../test/support/vectors.ts';
import { parseMessage, trailingBytes, parseUri, uriEquals, pctDecode, paramValue, hasParam, unquote, type SipMessage, type Uri } from './index.ts';

const skip = skipWithoutVectors('rfc4475');
if (skip !== false) console.log(`# NOTICE: ${skip}`);

function load(name: string): SipMessage {
  const dir = vectorsDir('rfc4475');
  assert.ok(dir !== undefined);
  const r = parseMessage(readFileSync(join(dir, name)));
  assert.ok(r.ok, `${name}: ${r.ok ? '' : `${r.error.code} ${r.error.message}`}`);
  return r.value;
}

function sip(u: Uri) {
  assert.equal(u.kind, 'sip');
  return u as Extract<Uri, { kind: 'sip' }>;
}

test('3.1.1.1 wsinv: short tortuous INVITE (LWS, folding, compact forms, case)', { skip }, () => {
  const m = load('wsinv.dat');
  assert.equal(m.method, 'INVITE');
  assert.ok(hasParam(sip(m.uri).params, 'unknownparam'));
  assert.equal(m.to.tag, '1918181833n');
  assert.equal(m.to.uri.raw, 'sip:vivekg@chair-dnrc.example.com');
  assert.equal(m.from.displayName, 'J Rosenberg \\"');
  assert.equal(m.from.tag, '98asjd8');
  assert.equal(m.maxForwards, 68);
  assert.equal(m.callId, 'wsinv.ndaksdj@192.0.2.1');
  assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
  const vias = m.vias();
  assert.ok(vias.ok);
  assert.deepEqual(vias.value.map((v) => [v.transport, v.host, v.branch]), [
    ['UDP', '192.0.2.2', '390skdjuw'],
    ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
    ['UDP', '192.168.255.111', 'z9hG4bK30239'],
  ]);
  assert.equal(m.get('Subject'), '');
  assert.equal(m.get('s'), '');
  assert.equal(m.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.equal(m.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  assert.equal(m.contentType, 'application/sdp');
  const routes = m.routes();
  assert.ok(routes.ok);
  const r0 = sip(routes.value[0]!.uri);
  assert.equal(r0.host, 'services.example.com');
  assert.ok(hasParam(r0.params, 'lr'));
  assert.equal(paramValue(r0.params, 'unknownwith'), 'value');
  assert.ok(hasParam(r0.params, 'unknown-no-value'));
  const c = m.contacts();
  assert.ok(c.ok);
  const c0 = c.value.values[0]!;
  assert.equal(c0.displayName, 'Quoted string ""');
  assert.equal(paramValue(c0.params, 'newparam'), 'newvalue');
  assert.ok(hasParam(c0.params, 'secondparam'));
  assert.equal(paramValue(c0.params, 'q'), '0.33');
  assert.equal(m.contentLength, 150);
  assert.equal(m.body.length, 150);
  assert.ok(m.body.toString().startsWith('v=0'));
});

test('3.1.1.2 intmeth: wide range of valid characters', { skip }, () => {
  const m = load('intmeth.dat');
  const method = "!interesting-Method0123456789_*+`.%indeed'~";
  assert.equal(m.method, method);
  assert.equal(m.cseq.method, method);
  assert.equal(m.cseq.seq, 139122385);
  const u = sip(m.uri);
  assert.equal(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(u.host, 'example.com');
  assert.equal(m.topVia.branch, "z9hG4bK-.!%66*_+`'~");
  assert.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  assert.equal(sip(m.to.uri).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
  assert.equal(unquote(paramValue(m.from.params, "fromParam''~+*_!.-%") ?? ''), 'работающий');
  assert.equal(m.from.tag, "_token~1'+`*%!-.");
  assert.equal(m.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  assert.equal(m.maxForwards, 255);
  assert.equal(m.get("extensionHeader-!.%*+_`'~"), '\uFEFF大停電');
});

test('3.1.1.3 esc01: escaped characters in URIs', { skip }, () => {
  const m = load('esc01.dat');
  const u = sip(m.uri);
  assert.equal(u.user, 'sips%3Auser%40example.com');
  assert.equal(pctDecode(u.user ?? ''), 'sips:user@example.com');
  assert.equal(u.host, 'example.net');
  assert.ok(uriEquals(m.to.uri, parseUri('sip:user@example.com')!));
  assert.equal(pctDecode(sip(m.from.uri).user ?? ''), 'I have spaces');
  assert.equal(m.callId, 'esc01.239409asdfakjkn23onasd0-3234');
  assert.equal(m.contentType, 'application/sdp');
  const c = m.contacts();
  assert.ok(c.ok);
  const cu = sip(c.value.values[0]!.uri);
  assert.equal(pctDecode(cu.user ?? ''), 'caller');
  // ;%6C%72 is "lr"; n%61me=v%61lue%25%34%31 is name=value%41 (decoded once, not twice).
  assert.ok(uriEquals(cu, parseUri('sip:caller@host5.example.net;lr;name=value%2541')!));
  assert.ok(!uriEquals(cu, parseUri('sip:caller@host5.example.net;lr;name=valueA')!));
});

test('3.1.1.4 escnull: %00 in user parts', { skip }, () => {
  const m = load('escnull.dat');
  assert.equal(pctDecode(sip(m.to.uri).user ?? ''), 'null-\x00-null');
  assert.ok(uriEquals(m.to.uri, m.from.uri));
  const c = m.contacts();
  assert.ok(c.ok);
  assert.equal(c.value.values.length, 2);
  assert.equal(pctDecode(sip(c.value.values[0]!.uri).user ?? ''), '\x00');
  assert.equal(pctDecode(sip(c.value.values[1]!.uri).user ?? ''), '\x00\x00');
  assert.ok(!uriEquals(c.value.values[0]!.uri, c.value.values[1]!.uri));
  assert.equal(m.contentLength, 0);
});

test('3.1.1.5 esc02: % in method, display names, branch, header name', { skip }, () => {
  const m = load('esc02.dat');
  assert.equal(m.method, 'RE%47IST%45R'); // an unknown method, not REGISTER
  assert.equal(m.cseq.method, 'RE%47IST%45R');
  assert.equal(m.to.displayName, '%Z%45');
  assert.equal(m.from.displayName, '%Z%45');
  assert.equal(m.topVia.branch, 'z9hG4bK209%fzsnel234');
  const c = m.contacts();
  assert.ok(c.ok);
  assert.deepEqual(c.value.values.map((v) => sip(v.uri).host), ['host1.example.com', 'host3.example.com']);
  assert.equal(m.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
});

test('3.1.1.6 lwsdisp: no LWS between display name and <', { skip }, () => {
  const m = load('lwsdisp.dat');
  assert.equal(m.from.displayName, 'caller');
  assert.equal(m.from.tag, '323');
  assert.equal(m.from.uri.raw, 'sip:caller@example.com');
});

test('3.1.1.7 longreq: long values', { skip }, () => {
  const m = load('longreq.dat');
  assert.ok(m.to.displayName?.startsWith('I have a user name of extremeextreme'));
  assert.equal(m.to.tag, undefined);
  const toParams = sip(m.to.uri).params;
  assert.equal(toParams.length, 3);
  assert.equal(toParams[1]!.value, 'shortvalue');
  assert.equal(toParams[2]!.value, undefined);
  assert.ok(sip(m.from.uri).user!.startsWith('amazinglylongcallername'));
  assert.equal(m.from.tag?.length, 155);
  assert.equal(m.from.params.length, 3);
  assert.ok(m.callId.startsWith('longreq.onereallyreally') && m.callId.endsWith('longcallid'));
  assert.equal(m.get('Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-Name')?.startsWith('unknown-longlong'), true);
  const vias = m.vias();
  assert.ok(vias.ok);
  assert.equal(vias.value.length, 34);
  assert.equal(vias.value[0]!.host, 'sip33.example.com');
  const last = vias.value[33]!;
  assert.equal(last.received, '192.0.2.5');
  assert.ok(last.branch?.startsWith('verylonglong'));
  assert.equal(m.maxForwards, 70);
  assert.equal(m.body.length, 150);
});

test('3.1.1.8 dblreq: only the first request of the datagram', { skip }, () => {
  const m = load('dblreq.dat');
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.callId, 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
  assert.equal(m.body.length, 0);
  assert.ok(trailingBytes(m) > 300);
  assert.ok(m.bytes.toString('latin1').endsWith('Content-Length: 0\r\n\r\n'));
});

test('3.1.1.9 semiuri: semicolon-separated parameters in the URI user part', { skip }, () => {
  const m = load('semiuri.dat');
  const u = sip(m.uri);
  assert.equal(u.user, 'user;par=u%40example.net');
  assert.equal(u.host, 'example.com');
  assert.equal(u.params.length, 0);
  assert.deepEqual(m.getList('Accept'), ['application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag']);
});

test('3.1.1.10 transports: Via transport tokens', { skip }, () => {
  const vias = load('transports.dat').vias();
  assert.ok(vias.ok);
  assert.deepEqual(vias.value.map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
});

test('3.1.1.11 mpart01: multipart body with binary part', { skip }, () => {
  const m = load('mpart01.dat');
  assert.equal(m.method, 'MESSAGE');
  assert.equal(m.contentType, 'multipart/mixed;boundary=7a9cbec02ceef655');
  assert.equal(m.body.length, 553);
  assert.equal(m.body.subarray(0, 20).toString('latin1'), '--7a9cbec02ceef655\r\n');
  assert.ok(m.body.toString('latin1').endsWith('--7a9cbec02ceef655--\r\n'));
  assert.equal(m.topVia.rport, true);
});

test('3.1.1.12 unreason: UTF-8 reason phrase', { skip }, () => {
  const m = load('unreason.dat');
  assert.equal(m.kind, 'response');
  assert.equal(m.status, 200);
  assert.ok(m.reason.startsWith('= 2**3 * 5**2 но сто девяносто девять'));
  assert.equal(m.body.length, 154);
});

test('3.1.1.13 noreason: empty reason phrase', { skip }, () => {
  const m = load('noreason.dat');
  assert.equal(m.status, 100);
  assert.equal(m.reason, '');
  assert.equal(m.to.tag, '902jndnke3');
});
