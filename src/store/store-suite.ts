import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore, type OpenedStore } from './open-store.ts';
import { createOpenSipsDatabase } from './opensips-fixture.ts';
import type { AccRecord } from './acc-repo.ts';
import type { EngineUnderTest, FreshDatabase } from './test-databases.ts';

/**
 * The storage test suite, run unchanged against every engine (sqlite.test.ts, postgres.test.ts,
 * mysql.test.ts). Every test works in a database of its own, dropped afterwards.
 */
export function storeSuite(name: string, engine: () => EngineUnderTest, skip: false | string): void {
  describe(`store on ${name}`, { skip }, () => {
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => { for (const c of cleanups.reverse()) await c(); });

    async function fresh(): Promise<FreshDatabase> {
      const db = await engine().fresh();
      cleanups.push(() => db.drop());
      return db;
    }
    async function open(db: FreshDatabase, migrate = true): Promise<OpenedStore> {
      const s = await openStore(db.url, { baseDir: db.baseDir, migrate });
      cleanups.push(() => s.close());
      return s;
    }
    async function versions(s: OpenedStore): Promise<Record<string, number>> {
      const rows = await s.db.selectFrom('version').selectAll().execute();
      return Object.fromEntries(rows.map((r) => [r.table_name.trimEnd(), Number(r.table_version)]));
    }

    it('migrates an empty database to the OpenSIPS tables at their versions', async () => {
      const s = await open(await fresh());
      assert.deepEqual(s.migration?.applied, ['opensips-tables', 'acc-idempotency-key', 'acc-cdr-columns']);
      assert.deepEqual(s.migration?.adopted, []);
      assert.deepEqual(await versions(s), { subscriber: 8, location: 1013, clusterer: 4, acc: 7 });
    });

    it('does nothing when migrating an already migrated database', async () => {
      const db = await fresh();
      const first = await open(db);
      await first.subscribers.add('alice', 'example.com', 'pw');
      await first.close();
      const again = await open(db);
      assert.deepEqual(again.migration?.applied, []);
      assert.deepEqual((await again.migrate()).applied, []);
      assert.equal((await again.subscribers.list()).length, 1);
      assert.deepEqual(await versions(again), { subscriber: 8, location: 1013, clusterer: 4, acc: 7 });
    });

    it('lets nodes opening one empty database together migrate it once', async () => {
      const db = await fresh();
      // One process holds one SQLite connection per file; separate processes would wait on the lock.
      const n = engine().dialect === 'sqlite' ? 1 : 4;
      const stores = await Promise.all(Array.from({ length: n }, () => open(db)));
      const applied = stores.map((s) => s.migration?.applied.length ?? -1).sort();
      assert.deepEqual(applied, [...Array<number>(n - 1).fill(0), 3]);
      assert.deepEqual(await versions(stores[0]!), { subscriber: 8, location: 1013, clusterer: 4, acc: 7 });
    });

    it('adopts a database OpenSIPS created, keeping its rows and versions', async () => {
      const db = await fresh();
      const raw = await open(db, false);
      await createOpenSipsDatabase(raw.db, raw.dialect);
      await raw.close();
      const s = await open(db);
      assert.deepEqual([...(s.migration?.adopted ?? [])].sort(), ['acc', 'clusterer', 'location', 'subscriber']);
      assert.deepEqual(await versions(s), { subscriber: 8, location: 1013, clusterer: 4, acc: 7 });
      const nodes = await s.clusterer.list();
      assert.equal(nodes.length, 1);
      assert.equal(nodes[0]?.flags, 'seed');
      // OpenSIPS's per-transaction rows sharing one key stay valid next to our idempotent writes.
      const opensipsRows = await s.acc.listByCallid('dup-call');
      assert.equal(opensipsRows.length, 2);
      // Migration 3 added the CDR columns to OpenSIPS's table; its own rows read them as empty.
      assert.deepEqual(opensipsRows.map((r) => [r.srcUser, r.dstDomain, r.nodeId]), [['', '', 0], ['', '', 0]]);
      const once = await s.acc.insertOnce(cdr({ callid: 'dup-call', fromTag: 'ft', toTag: 'tt' }));
      assert.equal(once.inserted, true);
      assert.equal((await s.acc.insertOnce(cdr({ callid: 'dup-call', fromTag: 'ft', toTag: 'tt' }))).id, once.id);
      await s.subscribers.add('bob', 'example.com', 'secret');
      assert.equal((await s.subscribers.get('bob', 'example.com'))?.ha1, md5('bob:example.com:secret'));
    });

    it('refuses a pre-3.2 subscriber table with STORE_SCHEMA_MISMATCH', async () => {
      const db = await fresh();
      const raw = await open(db, false);
      await createOpenSipsDatabase(raw.db, raw.dialect, { subscriberVersion: 7 });
      await raw.close();
      await assert.rejects(openStore(db.url, { baseDir: db.baseDir }),
        (e: Error & { code?: string }) => e.code === 'STORE_SCHEMA_MISMATCH' && /ha1_sha256/.test(e.message));
    });

    it('subscribers: add computes the HA1 hashes; get, list, remove; duplicates refused', async () => {
      const s = await open(await fresh());
      const a = await s.subscribers.add('alice', 'example.com', 'pw1');
      assert.equal(a.ha1, md5('alice:example.com:pw1'));
      assert.equal(a.ha1Sha256, createHash('sha256').update('alice:example.com:pw1').digest('hex'));
      assert.equal(a.ha1Sha512t256, createHash('sha512-256').update('alice:example.com:pw1').digest('hex'));
      assert.equal(a.password, '');
      const b = await s.subscribers.add('bob', 'other.org', 'pw2', { realm: 'realm.org', storePlainPassword: true });
      assert.equal(b.ha1, md5('bob:realm.org:pw2'));
      assert.equal(b.password, 'pw2');
      await assert.rejects(s.subscribers.add('alice', 'example.com', 'x'), { code: 'STORE_SUBSCRIBER_EXISTS' });
      await assert.rejects(s.subscribers.add('', 'example.com', 'x'), { code: 'STORE_VALUE_INVALID' });
      assert.deepEqual((await s.subscribers.list()).map((x) => `${x.username}@${x.domain}`), ['alice@example.com', 'bob@other.org']);
      assert.deepEqual((await s.subscribers.list('other.org')).map((x) => x.username), ['bob']);
      assert.equal(await s.subscribers.remove('alice', 'example.com'), true);
      assert.equal(await s.subscribers.remove('alice', 'example.com'), false);
      assert.equal(await s.subscribers.get('alice', 'example.com'), undefined);
    });

    it('location: upsert by AOR+contact or by contact id, 64-bit ids, delete, deleteExpired', async () => {
      const s = await open(await fresh());
      const base = { username: 'alice', domain: 'example.com', contact: 'sip:alice@10.0.0.5:5060', callid: 'c1', cseq: 1 };
      const id = await s.locations.upsert({ ...base, expires: 1000, q: 0.5, lastModified: new Date('2024-05-06T07:08:09Z') });
      const same = await s.locations.upsert({ ...base, expires: 2000, cseq: 2 });
      assert.equal(same, id);
      const big = (1n << 60n) + 12345n; // OpenSIPS packs labels into contact_id: beyond 2^53
      await s.locations.upsert({ ...base, contactId: big, contact: 'sip:alice@10.0.0.6', expires: 0, userAgent: 'ua', kvStore: '{"a":1}' });
      await s.locations.upsert({ ...base, contactId: big, contact: 'sip:alice@10.0.0.6', expires: 0, cseq: 7, userAgent: 'ua' });
      await s.locations.upsert({ username: 'bob', contact: 'sip:bob@h', expires: 500, callid: 'c2', cseq: 1 });
      const all = await s.locations.loadAll();
      assert.equal(all.length, 3);
      const first = all.find((c) => c.contactId === id);
      assert.equal(first?.expires, 2000);
      assert.equal(first?.cseq, 2);
      const bigRow = all.find((c) => c.contactId === big);
      assert.equal(bigRow?.cseq, 7);
      assert.equal(bigRow?.userAgent, 'ua');
      assert.equal(all.find((c) => c.username === 'bob')?.domain, null);
      assert.equal(await s.locations.deleteExpired(1500), 1); // bob (500); permanent and 2000 stay
      assert.equal(await s.locations.delete(big), true);
      assert.equal(await s.locations.delete(big), false);
      assert.deepEqual((await s.locations.loadAll()).map((c) => c.contactId), [id]);
    });

    it('location keeps q and last_modified exactly', async () => {
      const s = await open(await fresh());
      const when = new Date('2024-05-06T07:08:09Z');
      await s.locations.upsert({ username: 'u', contact: 'sip:u@h', expires: 9, callid: 'c', cseq: 1, q: 0.7, lastModified: when });
      const [row] = await s.locations.loadAll();
      assert.equal(row?.q, 0.7);
      assert.equal(row?.lastModified.toISOString(), when.toISOString());
    });

    it('location keeps a q of three decimals (RFC 3261 §25.1 qvalue = "0" ["." 0*3DIGIT])', async () => {
      const s = await open(await fresh());
      const when = new Date('2024-05-06T07:08:09Z');
      for (const [contact, q] of [['sip:u@h1', 0.125], ['sip:u@h2', 0.121], ['sip:u@h3', 0.128], ['sip:u@h4', 0.001]] as const) {
        await s.locations.upsert({ username: 'u', contact, expires: 9, callid: 'c', cseq: 1, q, lastModified: when });
      }
      const rows = await s.locations.loadAll();
      assert.deepEqual(rows.map((r) => [r.contact, r.q]).sort(), [['sip:u@h1', 0.125], ['sip:u@h2', 0.121], ['sip:u@h3', 0.128], ['sip:u@h4', 0.001]]);
    });

    it('clusterer: add with OpenSIPS defaults, list by cluster, remove', async () => {
      const s = await open(await fresh());
      const id = await s.clusterer.add({ clusterId: 1, nodeId: 2, url: 'bin:127.0.0.1:5567' });
      await s.clusterer.add({ clusterId: 1, nodeId: 1, url: 'bin:127.0.0.1:5566', flags: 'seed', priority: 10 });
      await s.clusterer.add({ clusterId: 2, nodeId: 1, url: 'bin:127.0.0.1:5568', state: 0, sipAddr: '127.0.0.1:5060' });
      const c1 = await s.clusterer.list(1);
      assert.deepEqual(c1.map((n) => n.nodeId), [1, 2]);
      assert.deepEqual(c1[1], {
        id, clusterId: 1, nodeId: 2, url: 'bin:127.0.0.1:5567', state: 1, noPingRetries: 3, priority: 50,
        sipAddr: null, flags: null, description: null,
      });
      assert.equal((await s.clusterer.list()).length, 3);
      await assert.rejects(s.clusterer.add({ clusterId: 1, nodeId: 2, url: 'bin:x:1' })); // clusterer_idx
      assert.equal(await s.clusterer.remove(1, 2), true);
      assert.equal(await s.clusterer.remove(1, 2), false);
      assert.equal((await s.clusterer.list(1)).length, 1);
    });

    it('acc: insert returns the id; records read back intact', async () => {
      const s = await open(await fresh());
      const rec = cdr({ callid: 'call-1', created: new Date('2024-01-01T00:00:10Z') });
      const id1 = await s.acc.insert(rec);
      const id2 = await s.acc.insert(rec); // plain insert: OpenSIPS semantics, no dedup
      assert.notEqual(id1, id2);
      assert.deepEqual(await s.acc.get(id1), { ...rec, id: id1 });
      assert.equal(await s.acc.get(id2 + 1000), undefined);
    });

    it('acc: insertOnce is idempotent on (callid, from_tag, to_tag)', async () => {
      const s = await open(await fresh());
      const a = await s.acc.insertOnce(cdr({ callid: 'k1' }));
      const b = await s.acc.insertOnce(cdr({ callid: 'k1', duration: 99 }));
      const c = await s.acc.insertOnce(cdr({ callid: 'k1', toTag: 'other' }));
      assert.deepEqual(b, { id: a.id, inserted: false });
      assert.equal(a.inserted, true);
      assert.equal(c.inserted, true);
      assert.equal((await s.acc.listByCallid('k1')).length, 2);
      assert.equal((await s.acc.get(a.id))?.duration, 60);
    });

    it('acc: racing insertOnce of one key from two pools gives one row', async () => {
      const db = await fresh();
      const s1 = await open(db);
      // SQLite: one process serialises writers on one connection; servers get a second pool.
      const s2 = s1.dialect === 'sqlite' ? s1 : await open(db);
      const tries = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? s1 : s2).acc.insertOnce(cdr({ callid: 'race' })));
      const results = await Promise.all(tries);
      assert.equal(results.filter((r) => r.inserted).length, 1);
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      const n = await s1.db.selectFrom('acc').select(sql<string>`count(*)`.as('n')).where('callid', '=', 'race').executeTakeFirstOrThrow();
      assert.equal(Number(n.n), 1);
    });
  });
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function cdr(over: Partial<AccRecord> = {}): AccRecord {
  return {
    method: 'INVITE', fromTag: 'from-1', toTag: 'to-1', callid: 'call', sipCode: '200', sipReason: 'OK',
    time: new Date('2024-01-01T00:00:00Z'), duration: 60, msDuration: 60_250, setuptime: 2, created: null,
    srcUser: 'alice', srcDomain: 'example.com', dstUser: 'bob', dstDomain: 'example.org', nodeId: 2,
    ...over,
  };
}
