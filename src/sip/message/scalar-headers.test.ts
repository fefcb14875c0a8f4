import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCSeq, parseMaxForwards, cseqAt, maxForwardsAt } from './scalar-headers.ts';
import { methodAt } from './start-line.ts';

// cseqAt/maxForwardsAt read the essential scalars from the bytes; they must agree with the string
// parsers on every trimmed, single-line value (the parser falls back to those for folded ones).
test('cseqAt and maxForwardsAt agree with parseCSeq and parseMaxForwards on generated values', () => {
  const parts = ['0', '1', '9', '42', '4294967295', '4294967296', '0068', ' ', '\t', '  ', 'INVITE', 'ACK', 'FOO', 'é', 'a b', '@', '-', ''];
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  let valid = 0;
  for (let it = 0; it < 20_000; it++) {
    let s = '';
    if (rnd(2) === 0) s = `${parts[rnd(7)] ?? ''}${parts[7 + rnd(3)] ?? ''}${parts[10 + rnd(8)] ?? ''}`;
    else for (let k = rnd(4); k >= 0; k--) s += parts[rnd(parts.length)] ?? '';
    s = s.trim();
    const buf = Buffer.from(`x${s}y`, 'utf8');
    const end = buf.length - 1;
    const want = parseCSeq(s);
    const got = cseqAt(buf, 1, end, methodAt);
    if (want.ok) {
      valid++;
      assert.deepEqual(got, want.value, JSON.stringify(s));
    } else assert.deepEqual(got, want.error, JSON.stringify(s));
    const mf = parseMaxForwards(s);
    assert.equal(maxForwardsAt(buf, 1, end), mf.ok ? mf.value : -1, JSON.stringify(s));
  }
  assert.ok(valid > 1000, 'the generator must produce valid CSeqs too');
});
