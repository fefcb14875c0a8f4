import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, waitFor } from '../support/node-process.ts';
import { exampleConfigs, listNodes, Procs, stat } from './cluster-support.ts';

const UP_DEADLINE_MS = 30_000;
const DOWN_DEADLINE_MS = 15_000;

async function allUp(urls: readonly string[]): Promise<true | undefined> {
  for (const u of urls) {
    const nodes = await listNodes(u);
    if (nodes.length !== urls.length - 1 || nodes.some((n) => n.link_state !== 'Up')) return undefined;
  }
  return true;
}

test('3 real nodes: nodes 2 and 3 know only the seed, all see each other Up; SIGKILL of node 3 is detected and a restart brings it back', async () => {
  const procs = new Procs();
  try {
    const { files, miUrls } = await exampleConfigs(tempDir());
    const [f1, f2, f3] = files as [string, string, string];
    procs.start(f1);
    procs.start(f2);
    let n3 = procs.start(f3);
    const t0 = Date.now();
    await waitFor('every node to list the two others Up', () => allUp(miUrls), UP_DEADLINE_MS);
    console.log(`# full mesh Up ${Date.now() - t0} ms after the processes were spawned`);
    const [u1, u2, u3] = miUrls as [string, string, string];
    assert.equal(await stat(u1, 'clusterer:clusterer_nodes_up'), 2);

    const killedAt = Date.now();
    n3.child.kill('SIGKILL');
    await n3.exited;
    const seen = await Promise.all([u1, u2].map((u) => waitFor(`${u} to report node 3 Down`, async () => {
      const n = (await listNodes(u)).find((x) => x.node_id === 3);
      return n?.link_state === 'Down' ? Date.now() - killedAt : undefined;
    }, DOWN_DEADLINE_MS, 20)));
    console.log(`# node 3 reported Down by nodes 1 and 2 after ${seen.join(' and ')} ms (MI polled every 20 ms)`);
    const n1view = await listNodes(u1);
    assert.equal(n1view.find((x) => x.node_id === 3)?.next_hop, 'none', 'vectors mi/node1-clusterer_list-node3-down.json');
    assert.equal(await stat(u1, 'clusterer:clusterer_nodes_down'), 1);

    n3 = procs.start(f3);
    await waitFor('node 3 back Up everywhere', () => allUp([u1, u2, u3]), UP_DEADLINE_MS);
  } catch (e) {
    console.error(procs.dump());
    throw e;
  } finally {
    await procs.killAll();
  }
});

test('allow-list: a seed that allows only 10.0.0.0/8 refuses a loopback node, which never comes Up', async () => {
  const procs = new Procs();
  try {
    const { files, miUrls } = await exampleConfigs(tempDir(), (y, i) => (i === 1 ? y.replace('allowNetworks: [127.0.0.0/8]', 'allowNetworks: [10.0.0.0/8]') : y));
    const [u1, u2] = miUrls as [string, string, string];
    procs.start(files[0] as string);
    procs.start(files[1] as string);
    const refused = await waitFor('the seed to refuse a connection', async () => {
      const n = await stat(u1, 'clusterer:refused_connections');
      return n > 0 ? n : undefined;
    }, UP_DEADLINE_MS);
    assert.ok(refused > 0);
    assert.deepEqual(await listNodes(u1), [], 'the seed never learned node 2');
    const view2 = await listNodes(u2);
    assert.notEqual(view2.find((x) => x.node_id === 1)?.link_state, 'Up');
  } catch (e) {
    console.error(procs.dump());
    throw e;
  } finally {
    await procs.killAll();
  }
});
