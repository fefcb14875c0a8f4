import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../src/lib/ids.ts';
import { FAST_HEARTBEAT } from '../../src/cluster/membership/heartbeat-params.ts';
import { SimNetwork } from './sim-network.ts';
import { miList } from '../../src/cluster/node-mi.ts';

function churn(seed: number): SimNetwork {
  const sim = new SimNetwork({ nodes: 5, seed, heartbeat: FAST_HEARTBEAT, latencyMs: [1, 30] });
  sim.run(4000);
  sim.cutLink(nodeId(1), nodeId(4));
  sim.run(3000);
  sim.heal();
  return sim;
}

test('sim: a node killed while a link elsewhere comes up stays reachable (and "Up") for the survivors long after its death', () => {
  // find when link 1-4 comes back (FULL_TOP_UPDATE between them), then rerun and kill node 2
  // so that the survivors' LS_UPDATE(2 down) cross that FULL_TOP_UPDATE in flight
  const probe = churn(1);
  const t0 = probe.clock.nowMs();
  probe.run(4000, undefined, 1);
  const up = probe.events.find((e) => e.atMs >= t0 && e.out.kind === 'send' && e.out.msg.kind === 'full-top-update' && e.node === 1 && e.out.to === 4);
  assert.ok(up);
  const sim = churn(1);
  sim.run(up.atMs - 700 - sim.clock.nowMs(), undefined, 1);
  sim.kill(nodeId(2));
  sim.run(30_000, undefined, 5);
  const wrong: string[] = [];
  for (const a of sim.alive) {
    const n = sim.node(a);
    if (n.topology.isReachable(nodeId(2))) wrong.push(`node ${a} reaches dead node 2 via ${n.topology.nextHop(nodeId(2))}; MI link_state ${miList(n).Nodes.find((x) => x.node_id === 2)?.link_state}, next_hop ${miList(n).Nodes.find((x) => x.node_id === 2)?.next_hop}`);
  }
  assert.deepEqual(wrong, [], '30 s after node 2 was killed');
});
