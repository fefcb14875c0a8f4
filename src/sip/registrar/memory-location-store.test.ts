import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, SeededRandom } from '../../lib/fake-time.ts';
import type { BindingFields } from './binding.ts';
import { MemoryLocationStore } from './memory-location-store.ts';
import { simpleUriEquals } from './contact-match.ts';
import type { LocationEvent } from './location-store.ts';
import type { LocationPersistence, PersistedBinding, PersistenceChange } from './ports.ts';
import { counting as recordingCounters } from '../../../test/support/counting.ts';

const T0 = 1_700_000_000; // wall seconds of FakeClock(0)

function fields(contact: string, expiresInSec: number, extra: Partial<BindingFields> = {}): BindingFields {
  return { contact, expiresSec: T0 + expiresInSec, callId: 'c1@x', cseq: 1, ...extra };
}

function setup(extra: Partial<ConstructorParameters<typeof MemoryLocationStore>[0]> = {}) {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock, ...extra });
  const events: LocationEvent[] = [];
  store.subscribe((e) => events.push(e));
  return { clock, store, events };
}

test('insert, lookup and contact ids: high half hashes the AoR, low half is a label', () => {
  const { store, events } = setup();
  const a = store.insert('alice@example.com', fields('sip:alice@10.0.0.1:5060', 60));
  const b = store.insert('alice@example.com', fields('sip:alice@10.0.0.2:5060', 60));
  assert.deepEqual(store.lookup('alice@example.com'), [a, b]);
  assert.equal(a.contactId >> 32n, b.contactId >> 32n);
  assert.equal((b.contactId & 0xffffffffn) - (a.contactId & 0xffffffffn), 1n);
  assert.equal(store.aorCount(), 1);
  assert.equal(store.contactCount(), 2);
  assert.deepEqual(events.map((e) => e.kind), ['insert', 'insert']);
  assert.equal(a.state, 'new');
  assert.equal(a.q, -1);
  assert.equal(a.methods, 0xffffffff);
  assert.deepEqual(store.lookup('bob@example.com'), []);
});

test('a seeded Random moves the label start so nodes do not collide', () => {
  const s1 = new MemoryLocationStore({ clock: new FakeClock(), random: new SeededRandom(1) });
  const s2 = new MemoryLocationStore({ clock: new FakeClock(), random: new SeededRandom(2) });
  assert.notEqual(s1.insert('a@x', fields('sip:a@h', 60)).contactId, s2.insert('a@x', fields('sip:a@h', 60)).contactId);
});

test('find matches by URI per RFC 3261 §19.1.4, and by +sip.instance/reg-id per RFC 5626 §6', () => {
  const { store } = setup();
  const plain = store.insert('a@x', fields('sip:a@Host.example:5060;transport=udp', 60));
  assert.equal(store.find('a@x', { contact: 'SIP:a@host.EXAMPLE:5060;Transport=UDP' }), plain);
  assert.equal(store.find('a@x', { contact: 'sip:a@host.example;transport=udp' }), undefined, 'omitted port never equals an explicit one');
  assert.equal(store.find('a@x', { contact: 'sip:A@host.example:5060;transport=udp' }), undefined, 'user part is case-sensitive');
  const inst = '<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>';
  const ob = store.insert('a@x', fields('sip:a@192.0.2.1:1111;ob', 60, { instance: inst, regId: 1 }));
  assert.equal(store.find('a@x', { contact: 'sip:a@198.51.100.7:2222;ob', instance: inst, regId: 1 }), ob, 'new flow, same binding');
  assert.equal(store.find('a@x', { contact: 'sip:a@192.0.2.1:1111;ob', instance: inst, regId: 2 }), undefined, 'other reg-id is another flow');
  assert.equal(store.findById('a@x', ob.contactId), ob);
});

