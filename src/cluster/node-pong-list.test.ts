import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-time.ts';
import { nodeId } from '../lib/ids.ts';
import { nullCounters } from '../lib/counter.ts';
import { FAST_HEARTBEAT } from './membership/heartbeat-params.ts';
import { ClusterNode } from './node.ts';
import type { NodeOutput } from './node.ts';

const desc = (i: number) => ({ url: `bin:127.0.0.1:557${i}`, sipAddr: '', priority: 3, noPingRetries: 1 });
const fullTopTo = (outs: NodeOutput[], to: number) => outs.flatMap((o) => (o.kind === 'send' && o.to === to && o.msg.kind === 'full-top-update' ? [o.msg] : []));

test('FULL_TOP_UPDATE answers the PONG that brought the link up, not the previous PONG (handle_pong → set_link_w_neigh_up(node_list))', () => {
  const clock = new FakeClock(0);
  const n1 = new ClusterNode({
    clusterId: 1, selfId: nodeId(1), self: desc(1), heartbeat: FAST_HEARTBEAT,
    nodes: [{ id: nodeId(2), description: desc(2) }, { id: nodeId(3), description: desc(3) }],
  }, clock, nullCounters);
  n1.tick(); // PING(req_node_list=1) to 2 and 3
  const from3 = { connId: 'c3' };
  // node 3 (first life) knows node 2: its PONG lists it, so node 1 leaves 2's description out
  let out = n1.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 3, knownNodeIds: [2] }, from3);
  assert.equal(n1.linkState(nodeId(3)), 'up');
  // node 3 restarts and forgot us: UNKNOWN_ID → link Down, pinging restarts
  n1.receive({ kind: 'unknown-id', clusterId: 1, sourceNodeId: 3 }, from3);
  clock.advance(10);
  n1.tick();
  assert.equal(n1.linkState(nodeId(3)), 'probing');
  // node 3's new life knows nobody but us: its PONG lists nobody
  out = n1.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 3, knownNodeIds: [] }, from3);
  const [top] = fullTopTo(out, 3);
  assert.ok(top, 'a FULL_TOP_UPDATE goes to node 3');
  const e2 = top.nodes.find((e) => e.nodeId === 2);
  assert.ok(e2);
  assert.ok(e2.description !== undefined, 'node 3 said it does not know node 2: its entry must carry has_descr=1 with the description');
});

test('vectors 01 #30/#35: node 3 PONGs listing node 1, so node 2\'s FULL_TOP_UPDATE to node 3 carries node 1 with has_description = 0', () => {
  const clock = new FakeClock(0);
  const n2 = new ClusterNode({
    clusterId: 1, selfId: nodeId(2), self: desc(2), heartbeat: FAST_HEARTBEAT,
    nodes: [{ id: nodeId(1), description: desc(1) }, { id: nodeId(3), description: desc(3) }],
  }, clock, nullCounters);
  n2.tick(); // PING(req_node_list=1) to 1 and 3 (#29)
  const out = n2.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 3, knownNodeIds: [1] }, { connId: 'c3' }); // #30
  const [top] = fullTopTo(out, 3); // #35
  assert.ok(top);
  const e1 = top.nodes.find((e) => e.nodeId === 1);
  assert.ok(e1);
  assert.equal(e1.description, undefined, 'OpenSIPS (#35) sends has_description = 0 for a node the PONG listed');
});
