/**
 * Talking cluster, use case 4 (examples/central-cdr) end to end: three real node processes; a
 * SIPp UAS registered on nodes 2 and 3, two SIPp UACs calling it through node 2 and node 3. Node
 * 1, the only node with a database, is SIGKILLed while calls end and restarted on the same
 * database; nodes 2 and 3 spool meanwhile and deliver when it is back. At the end the acc table
 * holds exactly one row per call: none lost, none doubled. SQLite always; PostgreSQL and MariaDB
 * too when SIPCLUSTER_TEST_PG_URL / SIPCLUSTER_TEST_MYSQL_URL are set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openStore } from '../../src/store/open-store.ts';
import { mysqlEngine, postgresEngine, sqliteEngine, type EngineUnderTest, type FreshDatabase } from '../../src/store/test-databases.ts';
import { ExampleCluster } from '../support/example-cluster.ts';
import { waitFor } from '../support/node-process.ts';
import { freePort } from '../support/ports.ts';
import { envOrSkip } from '../support/vectors.ts';
import { runSipp, skipWithoutSipp, startSippServer, type SippResult } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));
/** Calls per UAC (one UAC through node 2, one through node 3). */
const CALLS_PER_UAC = 15;
const CALLS = 2 * CALLS_PER_UAC;

interface SpoolInfo { role: string; state: string; count: number; bytes: number; in_flight: number; oldest: string | null }

const pg = envOrSkip('SIPCLUSTER_TEST_PG_URL');
const my = envOrSkip('SIPCLUSTER_TEST_MYSQL_URL');
const sipp = skipWithoutSipp();
const engines: Array<{ name: string; engine: () => EngineUnderTest; skip: false | string }> = [
  { name: 'SQLite', engine: sqliteEngine, skip: sipp },
  { name: 'PostgreSQL', engine: () => postgresEngine(pg.value ?? ''), skip: sipp || pg.skip },
  { name: 'MariaDB', engine: () => mysqlEngine(my.value ?? ''), skip: sipp || my.skip },
];