test('update replaces the object, keeps the id, and emits update with the previous binding', () => {
  const { clock, store, events } = setup();
  const a = store.insert('a@x', fields('sip:a@h', 60));
  clock.advance(10_000);
  const a2 = store.update(a, fields('sip:a@h', 120, { cseq: 2 }));
  assert.equal(a2.contactId, a.contactId);
  assert.equal(a2.lastModifiedSec, T0 + 10);
  assert.deepEqual(store.lookup('a@x'), [a2]);
  const ev = events[1];
  assert.ok(ev?.kind === 'update' && ev.previous === a && ev.binding === a2);
  assert.throws(() => store.update(a, fields('sip:a@h', 10)), /no longer current/);
});

test('expiry removes only what is due, skips refreshed entries, and emits expire', () => {
  const { clock, store, events } = setup();
  const a = store.insert('a@x', fields('sip:a@h1', 10));
  store.insert('a@x', fields('sip:a@h2', 30));
  store.insert('p@x', fields('sip:p@h', 0, { expiresSec: 0 })); // permanent
  store.update(a, fields('sip:a@h1', 20));
  clock.advance(10_000);
  assert.equal(store.expire(), 0, 'the refreshed binding is not expired by its stale entry');
  clock.advance(9_999);
  assert.equal(store.lookup('a@x').length, 2);
  clock.advance(1);
  assert.equal(store.lookup('a@x').length, 1, 'lookup hides a due binding before the pass runs');
  assert.equal(store.expire(), 1);
  clock.advance(3600_000);
  assert.equal(store.expire(), 1);
  assert.equal(store.aorCount(), 1);
  assert.equal(store.lookup('p@x').length, 1, 'permanent bindings never expire');
  assert.deepEqual(events.filter((e) => e.kind === 'expire').length, 2);
});

test('expireAor expires the due bindings of one AoR at once, as the pass would; the pass then finds nothing of them', () => {
  const { factory, values } = recordingCounters();
  const { clock, store, events } = setup({ counters: factory });
  const a1 = store.insert('a@x', fields('sip:a@h1', 5));
  const a2 = store.insert('a@x', fields('sip:a@h2', 5));
  store.insert('a@x', fields('sip:a@h3', 60));
  store.insert('b@x', fields('sip:b@h', 5));
  clock.advance(5_000);
  assert.equal(store.expireAor('a@x'), 2);
  assert.deepEqual(events.slice(4).map((e) => [e.kind, e.binding]), [['expire', a1], ['expire', a2]]);
  assert.equal(values.get('usrloc:location-expires'), 2);
  assert.equal(store.contactCount(), 2);
  assert.equal(store.expireAor('a@x'), 0);
  assert.equal(store.expireAor('nobody@x'), 0);
  assert.equal(store.expire(), 1, 'only b@x is left for the pass');
  store.expireAor('b@x');
  assert.equal(store.aorCount(), 1);
});

test('remove and removeAor emit delete with the origin', () => {
  const { store, events } = setup();
  const a = store.insert('a@x', fields('sip:a@h1', 60));
  store.insert('a@x', fields('sip:a@h2', 60));
  assert.equal(store.remove(a, 'replicated'), true);
  assert.equal(store.remove(a), false);
  assert.equal(store.removeAor('a@x', 'admin'), 1);
  assert.equal(store.removeAor('a@x'), 0);
  assert.deepEqual(events.slice(2).map((e) => [e.kind, 'origin' in e ? e.origin : '']), [['delete', 'replicated'], ['delete', 'admin']]);
  assert.equal(store.contactCount(), 0);
});

test('statistics follow OpenSIPS usrloc names', () => {
  const { factory, values } = recordingCounters();
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock, counters: factory });
  store.insert('a@x', fields('sip:a@h1', 5));
  store.insert('a@x', fields('sip:a@h2', 60));
  store.insert('b@x', fields('sip:b@h', 60));
  assert.equal(values.get('usrloc:registered_users'), 2);
  assert.equal(values.get('usrloc:location-users'), 2);
  assert.equal(values.get('usrloc:location-contacts'), 3);
  clock.advance(5_000);
  store.expire();
  assert.equal(values.get('usrloc:location-expires'), 1);
  assert.equal(values.get('usrloc:location-contacts'), 2);
});

