/**
 * The one-pass checks of the usual Via, Request-URI, From/To/Contact and Call-ID forms
 * (canonicalVia, canonicalSipUriEnd, canonicalSip, canonicalNameAddr, validCallIdAt) against the general parsers
 * they stand in front of: on canonical values they must take them, on mutated ones they may
 * decline, and whatever they take the general parser must take with the same result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalSip, canonicalSipUriEnd, parseUri, parseUriGeneral, validUri } from './uri.ts';
import { canonicalNameAddr, parseNameAddr, type NameAddr } from './name-addr.ts';
import { MAX_PARAMS } from './limits.ts';
import { canonicalVia, parseVia, type Via } from './via.ts';
import { parseCallId, validCallIdAt } from './scalar-headers.ts';
import { oracleHost, oracleReceived } from '../../../test/support/host-oracle.ts';

const user = fc.constantFrom('', 'alice', 'sipp', 'user1', "a.b-c_d!e~f*g'h(i)j&k=l+m$n,o/p", '+15551234');
const host = fc.constantFrom('127.0.0.1', 'example.com', 'h-1.example', 'x', '10.0.0.1:5060', 'host:65535', 'a:0');
const uriParam = fc.tuple(fc.constantFrom('transport', 'lr', 'user', 'x[1]', 'a/b', 'm:n', "p+$-_.!~*'()", 'a&b', '&'), fc.constantFrom(undefined, 'udp', 'phone', '1', 'a&b', '[::1]', 'v:w/x'))
  .map(([n, v]) => (v === undefined ? `;${n}` : `;${n}=${v}`));
const canonicalUri = fc.tuple(fc.constantFrom('sip', 'sips'), user, host, fc.array(uriParam, { maxLength: 4 }))
  .map(([s, u, h, ps]) => `${s}:${u === '' ? '' : `${u}@`}${h}${ps.join('')}`);

/** A piece inserted at, or replacing a stretch from, a random position (three times at most). */
function mutate(base: string, muts: ReadonlyArray<readonly [number, number, string]>): string {
  let v = base;
  for (const [at, cut, p] of muts) {
    const k = at % (v.length + 1);
    v = v.slice(0, k) + p + v.slice(k + cut);
  }
  return v;
}
/** Any single byte too, so that a check the general parsers gain later meets inputs it refuses. */
const anyByte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const piece = fc.oneof(
  fc.constantFrom('', ' ', '\t', ':', ';', '=', ',', '"', '\\', '<', '>', '[', ']', '@', '%41', '%4', '?', '&', 'SIP', 'tel', 'é', '0', '65536', '123456', 'tag', ';tag', ';tag=', 'x=y'),
  anyByte,
);
const mutations = fc.array(fc.tuple(fc.nat(80), fc.nat(3), piece), { minLength: 1, maxLength: 3 });

const at = (text: string, start = 0, end = text.length) => canonicalSipUriEnd(Buffer.from(text, 'latin1'), start, end);

test('canonicalSipUriEnd: reads the usual URI to its end, and validUri takes it', () => {
  fc.assert(fc.property(canonicalUri, (u) => {
    assert.equal(at(u), u.length, u);
    assert.ok(validUri(u, 0, u.length), u);
    assert.ok(parseUri(u) !== undefined, u);
  }), { numRuns: 3000 });
});

test('canonicalSipUriEnd: wherever it stops on a mutated URI, validUri takes what it read', () => {
  fc.assert(fc.property(canonicalUri, mutations, (u, muts) => {
    const v = mutate(u, muts);
    const stop = at(v);
    if (stop < 0) return;
    assert.ok(validUri(v, 0, stop), `${v} read to ${stop}`);
    assert.ok(parseUri(v.slice(0, stop)) !== undefined, `${v} read to ${stop}`);
  }), { numRuns: 30000 });
});

/** canonicalSip on a whole URI string, as parseUri calls it. */
function oneP(u: string) {
  if (u.startsWith('sips:')) return canonicalSip(u, 'sips', 5);
  return u.startsWith('sip:') ? canonicalSip(u, 'sip', 4) : undefined;
}

test('canonicalSip: takes the usual URI, and builds what the general parser builds', () => {
  fc.assert(fc.property(canonicalUri, (u) => {
    const fast = oneP(u);
    assert.ok(fast !== undefined, u);
    assert.deepEqual(fast, parseUriGeneral(u), u);
    assert.deepEqual(parseUri(u), fast, u);
  }), { numRuns: 3000 });
});

test('canonicalSip: on a mutated URI it declines, or builds exactly what the general parser builds', () => {
  fc.assert(fc.property(canonicalUri, mutations, (u, muts) => {
    const v = mutate(u, muts);
    const fast = oneP(v);
    const general = parseUriGeneral(v);
    if (fast !== undefined) assert.deepEqual(fast, general, v);
    assert.deepEqual(parseUri(v), general, v);
  }), { numRuns: 30000 });
});

