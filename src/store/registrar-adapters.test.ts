import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, SeededRandom } from '../lib/fake-time.ts';
import { MemoryLocationStore } from '../sip/registrar/index.ts';
import { openStore } from './open-store.ts';
import { credentialStoreOf, locationPersistenceOf } from './registrar-adapters.ts';

test('bindings written through to the location table come back after a restart (SQLite)', async () => {
  const store = await openStore('sqlite::memory:', { baseDir: '.' });
  try {
    const clock = new FakeClock(0, 1_800_000_000_000);
    const persistence = locationPersistenceOf(store.locations);
    const a = new MemoryLocationStore({ clock, random: new SeededRandom(1), persistence, persistenceMode: 'write-through' });
    const nowSec = Math.floor(clock.wallMs() / 1000);
    const b = a.insert('alice@example.com', {
      contact: 'sip:alice@192.0.2.1:5060', expiresSec: nowSec + 3600, q: 500, callId: 'cid-1', cseq: 7,
      received: 'sip:198.51.100.2:40000', userAgent: 'phone', socket: 'udp:127.0.0.1:5060', instance: '<urn:uuid:1>', regId: 1,
    });
    await a.persisted();
    const again = new MemoryLocationStore({ clock, random: new SeededRandom(2), persistence, persistenceMode: 'write-through' });
    assert.equal(await again.load(), 1);
    const [loaded] = again.lookup('alice@example.com');
    assert.ok(loaded);
    assert.equal(loaded.contactId, b.contactId);
    assert.equal(loaded.contact, 'sip:alice@192.0.2.1:5060');
    assert.equal(loaded.q, 500);
    // RFC 3261 §25.1 qvalue: three decimals survive the table, so ordering by q after a restart is the same.
    const c = a.insert('carol@example.com', { contact: 'sip:carol@192.0.2.3', expiresSec: nowSec + 3600, q: 125, callId: 'cid-3', cseq: 1 });
    const d = a.insert('carol@example.com', { contact: 'sip:carol@192.0.2.4', expiresSec: nowSec + 3600, q: 128, callId: 'cid-4', cseq: 1 });
    await a.persisted();
    const third = new MemoryLocationStore({ clock, random: new SeededRandom(3), persistence, persistenceMode: 'write-through' });
    await third.load();
    assert.deepEqual(third.lookup('carol@example.com').map((x) => [x.contact, x.q, x.qText()]), [['sip:carol@192.0.2.3', 125, '0.125'], ['sip:carol@192.0.2.4', 128, '0.128']]);
    a.remove(c);
    a.remove(d);
    assert.equal(loaded.received, 'sip:198.51.100.2:40000');
    assert.equal(loaded.expiresSec, nowSec + 3600);
    // RFC 5626: instance and reg-id survive (reg-id in kv_store), so the UA's next refresh finds its binding.
    assert.equal(loaded.instance, '<urn:uuid:1>');
    assert.equal(loaded.regId, 1);
    assert.equal(again.find('alice@example.com', { contact: 'sip:alice@192.0.2.9:5070', instance: '<urn:uuid:1>', regId: 1 })?.contactId, b.contactId);
    a.remove(b);
    await a.persisted();
    assert.equal((await store.locations.loadAll()).length, 0);
  } finally {
    await store.close();
  }
});

test('credentials come from the subscriber table, empty columns left out', async () => {
  const store = await openStore('sqlite::memory:', { baseDir: '.' });
  try {
    await store.subscribers.add('bob', 'example.com', 'secret');
    const creds = await credentialStoreOf(store.subscribers).get('bob', 'example.com');
    assert.equal(creds?.password, undefined, 'plain password is not stored by default');
    assert.match(creds?.ha1 ?? '', /^[0-9a-f]{32}$/);
    assert.match(creds?.ha1Sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(await credentialStoreOf(store.subscribers).get('nobody', 'example.com'), undefined);
  } finally {
    await store.close();
  }
});

test('the credential cache keeps an answer for its TTL (auth.credentialCacheTtlMs), bounded by its size', async () => {
  let queries = 0;
  let now = 0;
  const repo = { get: async (u: string) => { queries++; return u === 'ghost' ? undefined : { password: '', ha1: 'a'.repeat(32), ha1Sha256: '', ha1Sha512t256: '' }; } };
  const creds = credentialStoreOf(repo as never, { ttlMs: 60_000, maxEntries: 2, nowMs: () => now });
  await creds.get('bob', 'd');
  now = 59_999;
  assert.equal((creds.get('bob', 'd') as { ha1?: string }).ha1, 'a'.repeat(32), 'a hit is answered synchronously');
  assert.equal(queries, 1);
  now = 60_000;
  await creds.get('bob', 'd');
  assert.equal(queries, 2, 'asked again once the TTL is over');
  assert.equal(await creds.get('ghost', 'd'), undefined);
  assert.equal(creds.get('ghost', 'd'), undefined, 'an absence is cached too');
  await creds.get('carol', 'd');
  assert.equal(queries, 4);
  await creds.get('bob', 'd');
  assert.equal(queries, 5, 'the oldest entry went when the third was added');
  // Several domains share the bound: never more than maxEntries answers kept in all.
  const multi = credentialStoreOf(repo as never, { ttlMs: 60_000, maxEntries: 2, nowMs: () => now });
  const before = queries;
  for (const d of ['d1', 'd2', 'd3', 'd1', 'd2']) await multi.get('bob', d);
  assert.equal(queries - before, 5, 'with room for two, each of three domains pushed another out');
  multi.get('bob', 'd2');
  assert.equal(queries - before, 5, 'the newest answer is still there');
  await multi.get('bob', 'd3');
  assert.equal(queries - before, 6, 'd3, the oldest of the three, had been pushed out');
  const none = credentialStoreOf(repo as never, { maxEntries: 0 });
  await none.get('bob', 'd');
  await none.get('bob', 'd');
  assert.equal(queries, 13, 'maxEntries 0: no cache');
});

test('the credential cache keeps the new answer when making room empties its own domain (the emptied domain map was dropped and the answer written into it, lost)', async () => {
  let queries = 0;
  const repo = { get: async () => { queries++; return { password: '', ha1: 'a'.repeat(32), ha1Sha256: '', ha1Sha512t256: '' }; } };
  const one = credentialStoreOf(repo as never, { ttlMs: 60_000, maxEntries: 1, nowMs: () => 0 });
  await one.get('alice', 'd');
  await one.get('bob', 'd');
  assert.equal((one.get('bob', 'd') as { ha1?: string } | undefined)?.ha1, 'a'.repeat(32), 'bob, the newest answer, is kept (a hit, synchronous)');
  assert.equal(queries, 2);
  // The same beside another domain: d1's only answer makes room for d1's next one.
  const two = credentialStoreOf(repo as never, { ttlMs: 60_000, maxEntries: 2, nowMs: () => 0 });
  await two.get('alice', 'd1');
  await two.get('carol', 'd2');
  await two.get('bob', 'd1');
  queries = 0;
  assert.equal((two.get('bob', 'd1') as { ha1?: string } | undefined)?.ha1, 'a'.repeat(32), 'bob@d1 is kept');
  assert.equal((two.get('carol', 'd2') as { ha1?: string } | undefined)?.ha1, 'a'.repeat(32), 'carol@d2 is kept');
  assert.equal(queries, 0);
});
