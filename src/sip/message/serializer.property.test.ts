/**
 * The header-line helpers the response builder writes with: lineSafeLength() must refuse a CR or
 * LF anywhere and report non-ASCII, whichever of its two scans (a loop for short strings, a regular
 * expression above SCAN_BY_REGEX characters) a string takes; writeAscii()/writeString() must write
 * the same bytes as Buffer#write, by loop or by one native copy. Checked against plain reference
 * implementations on generated strings of every length up to 300, flat and concatenated (a
 * template literal's result is a rope in V8, which the loop and the regular expression read
 * differently).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lineSafeLength, writeAscii, writeString } from './serializer.ts';
import * as serializer from './serializer.ts';

function reference(s: string): { length: number; ascii: boolean } {
  if (s.includes('\r') || s.includes('\n')) return { length: -1, ascii: false };
  const ascii = [...s].every((c) => (c.codePointAt(0) as number) <= 0x7f);
  return { length: Buffer.byteLength(s, 'utf8'), ascii };
}

const char = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\t', '\x7f', '\x80', 'é', '\u00ff', '\u0100', '€', '😀', '\ud800') },
);
const text = fc.array(char, { maxLength: 300 }).map((cs) => cs.join(''));
/** The same characters as a concatenation made at run time (a V8 cons string when long enough). */
const rope = fc.tuple(text, text).map(([a, b]) => `${a}${b}`);

test('lineSafeLength: -1 for a CR or LF anywhere, else the UTF-8 length, and lastWasAscii, for short and long strings', () => {
  fc.assert(fc.property(fc.oneof(text, rope), (s) => {
    const want = reference(s);
    const got = lineSafeLength(s);
    assert.equal(got, want.length, JSON.stringify(s));
    if (got >= 0) assert.equal(serializer.lastWasAscii, want.ascii, JSON.stringify(s));
  }), { numRuns: 3000 });
});

test('lineSafeLength: a CR or LF at either end or in the middle of a long value is found (the regular-expression path)', () => {
  const long = 'a'.repeat(200);
  for (const bad of ['\r', '\n']) {
    assert.equal(lineSafeLength(bad + long), -1);
    assert.equal(lineSafeLength(long + bad), -1);
    assert.equal(lineSafeLength(`${long.slice(0, 100)}${bad}${long.slice(100)}`), -1);
  }
  assert.equal(lineSafeLength(`${long}é`), 202);
  assert.equal(serializer.lastWasAscii, false);
  assert.equal(lineSafeLength(`${long}~`), 201);
  assert.equal(serializer.lastWasAscii, true);
});

test('writeAscii and writeString write what Buffer#write does, by loop or by one copy, at any offset', () => {
  const ascii = fc.array(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), { maxLength: 300 }).map((cs) => cs.join(''));
  fc.assert(fc.property(fc.oneof(ascii, text), fc.integer({ min: 0, max: 7 }), (s, at) => {
    const isAscii = [...s].every((c) => (c.codePointAt(0) as number) <= 0x7f);
    const want = Buffer.alloc(at + Buffer.byteLength(s, 'utf8') + 3, 0x2e);
    want.write(s, at, 'utf8');
    const got = Buffer.alloc(want.length, 0x2e);
    const end = isAscii ? writeAscii(got, s, at) : writeString(got, s, at);
    assert.equal(end, at + Buffer.byteLength(s, 'utf8'));
    assert.deepEqual(got, want);
    if (isAscii) {
      const viaString = Buffer.alloc(want.length, 0x2e);
      assert.equal(writeString(viaString, s, at), end);
      assert.deepEqual(viaString, want);
    }
  }), { numRuns: 2000 });
});
