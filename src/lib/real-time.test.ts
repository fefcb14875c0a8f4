import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realRandom } from './real-time.ts';

test('pooled random bytes: right lengths, distinct values, and a view handed out never changes when the pool refills', () => {
  const first = realRandom.bytes(8);
  const copy = Uint8Array.from(first);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const b = realRandom.bytes(8);
    assert.equal(b.length, 8);
    seen.add(Buffer.from(b).toString('hex'));
  }
  assert.equal(seen.size, 2000, '16 000 bytes drawn across several pool refills, no repeats');
  assert.ok(Buffer.from(first).equals(Buffer.from(copy)), 'the first view is untouched by later refills');
  assert.equal(realRandom.bytes(5000).length, 5000, 'a request larger than the pool is served directly');
});
