import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { MemoryLocationStore } from './memory-location-store.ts';

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
