import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { MemoryLocationStore } from './memory-location-store.ts';
import { ExpiryIndex } from './expiry-index.ts';
import { makeBinding, type Binding } from './binding.ts';

test('a binding refreshed every second leaves no stale copies in the expiry index (memory stays flat)', () => {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  const nowSec = () => Math.floor(clock.wallMs() / 1000);
  let b = store.insert('a@x', { contact: 'sip:a@h', expiresSec: nowSec() + 3600, callId: 'c', cseq: 1 });
  for (let i = 2; i < 1000; i++) {
    clock.advance(1000);
    b = store.update(b, { contact: 'sip:a@h', expiresSec: nowSec() + 3600, callId: 'c', cseq: i });
  }
  const index = (store as unknown as { expiry: { size(): number } }).expiry;
  assert.equal(index.size(), 1, 'only the current binding is indexed');
  store.remove(b);
  assert.equal(index.size(), 0);
  assert.equal(store.expire(), 0);
});

test('marked entries are compacted once they outnumber the live ones; drain hands out each live binding once, when due', () => {
  const index = new ExpiryIndex(1000, 8);
  const mk = (sec: number, id: number): Binding => makeBinding('a@x', BigInt(id), { contact: `sip:${id}@h`, expiresSec: sec, callId: 'c', cseq: 1 }, 1000);
  const live: Binding[] = [];
  for (let i = 0; i < 5; i++) {
    const b = mk(2000 + i, i);
    index.add(b);
    live.push(b);
  }
  // A binding refreshed 100 times, each copy one second later: the index holds a bounded number of copies.
  let b = mk(3000, 99);
  index.add(b);
  for (let i = 1; i <= 100; i++) {
    index.remove(b);
    b = mk(3000 + i, 99);
    index.add(b);
    assert.ok(index.held() <= 2 * Math.max(8, index.size()) + 1, `held ${index.held()} after ${i} refreshes`);
  }
  assert.equal(index.size(), 6);
  const seen: Binding[] = [];
  index.drain(2002, (x) => seen.push(x));
  assert.deepEqual(seen, live.slice(0, 3));
  index.drain(5000, (x) => seen.push(x));
  assert.deepEqual(seen, [...live, b], 'each live binding once; refreshed copies never');
  assert.equal(index.size(), 0);
  assert.equal(index.remove(b), false, 'a drained binding is no longer indexed');
});

test('a binding already due when added is handed out by the next pass', () => {
  const index = new ExpiryIndex(1000);
  index.drain(1500, () => {});
  const b = makeBinding('a@x', 1n, { contact: 'sip:a@h', expiresSec: 1200, callId: 'c', cseq: 1 }, 1000);
  index.add(b);
  const seen: Binding[] = [];
  index.drain(1501, (x) => seen.push(x));
  assert.deepEqual(seen, [b]);
});