test('canonicalSip: the limits are the general parser\'s', () => {
  const withParams = (n: number) => `sip:a@h${';x'.repeat(n)}`;
  assert.ok(oneP(withParams(MAX_PARAMS)) !== undefined);
  assert.equal(oneP(withParams(MAX_PARAMS + 1)), undefined);
  assert.equal(parseUri(withParams(MAX_PARAMS + 1)), undefined);
  for (const port of ['0', '65535', '05060']) assert.deepEqual(oneP(`sip:h:${port}`), parseUriGeneral(`sip:h:${port}`), port);
  for (const bad of ['sip:h:65536', 'sip:h:123456', 'sip:h:', 'sip:a@', 'sip:@h', 'sip:a@h;', 'sip:a@h;x=', 'sip:a%41@h', 'sip:a:pw@h', 'sip:[::1]', 'sip:a@h?x=y']) {
    assert.equal(oneP(bad), undefined, bad);
  }
  assert.deepEqual(parseUri('sip:a%41@h'), parseUriGeneral('sip:a%41@h'));
});

test('canonicalSipUriEnd: the parameter and length limits are validUri\'s', () => {
  const withParams = (n: number) => `sip:a@h${';x'.repeat(n)}`;
  assert.equal(at(withParams(MAX_PARAMS)), withParams(MAX_PARAMS).length);
  assert.ok(validUri(withParams(MAX_PARAMS), 0, withParams(MAX_PARAMS).length));
  assert.equal(at(withParams(MAX_PARAMS + 1)), -1);
  assert.equal(validUri(withParams(MAX_PARAMS + 1), 0, withParams(MAX_PARAMS + 1).length), false);
  const long = `sip:${'a'.repeat(5000)}@h`;
  assert.equal(at(long), -1);
  assert.equal(validUri(long, 0, long.length), false);
});

/** What a reader of a name-addr sees. */
function fields(na: NameAddr): unknown {
  return { displayName: na.displayName, uri: JSON.parse(JSON.stringify(na.uri)), angle: na.angle, params: na.params.map((p) => ({ ...p })), tag: na.tag };
}
const display = fc.constantFrom('', 'sipp ', 'Alice ', 'A  B\t', '"Bob" ', '"Q, R <s>"', '"" ', '"x"\t');
const headerParam = fc.tuple(fc.constantFrom('tag', 'TAG', 'Tag', 'x', 'expires', 'q', 'tags'), fc.constantFrom(undefined, '1234SIPpTag001', 'abc', '0.5', '[::1]', 'a:b'))
  .map(([n, v]) => (v === undefined ? `;${n}` : `;${n}=${v}`));
const canonicalNa = fc.tuple(display, canonicalUri, fc.array(headerParam, { maxLength: 4 })).map(([d, u, ps]) => `${d}<${u}>${ps.join('')}`);

function canon(value: string, pad: number): NameAddr | undefined {
  const block = `${'x'.repeat(pad)}${value}\r\n`;
  return canonicalNameAddr(Buffer.from(block, 'latin1'), pad, pad + value.length, block, 0);
}

test('canonicalNameAddr: takes the usual From/To, and builds what parseNameAddr builds', () => {
  fc.assert(fc.property(canonicalNa, fc.nat(5), (v, pad) => {
    const fast = canon(v, pad);
    assert.ok(fast !== undefined, v);
    const r = parseNameAddr(v);
    assert.ok(r.ok, v);
    assert.deepEqual(fields(fast), fields(r.value), v);
  }), { numRuns: 3000 });
});

test('canonicalNameAddr: on a mutated one it declines, or builds exactly what parseNameAddr builds', () => {
  fc.assert(fc.property(canonicalNa, mutations, fc.nat(5), (v, muts, pad) => {
    const m = mutate(v, muts).trim();
    if (m === '') return;
    const fast = canon(m, pad);
    if (fast === undefined) return;
    const r = parseNameAddr(m);
    assert.ok(r.ok, `canonicalNameAddr took what parseNameAddr refuses: ${m}`);
    assert.deepEqual(fields(fast), fields(r.value), m);
  }), { numRuns: 30000 });
});

test('validCallIdAt: the same verdict as parseCallId on the bytes of a value', () => {
  const ch = fc.constantFrom('a', 'Z', '9', '-', '.', '!', '%', '*', '_', '+', '`', "'", '~', '(', ')', '<', '>', ':', '\\', '"', '/', '[', ']', '?', '{', '}', '@', ',', ';', '=', '#', ' ', '\t');
  fc.assert(fc.property(fc.array(ch, { minLength: 1, maxLength: 16 }), (cs) => {
    const v = cs.join('').trim();
    if (v === '') return;
    const r = parseCallId(v);
    assert.equal(validCallIdAt(Buffer.from(v, 'latin1'), 0, v.length), r.ok, v);
    if (r.ok) assert.equal(r.value, v);
  }), { numRuns: 20000 });
});

/** Every field a Via reader sees, params included (the list is built on read). */
function viaFields(v: Via): unknown {
  const { protocol, version, transport, host, port, branch, received, rport, maddr, ttl } = v;
  return { protocol, version, transport, host, port, branch, received, rport, maddr, ttl, params: v.params.map((p) => ({ ...p })) };
}

