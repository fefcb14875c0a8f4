/**
 * db_mode 1 with real processes: the node list is OpenSIPS's `clusterer` table. Three rows → three
 * nodes Up; a fourth row + `clusterer:reload` → the others list node 4 before it even runs, and it
 * comes Up once started; its row removed + reload (after it stopped, since a running node is
 * re-learned over the wire) → it is gone from every `clusterer:list`. SQLite always (one file the
 * processes share); MariaDB and PostgreSQL when their server URLs are set, one fresh database each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.ts';
import { envOrSkip } from '../support/vectors.ts';
import { mi, tempDir, waitFor, writeConfig } from '../support/node-process.ts';
import { openStore } from '../../src/store/open-store.ts';
import { mysqlEngine, postgresEngine, sqliteEngine } from '../../src/store/test-databases.ts';
import type { EngineUnderTest } from '../../src/store/test-databases.ts';
import { listNodes, Procs } from './cluster-support.ts';

const UP_DEADLINE_MS = 30_000;
const DOWN_DEADLINE_MS = 15_000;

interface Planned { readonly id: number; readonly binPort: number; readonly miUrl: string; readonly file: string }

async function plan(dir: string, storeUrl: string): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const id of [1, 2, 3, 4]) {
    const binPort = await freePort();
    const miPort = await freePort();
    const sipPort = await freePort();
    const yaml = `node: { name: db-node${id}, logLevel: info }
mi: { host: 127.0.0.1, port: ${miPort} }
sip:
  listen: [{ proto: udp, host: 127.0.0.1, port: ${sipPort} }]
store: { url: "${storeUrl}" }
cluster:
  nodeId: ${id}
  clusterId: 1
  listen: bin:127.0.0.1:${binPort}
  dbMode: 1
`;
    out.push({ id, binPort, miUrl: `http://127.0.0.1:${miPort}/mi`, file: writeConfig(dir, `db-node${id}.yaml`, yaml) });
  }
  return out;
}

async function upAmong(nodes: readonly Planned[]): Promise<true | undefined> {
  for (const n of nodes) {
    const list = await listNodes(n.miUrl);
    for (const o of nodes) if (o !== n && list.find((x) => x.node_id === o.id)?.link_state !== 'Up') return undefined;
  }
  return true;
}

async function reloadOk(url: string): Promise<void> {
  const r = await mi(url, 'clusterer:reload');
  assert.equal(r.result, 'OK', `clusterer:reload at ${url}: ${JSON.stringify(r.error)}`);
}

async function dbMode1(engine: EngineUnderTest): Promise<void> {
  const db = await engine.fresh();
  const dir = tempDir('sipcluster-dbmode1-');
  const procs = new Procs();
  // SQLite: an absolute file path every node config can point at.
  const storeUrl = engine.dialect === 'sqlite' ? `sqlite:${db.baseDir}/store.db` : db.url;
  const store = await openStore(db.url, { baseDir: db.baseDir });
  try {
    const planned = await plan(dir, storeUrl);
    const [p1, p2, p3, p4] = planned as [Planned, Planned, Planned, Planned];
    const row = (p: Planned) => ({
      clusterId: 1, nodeId: p.id, url: `bin:127.0.0.1:${p.binPort}`, state: 1, noPingRetries: 1, priority: 50,
      sipAddr: null, flags: p.id === 1 ? 'seed' : null, description: `node ${p.id}`,
    });
    for (const p of [p1, p2, p3]) await store.clusterer.add(row(p));
    for (const p of [p1, p2, p3]) procs.start(p.file);
    const t0 = Date.now();
    await waitFor('the three table nodes Up', () => upAmong([p1, p2, p3]), UP_DEADLINE_MS);
    console.log(`# ${engine.dialect}: 3 nodes from the clusterer table Up ${Date.now() - t0} ms after spawn`);
    const n1 = (await listNodes(p1.miUrl)).find((x) => x.node_id === 2) as unknown as { db_id: number; description: string };
    assert.ok(n1.db_id > 0, 'db_id is the row id');
    assert.equal(n1.description, 'node 2');

    // A new row: reload makes the others know node 4 before it runs.
    await store.clusterer.add(row(p4));
    for (const p of [p1, p2, p3]) await reloadOk(p.miUrl);
    for (const p of [p1, p2, p3]) {
      const n4 = (await listNodes(p.miUrl)).find((x) => x.node_id === 4);
      assert.ok(n4 !== undefined, `node ${p.id} lists node 4 after the reload`);
      assert.notEqual(n4.link_state, 'Up');
    }
    const n4proc = procs.start(p4.file);
    await waitFor('node 4 Up everywhere', () => upAmong(planned), UP_DEADLINE_MS);

    // Row removed: a stopped node 4 is forgotten on reload (a running one would be re-learned).
    n4proc.child.kill('SIGKILL');
    await n4proc.exited;
    await waitFor('node 4 Down', async () => {
      for (const p of [p1, p2, p3]) if ((await listNodes(p.miUrl)).find((x) => x.node_id === 4)?.link_state !== 'Down') return undefined;
      return true;
    }, DOWN_DEADLINE_MS);
    assert.equal(await store.clusterer.remove(1, 4), true);
    for (const p of [p1, p2, p3]) await reloadOk(p.miUrl);
    await waitFor('node 4 gone from every clusterer:list', async () => {
      for (const p of [p1, p2, p3]) if ((await listNodes(p.miUrl)).some((x) => x.node_id === 4)) return undefined;
      return true;
    }, DOWN_DEADLINE_MS);
    assert.ok(await upAmong([p1, p2, p3]), 'the table nodes stay Up');
  } catch (e) {
    console.error(procs.dump());
    throw e;
  } finally {
    await procs.killAll();
    await store.close();
    await db.drop();
  }
}

test('db_mode 1 on SQLite: nodes from the clusterer table, reload adds node 4 and forgets a removed row', () => dbMode1(sqliteEngine()));

const myUrl = envOrSkip('SIPCLUSTER_TEST_MYSQL_URL');
if (myUrl.skip !== false) console.log(`# NOTICE: db_mode 1 on MariaDB skipped: ${myUrl.skip}`);
test('db_mode 1 on MariaDB', { skip: myUrl.skip }, () => dbMode1(mysqlEngine(myUrl.value ?? '')));

const pgUrl = envOrSkip('SIPCLUSTER_TEST_PG_URL');
if (pgUrl.skip !== false) console.log(`# NOTICE: db_mode 1 on PostgreSQL skipped: ${pgUrl.skip}`);
test('db_mode 1 on PostgreSQL', { skip: pgUrl.skip }, () => dbMode1(postgresEngine(pgUrl.value ?? '')));
