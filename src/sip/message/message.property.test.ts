// Property tests: generated valid messages round-trip; mutated and truncated input only ever yields
// a message or a typed error (DESIGN §7), and reading every accessor of a parsed message never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { vectorsDir } from '../../../test/support/vectors.ts';
import { parseMessage, serialize, MessageEditor, buildResponse, checkRequestSemantics, type SipMessage } from './index.ts';

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const alnum = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), minLength: 1, maxLength: 10 });
const host = fc.oneof(
  fc.tuple(alnum, alnum).map(([a, b]) => `${a}.${b}.example.com`),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `192.0.${a}.${b}`),
  fc.nat(0xffff).map((n) => `[2001:db8::${n.toString(16)}]`),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const sipUri = fc.record({ user: fc.option(alnum, { nil: undefined }), host, port, lr: fc.boolean() }).map(
  (u) => `sip:${u.user !== undefined ? `${u.user}@` : ''}${u.host}${u.port !== undefined ? `:${u.port}` : ''}${u.lr ? ';lr' : ''}`,
);
const via = fc.record({ t: fc.constantFrom('UDP', 'TCP', 'TLS', 'SCTP', 'WS'), host, port, branch: alnum, rport: fc.boolean() }).map(
  (v) => ({ ...v, text: `SIP/2.0/${v.t} ${v.host}${v.port !== undefined ? `:${v.port}` : ''};branch=z9hG4bK${v.branch}${v.rport ? ';rport' : ''}` }),
);
const nameCase = (name: string) => fc.constantFrom(name, name.toLowerCase(), name.toUpperCase());

const message = fc.record({
  method: fc.oneof(fc.constantFrom('INVITE', 'REGISTER', 'OPTIONS', 'BYE'), token),
  uri: sipUri,
  vias: fc.array(via, { minLength: 1, maxLength: 4 }),
  viaPerLine: fc.integer({ min: 1, max: 3 }),
  compact: fc.boolean(),
  fromUri: sipUri,
  fromTag: alnum,
  toUri: sipUri,
  display: fc.option(fc.string({ unit: fc.constantFrom(...'abc XYZ"\\'.split('')), maxLength: 10 }), { nil: undefined }),
  callId: fc.tuple(alnum, fc.option(host, { nil: undefined })).map(([a, h]) => (h === undefined || h.startsWith('[') ? a : `${a}@${h}`)),
  seq: fc.nat(0xffffffff),
  mf: fc.option(fc.nat(255), { nil: undefined }),
  routes: fc.array(sipUri, { maxLength: 3 }),
  extra: fc.array(fc.tuple(token.map((t) => `X-${t}`), fc.string({ unit: fc.constantFrom(...'abc ,;=xyz0'.split('')), maxLength: 15 })), { maxLength: 4 }),
  fold: fc.boolean(),
  body: fc.uint8Array({ maxLength: 64 }),
  viaName: nameCase('Via'),
});

type Gen = typeof message extends fc.Arbitrary<infer T> ? T : never;

function render(g: Gen): Buffer {
  const lines: string[] = [`${g.method} ${g.uri} SIP/2.0`];
  for (let i = 0; i < g.vias.length; i += g.viaPerLine) {
    lines.push(`${g.compact ? 'v' : g.viaName}: ${g.vias.slice(i, i + g.viaPerLine).map((v) => v.text).join(g.fold ? ' ,\r\n  ' : ', ')}`);
  }
  const dn = g.display === undefined ? '' : `"${g.display.replace(/(["\\])/g, '\\$1')}" `;
  lines.push(`${g.compact ? 'f' : 'From'}: ${dn}<${g.fromUri}>;tag=${g.fromTag}`);
  lines.push(`${g.compact ? 't' : 'To'}: <${g.toUri}>`);
  lines.push(`${g.compact ? 'i' : 'Call-ID'}: ${g.callId}`);
  lines.push(`CSeq: ${g.seq}${g.fold ? '\r\n ' : ' '}${g.method}`);
  if (g.mf !== undefined) lines.push(`Max-Forwards: ${g.mf}`);
  if (g.routes.length > 0) lines.push(`Route: ${g.routes.map((r) => `<${r}>`).join(', ')}`);
  for (const [n, v] of g.extra) lines.push(`${n}: ${v}`);
  lines.push(`${g.compact ? 'l' : 'Content-Length'}: ${g.body.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), Buffer.from(g.body)]);
}

function must(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code} ${r.error.message}\n${buf.toString('latin1')}`);
  return r.value;
}