for (const { name, engine, skip } of engines) {
  describe(`talking cluster: a central database node (${name})`, { skip }, () => {
    let db: FreshDatabase;
    let storeUrl = '';
    const cluster = new ExampleCluster({
      example: 'central-cdr',
      prefixes: { sip: '511', bin: '561', mi: '892' },
      // Node 1 writes to this run's database; spools land in the run's temp folder (relative paths).
      edit: (text, i) => (i === 1 ? text.replace('store: { url: "sqlite:central-cdr-acc.db" }', `store: { url: ${JSON.stringify(storeUrl)} }`) : text)
        .replace('  allowNetworks:', '  pingIntervalMs: 500\n  pingTimeoutMs: 1000\n  allowNetworks:'),
    });
    const show = (r: SippResult) => cluster.show(r);
    const spoolOf = async (i: number) => (await cluster.mi(i, 'cdr:spool')).result as SpoolInfo;
    const stat = async (i: number, s: string) => Number(((await cluster.mi(i, 'statistics:get', { statistics: [s] })).result as Record<string, number>)[s] ?? 0);

    before(async () => {
      db = await engine().fresh();
      // SQLite: a file in the run's folder; servers: a fresh database of their own.
      storeUrl = db.url.startsWith('sqlite:') ? `sqlite:${join(db.baseDir, 'acc.db')}` : db.url;
      await cluster.startAll(3);
    });
    after(async () => {
      await cluster.stop();
      await db.drop();
    });

    test(`${CALLS} calls through nodes 2 and 3 while node 1 is killed and restarted: exactly one acc row per call`, async (t) => {
      const uasPort = await freePort();
      const csv = join(cluster.dir, 'callee.csv');
      writeFileSync(csv, 'SEQUENTIAL\ncallee;none;\n');
      // The callee registers on node 2 and on node 3 from the port its UAS will listen on.
      for (const i of [1, 2]) {
        const reg = await runSipp({ scenario: join(scenarios, 'register.xml'), target: cluster.sipOf(i), calls: 1, rate: 1, localPort: uasPort, injectionFile: csv });
        assert.equal(reg.successful, 1, show(reg));
      }
      const uas = await startSippServer({
        scenario: join(scenarios, 'uas-call.xml'), target: cluster.sipOf(1), calls: CALLS, localPort: uasPort,
        timeoutMs: 120_000, extraArgs: ['-l', '1000'],
      });
      const uac = (i: number) => runSipp({
        scenario: join(scenarios, 'uac-call.xml'), target: cluster.sipOf(i), calls: CALLS_PER_UAC, rate: 3, service: 'callee',
        pauseMs: 1000, timeoutMs: 90_000,
      });
      const uacs = Promise.all([uac(1), uac(2)]);

      // Once node 1 has written a few CDRs, kill it (no goodbye, no flush) and restart it 2 s later.
      await waitFor('node 1 to write its first CDRs', async () => ((await stat(0, 'cdr:written')) >= 4 ? true : undefined), 30_000, 50);
      const first = cluster.nodes[0];
      first?.child.kill('SIGKILL');
      await first?.exited;
      await new Promise((r) => setTimeout(r, 2000));
      await cluster.start(1);
      await cluster.allUp(3);

      const [u2, u3] = await uacs;
      assert.equal(u2.successful, CALLS_PER_UAC, show(u2));
      assert.equal(u3.successful, CALLS_PER_UAC, show(u3));
      const u = await uas.stop(5000);
      assert.equal(u.successful, CALLS, show(u));

      // Both senders drain their spools once node 1 answers again.
      for (const i of [1, 2]) {
        await waitFor(`node ${i + 1}'s spool to drain`, async () => {
          const s = await spoolOf(i);
          return s.count === 0 && s.in_flight === 0 ? s : undefined;
        }, 60_000, 200).catch((e: unknown) => assert.fail(`${String(e)}\n${cluster.logs()}`));
      }
      const spooled = [await stat(1, 'cdr:spooled'), await stat(2, 'cdr:spooled')];
      const delivered = [await stat(1, 'cdr:delivered'), await stat(2, 'cdr:delivered')];
      const retries = (await stat(1, 'cdr:retries')) + (await stat(2, 'cdr:retries'));
      assert.deepEqual(spooled, [CALLS_PER_UAC, CALLS_PER_UAC]);
      assert.deepEqual(delivered, [CALLS_PER_UAC, CALLS_PER_UAC]);
      // The outage was real: some deliveries failed and were retried.
      assert.ok(retries > 0, `no delivery was retried: node 1 was not missed\n${cluster.logs()}`);
      assert.equal((await stat(1, 'cdr:spool_refused')) + (await stat(2, 'cdr:spool_refused')), 0);
      t.diagnostic(`delivery retries on nodes 2+3: ${retries}; node 1 after restart: ${await stat(0, 'cdr:written')} written, ${await stat(0, 'cdr:duplicates')} duplicates answered`);

      const store = await openStore(storeUrl, { baseDir: cluster.dir, migrate: false });
      try {
        const rows = await store.db.selectFrom('acc').selectAll().orderBy('id').execute();
        const byNode = new Map<number, number>();
        for (const r of rows) byNode.set(Number(r.node_id), (byNode.get(Number(r.node_id)) ?? 0) + 1);
        assert.equal(rows.length, CALLS, `acc rows: ${rows.map((r) => `${r.id}:${r.callid}`).join(' ')}`);
        assert.equal(new Set(rows.map((r) => r.callid.trimEnd())).size, CALLS, 'one row per Call-ID');
        assert.deepEqual([...byNode.entries()].sort(), [[2, CALLS_PER_UAC], [3, CALLS_PER_UAC]]);
        for (const r of rows) {
          assert.equal(r.src_user.trimEnd(), 'sipp');
          assert.equal(r.src_domain.trimEnd(), '127.0.0.1');
          assert.equal(r.dst_user.trimEnd(), 'callee');
          assert.equal(r.method.trimEnd(), 'INVITE');
          assert.equal(r.sip_code.trimEnd(), '200');
          assert.ok(r.from_tag.trimEnd() !== '' && r.to_tag.trimEnd() !== '', `tags of ${r.callid}`);
          // -d 1000: the call lasts the pause plus a round trip, never less.
          assert.ok(Number(r.ms_duration) >= 950 && Number(r.ms_duration) < 10_000, `ms_duration ${r.ms_duration}`);
        }
        const keys = await store.db.selectFrom('sipcluster_acc_key').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(keys.n), CALLS);
      } finally {
        await store.close();
      }
    });
  });
}
