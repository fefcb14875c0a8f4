/**
 * clusterer:remove_node across a simulated cluster (packets through the real BIN codecs): as
 * OpenSIPS's clusterer_remove_node, running it on one node removes the target from every node,
 * the copies for nodes without a direct link going through the next hop, and the target disables
 * itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../src/lib/ids.ts';
import { FAST_HEARTBEAT } from '../../src/cluster/membership/heartbeat-params.ts';
import { SimNetwork } from './sim-network.ts';

test('clusterer:remove_node on node 1 removes node 3 from every node, node 4 reached only through node 2; nobody learns node 3 again', () => {
  for (const seed of [1, 2, 3]) {
    const sim = new SimNetwork({ nodes: 4, seed, heartbeat: FAST_HEARTBEAT });
    sim.run(6000);
    for (const a of [1, 2, 3, 4]) for (const b of [1, 2, 3, 4]) if (a !== b) assert.equal(sim.node(a).linkState(nodeId(b)), 'up', `seed ${seed}: ${a}→${b}`);
    // node 4 keeps a path only through node 2
    sim.cutLink(nodeId(1), nodeId(4));
    sim.cutLink(nodeId(3), nodeId(4));
    sim.run(3000);
    assert.equal(sim.node(1).topology.nextHop(nodeId(4)), 2, `seed ${seed}`);

    const r = sim.node(1).removeNode(nodeId(3));
    assert.ok(r.kind === 'removed');
    assert.deepEqual([...r.notified].sort(), [2, 3, 4]);
    sim.perform(1, r.outputs);
    sim.run(500);
    assert.equal(sim.node(3).enabled, false, `seed ${seed}: the target disabled itself`);
    for (const id of [1, 2, 4]) assert.equal(sim.node(id).directory.has(nodeId(3)), false, `seed ${seed}: node ${id} forgot node 3`);
    const relayed = sim.events.filter((e) => e.node === 2 && e.out.kind === 'send' && e.out.msg.kind === 'remove-node' && e.out.to === 4);
    assert.equal(relayed.length, 1, `seed ${seed}: node 2 relayed node 4's copy`);

    sim.run(5000);
    for (const id of [1, 2, 4]) {
      assert.equal(sim.node(id).directory.has(nodeId(3)), false, `seed ${seed}: node ${id} learnt node 3 again`);
      assert.ok(sim.node(id).topology.isReachable(nodeId(id === 2 ? 1 : 2)), `seed ${seed}: the rest stays connected`);
    }
  }
});
