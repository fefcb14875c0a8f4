import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipWithoutVectors, vectorsDir } from '../../../test/support/vectors.ts';
import { MemoryLocationStore } from './memory-location-store.ts';
import { UL_ADD_CALL_ID, UL_ADD_USER_AGENT, ulAdd, ulDump, ulRm, ulRmContact, ulShowContact } from './usrloc-mi.ts';
import type { UlAddParams } from './usrloc-mi.ts';
import type { LocationEvent } from './location-store.ts';
import type { LocationPersistence, PersistedBinding, PersistenceChange } from './ports.ts';

const skip = skipWithoutVectors('opensips-bin');

function readVectorJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(vectorsDir('opensips-bin') as string, 'mi', name), 'utf8')) as Record<string, unknown>;
}

function aliceStore() {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  const now = Math.floor(clock.wallMs() / 1000);
  // The REGISTER OpenSIPS saw in the vector lab, replayed with the same fields and contact id.
  store.insert('alice@127.0.0.1', {
    contact: 'sip:alice@127.0.0.1:33140', expiresSec: now + 60, callId: '6ff53e5f25d0e993@probe', cseq: 1,
    socket: 'udp:127.0.0.1:5071',
  }, { contactId: 3107413374141466968n });
  return { clock, store };
}

test('ul_dump matches OpenSIPS 4.0 shapes, empty and with alice', { skip }, () => {
  const empty = new MemoryLocationStore({ clock: new FakeClock() });
  assert.deepEqual(ulDump(empty, new FakeClock()), readVectorJson('node1-ul_dump.json').result);
  const { clock, store } = aliceStore();
  assert.deepEqual(ulDump(store, clock), readVectorJson('node1-ul_dump-alice.json').result);
});

test('ul_show_contact: found (4 s later), 404 AOR not found, 400 Domain missing in AOR', { skip }, () => {
  const { clock, store } = aliceStore();
  clock.advance(4_000);
  const r = ulShowContact(store, clock, 'location', 'alice@127.0.0.1');
  assert.ok(r.ok);
  assert.deepEqual(r.value, readVectorJson('node1-ul_show_contact-alice.json').result);
  const unknown = ulShowContact(store, clock, 'location', 'nobody@127.0.0.1');
  assert.ok(!unknown.ok);
  const wire = readVectorJson('node1-ul_show_contact-unknown.json').error as { code: number; message: string };
  assert.deepEqual({ code: unknown.error.rpcCode, message: unknown.error.message }, wire);
  const noDomain = ulShowContact(store, clock, 'location', 'alice');
  assert.ok(!noDomain.ok && noDomain.error.rpcCode === 400 && noDomain.error.message === 'Domain missing in AOR');
});

test('ul_rm removes the AoR and answers "OK", as the vector; again "OK" (OpenSIPS: delete_urecord of a missing AoR succeeds)', { skip }, () => {
  const { clock, store } = aliceStore();
  const events: string[] = [];
  store.subscribe((e) => events.push(`${e.kind}:${'origin' in e ? e.origin : ''}`));
  const r = ulRm(store, 'location', 'alice@127.0.0.1');
  assert.ok(r.ok);
  assert.equal(r.value, readVectorJson('node1-ul_rm-alice.json').result);
  assert.deepEqual(events, ['delete:admin']);
  assert.equal(store.aorCount(), 0);
  const again = ulRm(store, 'location', 'alice@127.0.0.1');
  assert.ok(again.ok && again.value === 'OK');
  assert.deepEqual(events, ['delete:admin'], 'nothing more removed');
  const table = ulShowContact(store, clock, 'aliases', 'alice@127.0.0.1');
  assert.ok(!table.ok && table.error.code === 'SIP_REG_TABLE_NOT_FOUND');
});

test('ul_dump brief lists the AoR names only (OpenSIPS w_mi_usrloc_dump_1)', () => {
  const { clock, store } = aliceStore();
  assert.deepEqual(ulDump(store, clock, true), { Domains: [{ name: 'location', hash_size: 512, AORs: [{ AOR: 'alice@127.0.0.1' }] }] });
});