class MemoryDb implements LocationPersistence {
  writes: PersistenceChange[][] = [];
  failNext = false;
  constructor(private readonly rows: PersistedBinding[] = []) {}
  async *load(): AsyncIterable<PersistedBinding> { yield* this.rows; }
  async write(changes: readonly PersistenceChange[]): Promise<void> {
    if (this.failNext) { this.failNext = false; throw new Error('db down'); }
    this.writes.push([...changes]);
  }
}

test('write-through writes each change and marks the binding synced', async () => {
  const db = new MemoryDb();
  const store = new MemoryLocationStore({ clock: new FakeClock(), persistence: db, persistenceMode: 'write-through' });
  const a = store.insert('a@x', fields('sip:a@h', 60));
  await store.persisted();
  assert.equal(a.state, 'sync');
  const a2 = store.update(a, fields('sip:a@h', 90));
  assert.equal(a2.state, 'dirty');
  store.remove(a2);
  await store.persisted();
  // Changes made together go in one write (group commit), in the order they were made.
  assert.deepEqual(db.writes.map((w) => w.map((c) => c.op)), [['upsert'], ['upsert', 'delete']]);
});

/** A database whose writes finish when the test says: one write at a time must be what it sees. */
class SlowDb implements LocationPersistence {
  writes: PersistenceChange[][] = [];
  running = 0;
  maxRunning = 0;
  private waiting: Array<() => void> = [];
  async *load(): AsyncIterable<PersistedBinding> { /* no rows */ }
  async write(changes: readonly PersistenceChange[]): Promise<void> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.writes.push([...changes]);
    this.running--;
  }
  finishOne(): void { this.waiting.shift()?.(); }
  get pending(): number { return this.waiting.length; }
}
const turns = async (n: number) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

test('write-through: one write at a time, in order; persisted() waits for what was issued, not for later writes', async () => {
  const db = new SlowDb();
  const store = new MemoryLocationStore({ clock: new FakeClock(), persistence: db, persistenceMode: 'write-through' });
  const a = store.insert('a@x', fields('sip:a@h', 60));
  const first = store.persisted();
  let firstDone = false;
  void first.then(() => { firstDone = true; });
  await turns(2);
  assert.equal(db.pending, 1);
  // While it runs: the binding is removed, another is inserted (the review's insert-then-delete race).
  store.remove(a);
  const b = store.insert('b@x', fields('sip:b@h', 60));
  await turns(2);
  assert.equal(db.pending, 1, 'the next write waits for the running one');
  db.finishOne();
  await turns(2);
  assert.equal(firstDone, true, 'the first REGISTER\'s write is done: it does not wait for the later ones');
  assert.equal(db.pending, 1, 'the later changes, in one write');
  // A steady stream of new writes does not hold back a waiter.
  const second = store.persisted();
  let secondDone = false;
  void second.then(() => { secondDone = true; });
  store.update(b, fields('sip:b@h', 90));
  db.finishOne();
  await turns(2);
  assert.equal(secondDone, true);
  db.finishOne();
  await store.persisted();
  assert.deepEqual(db.writes.map((w) => w.map((c) => (c.op === 'delete' ? `delete ${c.aor}` : `upsert ${c.binding.aor}`))),
    [['upsert a@x'], ['delete a@x', 'upsert b@x'], ['upsert b@x']]);
  assert.equal(db.maxRunning, 1);
  assert.equal(store.writesPending(), false);
});

test('write-back: a flush asked while one runs also writes what was queued meanwhile (the node stopping loses nothing)', async () => {
  const db = new SlowDb();
  const store = new MemoryLocationStore({ clock: new FakeClock(), persistence: db, persistenceMode: 'write-back' });
  store.insert('a@x', fields('sip:a@h', 60));
  const timerFlush = store.flush();
  store.insert('b@x', fields('sip:b@h', 60));
  const stopFlush = store.flush();
  let stopped = false;
  void stopFlush.then(() => { stopped = true; });
  db.finishOne();
  await timerFlush;
  await turns(2);
  assert.equal(stopped, false, 'b@x is still to write');
  db.finishOne();
  await stopFlush;
  assert.deepEqual(db.writes.map((w) => w.map((c) => (c.op === 'upsert' ? c.binding.aor : c.op))), [['a@x'], ['b@x']]);
});

