/**
 * The one-pass checks of the usual Request-URI and From/To forms (canonicalSipUriEnd,
 * canonicalNameAddr) against the general parsers they stand in front of: on canonical values they
 * must take them, on mutated ones they may decline, and whatever they take the general parser must
 * take with the same result. (canonicalVia has the same pair of tests in via.property.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalSipUriEnd, parseUri, validUri } from './uri.ts';
import { canonicalNameAddr, parseNameAddr, type NameAddr } from './name-addr.ts';
import { MAX_PARAMS } from './limits.ts';
import { parseCallId, validCallIdAt } from './scalar-headers.ts';

const user = fc.constantFrom('', 'alice', 'sipp', 'user1', "a.b-c_d!e~f*g'h(i)j&k=l+m$n,o/p", '+15551234');
const host = fc.constantFrom('127.0.0.1', 'example.com', 'h-1.example', 'x', '10.0.0.1:5060', 'host:65535', 'a:0');
const uriParam = fc.tuple(fc.constantFrom('transport', 'lr', 'user', 'x[1]', 'a/b', 'm:n', "p+$-_.!~*'()"), fc.constantFrom(undefined, 'udp', 'phone', '1', 'a&b', '[::1]', 'v:w/x'))
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
const piece = fc.constantFrom('', ' ', '\t', ':', ';', '=', ',', '"', '\\', '<', '>', '[', ']', '@', '%41', '%4', '?', '&', 'SIP', 'tel', 'é', '0', '65536', '123456', 'tag', ';tag', ';tag=', 'x=y');
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