test('ul_rm_contact removes one contact named as ul_dump shows it; 404 AOR not found / Contact not found (mi_usrloc_rm_contact)', () => {
  const { clock, store } = aliceStore();
  const now = Math.floor(clock.wallMs() / 1000);
  store.insert('alice@127.0.0.1', { contact: 'sip:alice@192.0.2.9:5060', expiresSec: now + 60, callId: 'c2', cseq: 1 });
  const events: string[] = [];
  store.subscribe((e) => events.push(`${e.kind}:${'origin' in e ? e.origin : ''}`));
  const missingContact = ulRmContact(store, 'location', 'alice@127.0.0.1', 'sip:alice@192.0.2.10:5060');
  assert.ok(!missingContact.ok && missingContact.error.rpcCode === 404 && missingContact.error.message === 'Contact not found');
  const missingAor = ulRmContact(store, 'location', 'bob@127.0.0.1', 'sip:bob@192.0.2.9');
  assert.ok(!missingAor.ok && missingAor.error.message === 'AOR not found');
  const r = ulRmContact(store, 'location', 'alice@127.0.0.1', 'sip:alice@192.0.2.9:5060');
  assert.ok(r.ok && r.value === 'OK');
  assert.deepEqual(store.lookup('alice@127.0.0.1').map((b) => b.contact), ['sip:alice@127.0.0.1:33140']);
  assert.deepEqual(events, ['delete:admin']);
});

// ---- usrloc:add (OpenSIPS mi_usrloc_add) ----

const addParams = (over: Partial<UlAddParams> = {}): UlAddParams => ({
  tableName: 'location', aor: 'bob@Example.COM', contact: 'sip:bob@192.0.2.7:5060', expires: 120, q: '0.5',
  flags: 0, cflags: '0', methods: 4294967295, ...over,
});

class RecordingDb implements LocationPersistence {
  writes: PersistenceChange[][] = [];
  async *load(): AsyncIterable<PersistedBinding> { /* no rows */ }
  async write(changes: readonly PersistenceChange[]): Promise<void> { this.writes.push([...changes]); }
}

test('ul_add inserts a binding through the store: an admin insert event, written through, shown by ul_show_contact', async () => {
  const clock = new FakeClock();
  const db = new RecordingDb();
  const store = new MemoryLocationStore({ clock, persistence: db, persistenceMode: 'write-through' });
  const events: LocationEvent[] = [];
  store.subscribe((e) => events.push(e));
  const r = ulAdd(store, clock, addParams());
  assert.deepEqual(r, { ok: true, value: 'OK' });
  assert.deepEqual(events.map((e) => [e.kind, 'origin' in e ? e.origin : '']), [['insert', 'admin']]);
  const [b] = store.lookup('bob@example.com');
  assert.ok(b, 'keyed as the REGISTER path keys it: domain lower-cased');
  const now = Math.floor(clock.wallMs() / 1000);
  assert.deepEqual([b.contact, b.expiresSec, b.q, b.cseq, b.callId, b.userAgent, b.methods, b.cflags], [
    'sip:bob@192.0.2.7:5060', now + 120, 500, 1, UL_ADD_CALL_ID, UL_ADD_USER_AGENT, 4294967295, '',
  ]);
  await store.persisted();
  assert.deepEqual(db.writes.map((w) => w.map((c) => c.op)), [['upsert']]);
  const shown = ulShowContact(store, clock, 'location', 'bob@example.com');
  assert.ok(shown.ok && shown.value.Contacts?.[0]?.Expires === 120 && shown.value.Contacts[0].Q === '0.5');
});

test('ul_add of a contact written exactly as an existing one updates it (id and CSeq kept); expires 0 makes it permanent', () => {
  const { clock, store } = aliceStore();
  const [before] = store.lookup('alice@127.0.0.1');
  assert.ok(before);
  const events: LocationEvent[] = [];
  store.subscribe((e) => events.push(e));
  assert.ok(ulAdd(store, clock, addParams({ aor: 'alice@127.0.0.1', contact: 'sip:alice@127.0.0.1:33140', expires: 0, q: 1, flags: 4, cflags: 'NAT_FLAG' })).ok);
  assert.deepEqual(events.map((e) => [e.kind, 'origin' in e ? e.origin : '']), [['update', 'admin']]);
  const all = store.lookup('alice@127.0.0.1');
  assert.equal(all.length, 1);
  const [b] = all;
  assert.ok(b);
  assert.deepEqual([b.contactId, b.cseq, b.permanent, b.q, b.flags, b.cflags], [before.contactId, before.cseq, true, 1000, 4, 'NAT_FLAG']);
  assert.equal(ulDump(store, clock).Domains[0]?.AORs[0]?.Contacts?.[0]?.Expires, 'permanent');
  // written another way: another contact, as OpenSIPS's get_simple_ucontact compares the string
  assert.ok(ulAdd(store, clock, addParams({ aor: 'alice@127.0.0.1', contact: 'sip:alice@127.0.0.1:33141' })).ok);
  assert.equal(store.lookup('alice@127.0.0.1').length, 2);
});

