import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-time.ts';
import { nodeId } from '../lib/ids.ts';
import type { CounterFactory } from '../lib/counter.ts';
import { decodeBinPacket, encodeBinMessage } from './wire/index.ts';
import type { RemoveNodeMessage } from './wire/index.ts';
import { FAST_HEARTBEAT } from './membership/heartbeat-params.ts';
import { ClusterNode } from './node.ts';
import type { NodeOutput } from './node.ts';

// OpenSIPS clusterer.c handle_remove_node: what a node does with a REMOVE_NODE addressed to it.

const desc = (i: number) => ({ url: `bin:127.0.0.1:557${i}`, sipAddr: '', priority: 3, noPingRetries: 1 });

function recordingCounters(): CounterFactory & { values: Map<string, number> } {
  const values = new Map<string, number>();
  return {
    values,
    counter: (name) => ({ inc: (by = 1) => void values.set(name, (values.get(name) ?? 0) + by) }),
    gauge: (name) => ({
      set: (v) => void values.set(name, v),
      inc: (by = 1) => void values.set(name, (values.get(name) ?? 0) + by),
      dec: (by = 1) => void values.set(name, (values.get(name) ?? 0) - by),
    }),
  };
}

/** Node 1 knows nodes 2 and 3 (db_mode 0 unless told); both links are Up. */
function setup(dbMode: 0 | 1 = 0) {
  const clock = new FakeClock(0);
  const counters = recordingCounters();
  const n1 = new ClusterNode({
    clusterId: 1, selfId: nodeId(1), self: desc(1), heartbeat: FAST_HEARTBEAT, dbMode,
    nodes: [{ id: nodeId(2), description: desc(2) }, { id: nodeId(3), description: desc(3) }],
  }, clock, counters);
  n1.tick();
  n1.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 2, knownNodeIds: [3] }, { connId: 'c2', nodeId: nodeId(2) });
  n1.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 3, knownNodeIds: [2] }, { connId: 'c3', nodeId: nodeId(3) });
  assert.equal(n1.linkState(nodeId(2)), 'up');
  assert.equal(n1.linkState(nodeId(3)), 'up');
  return { clock, counters, n1 };
}

const removeNode = (target: number, over: Partial<RemoveNodeMessage> = {}): RemoveNodeMessage =>
  ({ kind: 'remove-node', clusterId: 1, sourceNodeId: 2, destinationNodeId: 1, targetNodeId: target, ...over });

const from2 = { connId: 'c2', nodeId: nodeId(2) };
const drops = (out: NodeOutput[]) => out.flatMap((o) => (o.kind === 'dropped' ? [o.code] : []));
const sentRemoveNode = (out: NodeOutput[]) => out.filter((o) => o.kind === 'send' && o.msg.kind === 'remove-node');

test('REMOVE_NODE from a known node naming a third one: that node is forgotten, as by the local clusterer:remove_node', () => {
  const { n1, counters } = setup();
  const out = n1.receive(removeNode(3), from2);
  assert.ok(out.some((o) => o.kind === 'node-removed' && o.nodeId === 3 && o.by === 2), JSON.stringify(out));
  assert.ok(out.some((o) => o.kind === 'node-down' && o.nodeId === 3), 'node 3 is no longer reachable');
  assert.ok(!out.some((o) => o.kind === 'message'), 'not handed to message listeners');
  assert.equal(n1.directory.has(nodeId(3)), false);
  assert.equal(n1.linkState(nodeId(3)), undefined, 'no heartbeat link left');
  assert.deepEqual([...n1.topology.neighborsOf(nodeId(1))], [2]);
  assert.equal(counters.values.get('clusterer:clusterer_nodes'), 1);
  // our own link to 3 went Down: node 2 hears of it (LS_UPDATE), but the REMOVE_NODE itself is not
  // passed on — clusterer_remove_node broadcast it to every node already
  assert.deepEqual(sentRemoveNode(out), []);
});

test('REMOVE_NODE naming the current node disables it (handle_remove_node → cl_set_state disabled), nothing forgotten', () => {
  const { n1, counters } = setup();
  const out = n1.receive(removeNode(1), from2);
  assert.ok(out.some((o) => o.kind === 'disabled-by-peer' && o.by === 2), JSON.stringify(out));
  assert.equal(n1.enabled, false);
  assert.equal(n1.linkState(nodeId(2)), 'disabled');
  assert.ok(n1.directory.has(nodeId(2)) && n1.directory.has(nodeId(3)));
  // disabled: whatever comes next is ignored, as clusterer_set_status 0 makes it
  assert.deepEqual(drops(n1.receive({ kind: 'ping', clusterId: 1, sourceNodeId: 2, requestNodeList: false }, from2)), ['CLUSTER_NODE_DISABLED']);
  assert.equal(counters.values.get('clusterer:drop_CLUSTER_NODE_DISABLED'), 1);
  n1.setEnabled(true);
  assert.equal(n1.enabled, true, 'clusterer:set_status 1 brings it back');
});

