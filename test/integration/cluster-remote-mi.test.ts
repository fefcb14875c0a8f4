/**
 * MI over the cluster with 3 real node processes (examples/cluster on free ports): node 3 accepts
 * remote MI for core:uptime only, node 2 keeps the default (refuse). send_mi from node 1 returns
 * node 3's uptime through the sipcluster-mi result; node 2 refuses and counts; broadcast_mi
 * reaches both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mi, tempDir, waitFor } from '../support/node-process.ts';
import { exampleConfigs, listNodes, Procs, stat } from './cluster-support.ts';

type Answer = { node_id: number; result?: Record<string, unknown>; error?: { code: string; message: string }; sent?: true; note?: string };

describe('MI over the cluster (3 real nodes)', () => {
  const procs = new Procs();
  let u1 = '';
  let u2 = '';
  let u3 = '';

  before(async () => {
    const { files, miUrls } = await exampleConfigs(tempDir(), (y, i) => (i === 3 ? `${y}  acceptMiCommands: true\n  miCommandsAllowed: [core:uptime]\n` : y));
    for (const f of files) procs.start(f);
    [u1, u2, u3] = miUrls as [string, string, string];
    await waitFor('a full mesh', async () => {
      for (const u of miUrls) {
        const n = await listNodes(u);
        if (n.length !== 2 || n.some((x) => x.link_state !== 'Up')) return undefined;
      }
      return true;
    }, 30_000);
    // The first results need node 3's CAP_UPDATE (sipcluster-mi) at node 1; it follows the link Up.
    await waitFor('node 1 to know nodes 2 and 3 answer remote MI', async () => {
      const r = (await mi(u1, 'clusterer:send_mi', { cluster_id: 1, node_id: 3, cmd_name: 'core:uptime' })).result as Answer | undefined;
      return r?.result !== undefined ? true : undefined;
    }, 10_000, 200);
  });

  after(async () => {
    await procs.killAll();
  });

  test('clusterer:send_mi 1 3 core:uptime returns node 3\'s uptime', async () => {
    const before3 = await stat(u3, 'clusterer:mi_cmd_run');
    const r = await mi(u1, 'clusterer:send_mi', [1, 3, 'core:uptime']);
    assert.equal(r.error, undefined, JSON.stringify(r));
    const a = r.result as Answer;
    assert.equal(a.node_id, 3);
    assert.deepEqual(Object.keys(a.result ?? {}).sort(), ['Now', 'Up since', 'Up time']);
    assert.match(String(a.result?.['Up time']), /^\d+ \[sec\]$/);
    assert.equal(await stat(u3, 'clusterer:mi_cmd_run'), before3 + 1);
  });

  test('the 3.x alias and names: cluster_send_mi with uptime passes the allow-list by its 4.x name', async () => {
    const a = (await mi(u1, 'cluster_send_mi', { cluster_id: 1, node_id: 3, cmd_name: 'uptime', cmd_params: [] })).result as Answer;
    assert.ok(a.result?.['Up time'] !== undefined, JSON.stringify(a));
  });

  test('node 2 (default config) refuses, counts, and the caller is told', async () => {
    const before2 = await stat(u2, 'clusterer:mi_cmd_refused');
    const a = (await mi(u1, 'clusterer:send_mi', [1, 2, 'core:uptime'])).result as Answer;
    assert.equal(a.node_id, 2);
    assert.equal(a.error?.code, 'RPC_CLUSTER_MI_REFUSED', JSON.stringify(a));
    assert.equal(await stat(u2, 'clusterer:mi_cmd_refused'), before2 + 1);
  });

  test('node 3 refuses a method outside its allow-list and never runs send_mi from the wire', async () => {
    const before3 = await stat(u3, 'clusterer:mi_cmd_refused');
    const a = (await mi(u1, 'clusterer:send_mi', [1, 3, 'core:version'])).result as Answer;
    assert.equal(a.error?.code, 'RPC_CLUSTER_MI_REFUSED', JSON.stringify(a));
    assert.equal(await stat(u3, 'clusterer:mi_cmd_refused'), before3 + 1);
  });

  test('clusterer:broadcast_mi reaches both other nodes: node 3 answers, node 2 refuses', async () => {
    const before2 = await stat(u2, 'clusterer:mi_cmd_refused');
    const before3 = await stat(u3, 'clusterer:mi_cmd_run');
    const r = (await mi(u1, 'clusterer:broadcast_mi', { cluster_id: 1, cmd_name: 'core:uptime' })).result as { Nodes: Answer[] };
    const byId = new Map(r.Nodes.map((n) => [n.node_id, n]));
    assert.deepEqual([...byId.keys()].sort(), [2, 3]);
    assert.ok(byId.get(3)?.result?.['Up time'] !== undefined, JSON.stringify(r));
    assert.equal(byId.get(2)?.error?.code, 'RPC_CLUSTER_MI_REFUSED');
    assert.equal(await stat(u2, 'clusterer:mi_cmd_refused'), before2 + 1);
    assert.equal(await stat(u3, 'clusterer:mi_cmd_run'), before3 + 1);
  });

  test('bad calls: unknown node 404, ourselves 400, wrong cluster 404', async () => {
    assert.equal((await mi(u1, 'clusterer:send_mi', [1, 9, 'core:uptime'])).error?.code, 404);
    assert.equal((await mi(u1, 'clusterer:send_mi', [1, 1, 'core:uptime'])).error?.code, 400);
    assert.equal((await mi(u1, 'clusterer:send_mi', [2, 3, 'core:uptime'])).error?.code, 404);
  });
});