test('write-back coalesces per contact and requeues a failed flush', async () => {
  const db = new MemoryDb();
  const errors: unknown[] = [];
  const store = new MemoryLocationStore({
    clock: new FakeClock(), persistence: db, persistenceMode: 'write-back', onPersistenceError: (e) => errors.push(e),
  });
  let a = store.insert('a@x', fields('sip:a@h', 60));
  for (let i = 0; i < 5; i++) a = store.update(a, fields('sip:a@h', 60, { cseq: i + 2 }));
  store.insert('b@x', fields('sip:b@h', 60));
  assert.equal(db.writes.length, 0, 'nothing written before flush');
  db.failNext = true;
  await store.flush();
  assert.equal(errors.length, 1);
  await store.flush();
  assert.equal(db.writes.length, 1);
  const batch = db.writes[0] ?? [];
  assert.equal(batch.length, 2, 'six changes of a@x became one row write');
  assert.ok(batch[0]?.op === 'upsert' && batch[0].binding.cseq === 6);
  assert.equal(a.state, 'sync');
});

test('load inserts persisted rows with their ids; already expired ones go on the next pass', async () => {
  const rows: PersistedBinding[] = [
    { aor: 'a@x', contactId: 42n, lastModifiedSec: T0 - 5, ...fields('sip:a@h', 60) },
    { aor: 'b@x', contactId: 43n, lastModifiedSec: T0 - 500, ...fields('sip:b@h', -100) },
  ];
  const db = new MemoryDb(rows);
  const store = new MemoryLocationStore({ clock: new FakeClock(), persistence: db, persistenceMode: 'write-through' });
  const events: LocationEvent[] = [];
  store.subscribe((e) => events.push(e));
  assert.equal(await store.load(), 2);
  assert.equal(store.findById('a@x', 42n)?.state, 'sync');
  assert.ok(events.every((e) => e.kind === 'insert' && e.origin === 'loaded'));
  assert.equal(db.writes.length, 0, 'loading writes nothing back');
  assert.equal(store.expire(), 1);
  await store.persisted();
  assert.deepEqual(db.writes, [[{ op: 'delete', aor: 'b@x', contactId: 43n }]]);
});

test('lookups stay right across an AoR emptied and filled again (the remembered last AoR is reset)', () => {
  const { store } = setup();
  const a = store.insert('a@x', fields('sip:a@h1', 60));
  assert.deepEqual(store.lookup('a@x'), [a]);
  store.remove(a);
  assert.deepEqual(store.lookup('a@x'), []);
  assert.equal(store.find('a@x', { contact: 'sip:a@h1' }), undefined);
  const b = store.insert('a@x', fields('sip:a@h2', 60));
  assert.deepEqual(store.lookup('a@x'), [b]);
  const c = store.insert('b@x', fields('sip:b@h', 60));
  assert.deepEqual(store.lookup('b@x'), [c]);
  assert.deepEqual(store.lookup('a@x'), [b]);
  assert.equal(store.removeAor('a@x'), 1);
  assert.deepEqual(store.lookup('a@x'), []);
  assert.equal(store.aorCount(), 1);
});

test('RFC 3261 §19.1.4 in Contact matching: an escaped reserved character does not refresh the binding of the unescaped one', () => {
  const { store } = setup();
  const semi = store.insert('a@x', fields('sip:a;b@192.0.2.1:5060', 60));
  assert.equal(store.find('a@x', { contact: 'sip:a%3Bb@192.0.2.1:5060' }), undefined);
  assert.equal(store.find('a@x', { contact: 'sip:a;b@192.0.2.1:5060' }), semi);
  const alice = store.insert('a@x', fields('sip:alice@192.0.2.1:5060', 60));
  assert.equal(store.find('a@x', { contact: 'sip:%61lice@192.0.2.1:5060' }), alice);
  // The string fallback (a stored contact the parser refuses) compares the same way.
  assert.equal(simpleUriEquals('sip:a%3Bb@192.0.2.1', 'sip:a;b@192.0.2.1'), false);
  assert.equal(simpleUriEquals('sip:%61lice@192.0.2.1', 'sip:alice@192.0.2.1'), true);
});