test('ul_add refuses bad values with 400 SIP_REG_MI_BAD_VALUE, a wrong table or AoR as the other usrloc methods; nothing stored', () => {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  const bad: Array<Partial<UlAddParams>> = [
    { contact: 'tel:+15551234' }, { contact: 'bob at home' }, { contact: '' },
    { expires: -1 }, { expires: 1.5 },
    { q: '1.5' }, { q: '-0.1' }, { q: 'high' }, { q: '' }, { q: 2 },
    { flags: -1 }, { methods: 2 ** 32 },
  ];
  for (const over of bad) {
    const r = ulAdd(store, clock, addParams(over));
    assert.ok(!r.ok && r.error.rpcCode === 400 && r.error.code === 'SIP_REG_MI_BAD_VALUE', JSON.stringify(over));
    assert.match(r.error.message, /^Bad parameter value/);
  }
  const table = ulAdd(store, clock, addParams({ tableName: 'other' }));
  assert.ok(!table.ok && table.error.code === 'SIP_REG_TABLE_NOT_FOUND');
  const domain = ulAdd(store, clock, addParams({ aor: 'bob' }));
  assert.ok(!domain.ok && domain.error.code === 'SIP_REG_DOMAIN_MISSING');
  assert.equal(store.contactCount(), 0);
  assert.ok(ulAdd(store, clock, addParams({ contact: 'sips:bob@example.com;transport=tls', q: 0 })).ok, 'sips: and q 0 are fine');
});

test('ul_add of a contact whose binding expired but was not swept yet: one live binding with the new expiry; the dead one goes as an expire event', () => {
  const { clock, store } = aliceStore();
  const [dead] = store.lookup('alice@127.0.0.1');
  assert.ok(dead);
  clock.advance(61_000); // past its 60 s, before any expiry pass
  assert.equal(store.lookup('alice@127.0.0.1').length, 0, 'lookup already hides it');
  const events: LocationEvent[] = [];
  store.subscribe((e) => events.push(e));
  assert.ok(ulAdd(store, clock, addParams({ aor: 'alice@127.0.0.1', contact: 'sip:alice@127.0.0.1:33140', expires: 300 })).ok);
  // OpenSIPS VALID_CONTACT: an expired contact is not one to update; the expiry it missed is seen
  // by listeners (a replicator, the expired-contacts counter) before the new binding.
  assert.deepEqual(events.map((e) => [e.kind, 'origin' in e ? e.origin : '', e.binding.contactId === dead.contactId]), [
    ['expire', '', true], ['insert', 'admin', false],
  ]);
  assert.equal(store.contactCount(), 1, 'no duplicate left for the sweep');
  const live = store.lookup('alice@127.0.0.1');
  assert.equal(live.length, 1);
  const now = Math.floor(clock.wallMs() / 1000);
  assert.equal(live[0]?.expiresSec, now + 300);
  assert.equal(live[0]?.cseq, 1, 'a new contact: MI_UL_CSEQ, nothing carried over from the dead one');
  // A REGISTER refreshing that contact finds the live binding, not a dead copy.
  assert.equal(store.find('alice@127.0.0.1', { contact: 'sip:alice@127.0.0.1:33140' }), live[0]);
  assert.equal(store.expire(), 0, 'nothing left for the sweep');
});

test('ul_add refuses contact flags given as a bit value (400 SIP_REG_MI_CFLAGS_NUMERIC): the cflags column holds names, and no table maps bits to names', () => {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  for (const cflags of ['4', '4294967296', 'NAT_FLAG,8', ' 16']) {
    const r = ulAdd(store, clock, addParams({ cflags }));
    assert.ok(!r.ok && r.error.rpcCode === 400 && r.error.code === 'SIP_REG_MI_CFLAGS_NUMERIC', cflags);
    assert.match(r.error.message, /^Bad parameter value: cflags/);
  }
  assert.equal(store.contactCount(), 0, 'no binding with digits for flag names');
  // 0 is "no flags" in either form; names are stored as given (OpenSIPS bitmask_to_flag_list's form).
  assert.ok(ulAdd(store, clock, addParams({ cflags: '0' })).ok);
  assert.equal(store.lookup('bob@example.com')[0]?.cflags, '');
  assert.ok(ulAdd(store, clock, addParams({ cflags: 'NAT_FLAG,SIPPING_FLAG' })).ok);
  assert.equal(store.lookup('bob@example.com')[0]?.cflags, 'NAT_FLAG,SIPPING_FLAG');
});