test('generated valid messages parse with their fields and serialize back unchanged', () => {
  fc.assert(
    fc.property(message, (g) => {
      const buf = render(g);
      const m = must(buf);
      assert.equal(m.method, g.method);
      assert.equal(m.uri.raw, g.uri);
      const vias = m.vias();
      assert.ok(vias.ok);
      assert.deepEqual(vias.value.map((v) => v.branch), g.vias.map((v) => `z9hG4bK${v.branch}`));
      assert.equal(m.topVia.rport, g.vias[0]!.rport ? true : undefined);
      assert.equal(m.from.tag, g.fromTag);
      assert.equal(m.from.displayName, g.display);
      assert.equal(m.to.uri.raw, g.toUri);
      assert.equal(m.callId, g.callId);
      assert.deepEqual(m.cseq, { seq: g.seq, method: g.method });
      assert.equal(m.maxForwards, g.mf);
      const routes = m.routes();
      assert.ok(routes.ok);
      assert.deepEqual(routes.value.map((r) => r.uri.raw), g.routes);
      for (const [n, v] of g.extra) assert.ok(m.getAll(n).includes(v.trim()));
      assert.ok(m.body.equals(Buffer.from(g.body)));
      assert.ok(serialize(m).equals(buf));
      assert.ok(new MessageEditor(m).toBuffer().equals(buf));
      // parse(serialize(edit(m))) keeps what was not edited.
      const ed = new MessageEditor(m);
      ed.addViaTop('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKadded');
      if (g.routes.length > 0) ed.popTopRoute();
      if ((g.mf ?? 1) > 0) ed.decrementMaxForwards();
      const e = must(ed.toBuffer());
      assert.equal(e.topVia.branch, 'z9hG4bKadded');
      assert.equal(e.callId, g.callId);
      const er = e.routes();
      assert.ok(er.ok && er.value.length === Math.max(0, g.routes.length - 1));
      assert.ok(e.body.equals(Buffer.from(g.body)));
      const resp = buildResponse(m, 200, 'OK', { toTag: 'tt' });
      assert.equal(resp.to.tag, 'tt');
      assert.equal(resp.callId, g.callId);
    }),
    { numRuns: 400 },
  );
});

/** Reads everything a higher layer could read; none of it may throw on a parsed message. */
function touchAll(m: SipMessage): void {
  m.vias(); m.routes(); m.recordRoutes(); m.contacts(); m.expires(); m.headers();
  m.getList('Accept'); m.get('X'); void m.body; void m.contentType;
  if (m.kind === 'request') checkRequestSemantics(m);
}

function checkNeverThrows(buf: Buffer): void {
  const r = parseMessage(buf);
  if (r.ok) touchAll(r.value);
  else assert.match(r.error.code, /^SIP_PARSE_[A-Z_]+$/);
}

function seeds(): Buffer[] {
  const out: Buffer[] = [];
  const dir = vectorsDir('rfc4475');
  if (dir !== undefined) for (const f of readdirSync(dir).filter((n) => n.endsWith('.dat')).sort()) out.push(readFileSync(join(dir, f)));
  fc.sample(message, { numRuns: 20, seed: 42 }).forEach((g) => out.push(render(g)));
  return out;
}

test('every truncated prefix of every seed message gives a message or a typed error', () => {
  for (const s of seeds()) for (let n = 0; n <= s.length; n++) checkNeverThrows(s.subarray(0, n));
});

test('random byte mutations give a message or a typed error, never a throw', () => {
  const all = seeds();
  fc.assert(
    fc.property(
      fc.nat(all.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 8 }),
      (k, muts) => {
        let b = Buffer.from(all[k]!);
        for (const [pos, byte, op] of muts) {
          const p = b.length === 0 ? 0 : pos % b.length;
          if (op === 'set' && b.length > 0) b[p] = byte;
          else if (op === 'insert') b = Buffer.concat([b.subarray(0, p), Buffer.from([byte]), b.subarray(p)]);
          else b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1)]);
        }
        checkNeverThrows(b);
      },
    ),
    { numRuns: 3000 },
  );
});

test('structural mutations (CR/LF/colon/comma/quote/angle bytes) never throw', () => {
  const all = seeds();
  fc.assert(
    fc.property(fc.nat(all.length - 1), fc.array(fc.tuple(fc.nat(), fc.constantFrom(13, 10, 58, 44, 34, 60, 62, 59, 32, 9, 0, 0xff)), { minLength: 1, maxLength: 6 }), (k, muts) => {
      const b = Buffer.from(all[k]!);
      for (const [pos, byte] of muts) b[pos % b.length] = byte;
      checkNeverThrows(b);
    }),
    { numRuns: 3000 },
  );
});