test('scan walks every binding a slice at a time, resumes where it stopped, and starts over after the end', () => {
  const { store } = setup();
  for (let i = 0; i < 5; i++) store.insert(`u${i}@x`, fields(`sip:u${i}@10.0.0.${i}`, 60));
  store.insert('u0@x', fields('sip:u0b@10.0.0.9', 60));
  const scan = store.scan();
  const seen: string[] = [];
  const visit = (b: { contact: string }): void => { seen.push(b.contact); };
  assert.equal(scan.next(4, visit), 4);
  assert.equal(scan.next(4, visit), 2, 'fewer than asked: the end');
  assert.deepEqual(seen, ['sip:u0@10.0.0.0', 'sip:u0b@10.0.0.9', 'sip:u1@10.0.0.1', 'sip:u2@10.0.0.2', 'sip:u3@10.0.0.3', 'sip:u4@10.0.0.4']);
  seen.length = 0;
  assert.equal(scan.next(2, visit), 2);
  assert.deepEqual(seen, ['sip:u0@10.0.0.0', 'sip:u0b@10.0.0.9'], 'a new round from the first binding');
  // Changes while walking: a removed AoR is skipped, a new one is met in this round.
  store.removeAor('u2@x');
  store.insert('u5@x', fields('sip:u5@10.0.0.5', 60));
  seen.length = 0;
  assert.equal(scan.next(10, visit), 4);
  assert.deepEqual(seen, ['sip:u1@10.0.0.1', 'sip:u3@10.0.0.3', 'sip:u4@10.0.0.4', 'sip:u5@10.0.0.5']);
  assert.equal(setup().store.scan().next(3, visit), 0, 'an empty store');
});

test('scan left halfway through an AoR visits every binding still there, whatever was removed or added in that AoR meanwhile', () => {
  const store = new MemoryLocationStore({ clock: new FakeClock() });
  const f = (i: number): BindingFields => ({ contact: `sip:u${i}@10.0.0.${i}:5060`, expiresSec: 1_700_003_600, callId: `c${i}@x`, cseq: 1 });
  const a = store.insert('x@d', f(1));
  store.insert('x@d', f(2));
  store.insert('x@d', f(3));
  const scan = store.scan();
  const seen: string[] = [];
  const visit = (b: { contact: string }): void => { seen.push(b.contact); };
  scan.next(1, visit);
  // An un-REGISTER (or the expiry sweep) of the binding just visited splices the AoR's list.
  store.remove(a);
  scan.next(10, visit);
  assert.deepEqual(seen, ['sip:u1@10.0.0.1:5060', 'sip:u2@10.0.0.2:5060', 'sip:u3@10.0.0.3:5060']);
  // A binding removed before its turn is not visited.
  const s2 = store.scan();
  const seen2: string[] = [];
  s2.next(1, (b) => { seen2.push(b.contact); });
  const third = store.lookup('x@d').find((b) => b.contact.startsWith('sip:u3'));
  assert.ok(third !== undefined && store.remove(third));
  s2.next(10, (b) => { seen2.push(b.contact); });
  assert.deepEqual(seen2, ['sip:u2@10.0.0.2:5060']);
});

test('ownedHere: a binding inserted or updated from another node (origin replicated) is not this node\'s; local and loaded ones are', () => {
  const store = new MemoryLocationStore({ clock: new FakeClock() });
  const f = (i: number): BindingFields => ({ contact: `sip:u${i}@10.0.0.${i}:5060`, expiresSec: 1_700_003_600, callId: `c${i}@x`, cseq: i });
  const mine = store.insert('x@d', f(1));
  const theirs = store.insert('y@d', f(2), { origin: 'replicated' });
  assert.equal(store.ownedHere(mine), true);
  assert.equal(store.ownedHere(theirs), false);
  // The phone re-registers here: the refreshed binding is ours.
  assert.equal(store.ownedHere(store.update(theirs, f(3))), true);
  assert.equal(store.ownedHere(store.update(mine, f(4), { origin: 'replicated' })), false);
});