test('REMOVE_NODE naming a node we do not know is a counted drop (CLUSTER_REMOVE_NODE_UNKNOWN); nothing changes', () => {
  const { n1, counters } = setup();
  const out = n1.receive(removeNode(9), from2);
  assert.deepEqual(drops(out), ['CLUSTER_REMOVE_NODE_UNKNOWN']);
  assert.equal(counters.values.get('clusterer:drop_CLUSTER_REMOVE_NODE_UNKNOWN'), 1);
  assert.deepEqual(n1.directory.ids().sort(), [2, 3]);
  assert.equal(n1.enabled, true);
});

test('in db_mode 1 a received REMOVE_NODE is ignored (the database is the node list): CLUSTER_REMOVE_NODE_DB_MODE', () => {
  const { n1, counters } = setup(1);
  for (const target of [3, 1]) {
    const out = n1.receive(removeNode(target), from2);
    assert.deepEqual(drops(out), ['CLUSTER_REMOVE_NODE_DB_MODE'], `target ${target}`);
  }
  assert.equal(counters.values.get('clusterer:drop_CLUSTER_REMOVE_NODE_DB_MODE'), 2);
  assert.deepEqual(n1.directory.ids().sort(), [2, 3]);
  assert.equal(n1.enabled, true, 'not disabled either');
});

test('REMOVE_NODE for another cluster, from an unknown node or claiming our id is dropped before it is acted on', () => {
  const { n1 } = setup();
  assert.deepEqual(drops(n1.receive(removeNode(3, { clusterId: 2 }), from2)), ['CLUSTER_WRONG_CLUSTER']);
  assert.deepEqual(drops(n1.receive(removeNode(3, { sourceNodeId: 7 }), { connId: 'c7' })), ['CLUSTER_UNKNOWN_SOURCE']);
  assert.deepEqual(drops(n1.receive(removeNode(2, { sourceNodeId: 1 }), from2)), ['CLUSTER_OWN_ID']);
  assert.deepEqual(n1.directory.ids().sort(), [2, 3]);
  assert.equal(n1.enabled, true);
});

test('REMOVE_NODE addressed to another node is relayed unchanged, not acted on here', () => {
  const { n1 } = setup();
  const out = n1.receive(removeNode(2, { sourceNodeId: 3, destinationNodeId: 2 }), { connId: 'c3', nodeId: nodeId(3) });
  assert.equal(sentRemoveNode(out).length, 1);
  assert.ok(n1.directory.has(nodeId(2)));
});

test('decode → act: a REMOVE_NODE packet built by the wire encoder makes the node forget the target', () => {
  const { n1 } = setup();
  const p = decodeBinPacket(encodeBinMessage(removeNode(3)));
  assert.ok(p.ok && p.value.kind === 'remove-node');
  const out = n1.receive(p.value, from2);
  assert.ok(out.some((o) => o.kind === 'node-removed' && o.nodeId === 3));
  assert.equal(n1.directory.has(nodeId(3)), false);
});

// ---- clusterer:remove_node on this node (clusterer_mod.c cluster_remove_node → bcast_remove_node) ----

type RemoveSend = { to: number; dest: number; target: number; source: number; bytes: Buffer };

/** The REMOVE_NODE sends of a removeNode() call, each encoded by the wire encoder as the driver would. */
function removeSends(out: NodeOutput[]): RemoveSend[] {
  return out.flatMap((o) => (o.kind === 'send' && o.msg.kind === 'remove-node'
    ? [{ to: o.to, dest: o.msg.destinationNodeId, target: o.msg.targetNodeId, source: o.msg.sourceNodeId, bytes: encodeBinMessage(o.msg) }]
    : []));
}

test('clusterer:remove_node sends REMOVE_NODE to every known node, the target too, each copy addressed to that node, then forgets the target', () => {
  const { n1, counters } = setup();
  const r = n1.removeNode(nodeId(3));
  assert.equal(r.kind, 'removed');
  if (r.kind !== 'removed') return;
  assert.deepEqual([...r.notified].sort(), [2, 3]);
  const sends = removeSends(r.outputs);
  assert.deepEqual(sends.map(({ to, dest, target, source }) => ({ to, dest, target, source })).sort((a, b) => a.to - b.to),
    [{ to: 2, dest: 2, target: 3, source: 1 }, { to: 3, dest: 3, target: 3, source: 1 }]);
  // the sends come before anything the forgetting produces: the driver still has node 3's URL
  const firstOther = r.outputs.findIndex((o) => !(o.kind === 'send' && o.msg.kind === 'remove-node'));
  assert.ok(firstOther === -1 || firstOther >= sends.length, JSON.stringify(r.outputs));
  assert.equal(n1.directory.has(nodeId(3)), false);
  assert.equal(n1.linkState(nodeId(3)), undefined);
  assert.equal(counters.values.get('clusterer:clusterer_nodes'), 1);
});