const VIA_KNOWN = ['branch', 'received', 'rport', 'maddr', 'ttl', 'tag'];
const viaParamName = fc.oneof(
  fc.constantFrom(...VIA_KNOWN).chain((n) => fc.array(fc.boolean(), { minLength: n.length, maxLength: n.length }).map((up) => [...n].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''))),
  fc.constantFrom('x', 'lr', 'rportx', 'ttl2', 'branc', 'tags'),
);
/**
 * RFC 3261 §25.1 via-params: branch, received, maddr and ttl need a value; rport and ttl are numbers
 * (RFC 3581), received an IP address (RFC 5118 §4.5: in brackets too), maddr a host.
 */
function viaParamOk(n: string, v: string | undefined): boolean {
  const l = n.toLowerCase();
  if (l === 'rport') return v === undefined || (/^[0-9]{1,10}$/.test(v) && Number(v) <= 65535);
  if (l === 'ttl') return v !== undefined && /^[0-9]{1,3}$/.test(v) && Number(v) <= 255;
  if (l === 'received') return v !== undefined && oracleReceived(v);
  if (l === 'maddr') return v !== undefined && oracleHost(v);
  return v !== undefined || !['branch', 'received', 'maddr'].includes(l);
}
const canonicalViaParam = fc.tuple(viaParamName, fc.oneof(fc.constant(undefined), fc.stringMatching(/^[0-9]{1,12}$/), fc.stringMatching(/^[a-zA-Z0-9.\-]{1,12}$/), fc.constantFrom('z9hG4bK-1', '192.0.2.1', '[2001:db8::1]', 'a:b', '2001:db8::1', 'h.example', '010.0.0.255')))
  .filter(([n, v]) => viaParamOk(n, v))
  .map(([n, v]) => (v === undefined ? `;${n}` : `;${n}=${v}`));
const viaTransport = fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP');
const viaSentBy = fc.constantFrom('127.0.0.1', '127.0.0.1:5061', 'host.example', 'h-1.example:0', 'a:65535', 'x');
const viaAt = (block: string, start: number, end: number) => canonicalVia(Buffer.from(block, 'latin1'), start, end, block, 0);

test('canonicalVia: takes the usual form, and builds what parseVia builds', () => {
  fc.assert(fc.property(viaTransport, fc.constantFrom(' ', '\t', '  '), viaSentBy, fc.array(canonicalViaParam, { maxLength: 8 }), (t, sp, h, ps) => {
    const text = `SIP/2.0/${t}${sp}${h}${ps.join('')}`;
    const fast = viaAt(text, 0, text.length);
    assert.ok(fast !== undefined, text);
    const r = parseVia(text);
    assert.ok(r.ok, text);
    assert.deepEqual(viaFields(fast), viaFields(r.value), text);
  }), { numRuns: 3000 });
});

test('canonicalVia: near the usual form it says nothing, or exactly what parseVia says (offsets into a larger block too)', () => {
  const canonical = fc.tuple(viaTransport, viaSentBy, fc.array(canonicalViaParam, { maxLength: 4 })).map(([t, h, ps]) => `SIP/2.0/${t} ${h}${ps.join('')}`);
  const viaPiece = fc.oneof(fc.constantFrom('', ' ', '\t', ':', ';', '=', ',', '"', '[', ']', '/', '@', 'é', '0', '9', '65536', '123456', 'udp', 'X', ';rport', ';ttl=256', ';branch', ';branch=', '=1', ';received=1.2.3.4', ';maddr=h', '::'), anyByte);
  fc.assert(fc.property(canonical, fc.array(fc.tuple(fc.nat(80), fc.nat(3), viaPiece), { minLength: 1, maxLength: 3 }), fc.nat(5), (base, muts, pad) => {
    const value = mutate(base, muts).trim();
    if (value === '') return;
    const block = `${'x'.repeat(pad)}${value}\r\n`;
    const fast = viaAt(block, pad, pad + value.length);
    if (fast === undefined) return;
    const r = parseVia(value);
    assert.ok(r.ok, `canonicalVia took what parseVia refuses: ${value}`);
    assert.deepEqual(viaFields(fast), viaFields(r.value), value);
  }), { numRuns: 30000 });
});

test('canonicalVia: the parameter limit is parseVia\'s (MAX_PARAMS)', () => {
  const via = (n: number) => `SIP/2.0/UDP 127.0.0.1${';x=1'.repeat(n - 1)};branch=z9hG4bK1`;
  assert.equal(viaAt(via(MAX_PARAMS), 0, via(MAX_PARAMS).length)?.branch, 'z9hG4bK1');
  assert.ok(parseVia(via(MAX_PARAMS)).ok);
  assert.equal(viaAt(via(MAX_PARAMS + 1), 0, via(MAX_PARAMS + 1).length), undefined);
  assert.equal(parseVia(via(MAX_PARAMS + 1)).ok, false);
});
