import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipWithoutVectors, vectorsDir } from '../../../test/support/vectors.ts';
import { MemoryLocationStore } from './memory-location-store.ts';
import { ulDump, ulRm, ulRmContact, ulShowContact } from './usrloc-mi.ts';

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