test('a REMOVE_NODE built by clusterer:remove_node, through the encoder, makes node 2 forget the target and disables the target itself', () => {
  const clock = new FakeClock(0);
  const { n1 } = setup();
  const mk = (self: number, others: number[]) => {
    const n = new ClusterNode({ clusterId: 1, selfId: nodeId(self), self: desc(self), heartbeat: FAST_HEARTBEAT, nodes: others.map((i) => ({ id: nodeId(i), description: desc(i) })) }, clock, recordingCounters());
    n.tick();
    return n;
  };
  const n2 = mk(2, [1, 3]);
  const n3 = mk(3, [1, 2]);
  const r = n1.removeNode(nodeId(3));
  assert.ok(r.kind === 'removed');
  const byDest = new Map(removeSends(r.outputs).map((s) => [s.dest, s]));
  const deliver = (n: ClusterNode, dest: number) => {
    const s = byDest.get(dest);
    assert.ok(s !== undefined, `a copy for node ${dest}`);
    const p = decodeBinPacket(s.bytes);
    assert.ok(p.ok && p.value.kind === 'remove-node');
    return n.receive(p.value, { connId: 'c1', nodeId: nodeId(1) });
  };
  const out2 = deliver(n2, 2);
  assert.ok(out2.some((o) => o.kind === 'node-removed' && o.nodeId === 3 && o.by === 1), JSON.stringify(out2));
  assert.equal(n2.directory.has(nodeId(3)), false);
  const out3 = deliver(n3, 3);
  assert.ok(out3.some((o) => o.kind === 'disabled-by-peer' && o.by === 1), JSON.stringify(out3));
  assert.equal(n3.enabled, false);
});

test('clusterer:remove_node: a node without a direct Up link gets its copy through the next hop; an unreachable one gets none', () => {
  const clock = new FakeClock(0);
  const n1 = new ClusterNode({
    clusterId: 1, selfId: nodeId(1), self: desc(1), heartbeat: FAST_HEARTBEAT,
    nodes: [{ id: nodeId(2), description: desc(2) }, { id: nodeId(3), description: desc(3) }, { id: nodeId(4), description: desc(4) }],
  }, clock, recordingCounters());
  n1.tick();
  n1.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 2, knownNodeIds: [3, 4] }, from2);
  // node 2 reports its link to 3 Up: 3 is reachable through 2; node 4 nobody reaches
  n1.receive({ kind: 'ls-update', clusterId: 1, sourceNodeId: 2, lsSeqNo: 1, timestampS: 1, neighborNodeId: 3, linkState: 'up', path: [2] }, from2);
  assert.equal(n1.topology.nextHop(nodeId(3)), 2);
  assert.equal(n1.topology.nextHop(nodeId(4)), undefined);
  const r = n1.removeNode(nodeId(4));
  assert.ok(r.kind === 'removed');
  assert.deepEqual(removeSends(r.outputs).map((s) => [s.to, s.dest]).sort(), [[2, 2], [2, 3]]);
  assert.deepEqual([...r.notified].sort(), [2, 3]);
  assert.equal(n1.directory.has(nodeId(4)), false);
});

test('clusterer:remove_node is refused in db_mode 1, for an unknown node and for the current node (not in its own node list); nothing sent or forgotten', () => {
  const { n1: db } = setup(1);
  assert.deepEqual(db.removeNode(nodeId(3)), { kind: 'refused', reason: 'db-mode' });
  assert.ok(db.directory.has(nodeId(3)));
  const { n1 } = setup();
  assert.deepEqual(n1.removeNode(nodeId(9)), { kind: 'refused', reason: 'unknown-node' });
  assert.deepEqual(n1.removeNode(nodeId(1)), { kind: 'refused', reason: 'unknown-node' });
  assert.deepEqual(n1.takeOutputs(), []);
  assert.deepEqual(n1.directory.ids().sort(), [2, 3]);
  assert.equal(n1.enabled, true);
});

test('clusterer:remove_node on a disabled current node sends nothing (CLUSTERER_CURR_DISABLED) but still forgets the node', () => {
  const { n1 } = setup();
  n1.setEnabled(false);
  const r = n1.removeNode(nodeId(3));
  assert.ok(r.kind === 'removed');
  assert.deepEqual(removeSends(r.outputs), []);
  assert.deepEqual(r.notified, []);
  assert.equal(n1.directory.has(nodeId(3)), false);
});
