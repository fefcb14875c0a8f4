import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-time.ts';
import { nodeId } from '../lib/ids.ts';
import type { NodeId } from '../lib/ids.ts';
import type { CounterFactory } from '../lib/counter.ts';
import { decodeBinPacket, encodeBinMessage } from './wire/index.ts';
import { FAST_HEARTBEAT } from './membership/heartbeat-params.ts';
import type { NodeDescription } from './topology/node-directory.ts';
import { ClusterNode } from './node.ts';
import type { NodeOutput } from './node.ts';
import { miList, miListCap, miListTopology } from './node-mi.ts';

const desc = (i: number): NodeDescription => ({ url: `bin:127.0.0.1:557${i}`, sipAddr: '', priority: 3, noPingRetries: 1 });

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

/** Node 1 is the seed; node 2 knows only node 1 (vectors 01 lab layout). */
function pair() {
  const clock = new FakeClock(0);
  const counters = recordingCounters();
  const mk = (id: number, known: number[]) => new ClusterNode({
    clusterId: 1, selfId: nodeId(id), self: desc(id), heartbeat: FAST_HEARTBEAT, capabilities: ['usrloc-contact-repl'],
    nodes: known.map((k) => ({ id: nodeId(k), description: desc(k) })),
  }, clock, id === 1 ? counters : recordingCounters());
  // node 1's statistics only: gauges of two nodes sharing a registry would overwrite each other
  return { clock, counters, n1: mk(1, []), n2: mk(2, [1]) };
}

/** Delivers outputs between the two nodes through the real codecs until nothing moves; returns the trace. */
function pump(nodes: Map<NodeId, ClusterNode>, first: Array<[NodeId, NodeOutput]>): string[] {
  const trace: string[] = [];
  const queue = [...first];
  while (queue.length > 0) {
    const [from, o] = queue.shift() as [NodeId, NodeOutput];
    if (o.kind !== 'send' && o.kind !== 'reply') { trace.push(`${from}:${o.kind}`); continue; }
    const to = o.kind === 'send' ? o.to : nodeId(Number(o.connId));
    trace.push(`${from}>${to}:${o.msg.kind}${o.msg.kind === 'ping' ? `(${o.msg.requestNodeList ? 1 : 0})` : ''}`);
    const p = decodeBinPacket(encodeBinMessage(o.msg));
    assert.ok(p.ok);
    const target = nodes.get(to);
    // The inbound connection id is the sender's id here, so a reply finds its way back.
    if (target !== undefined) for (const out of target.receive(p.value, { connId: String(from) })) queue.push([to, out]);
  }
  return trace;
}

test('discovery through the seed, step by step (vectors 01 #1-#26): UNKNOWN_ID goes back on the inbound connection', () => {
  const { n1, n2 } = pair();
  const nodes = new Map<NodeId, ClusterNode>([[nodeId(1), n1], [nodeId(2), n2]]);
  assert.equal(miList(n1).Nodes.length, 0, 'the seed knows nobody');
  const trace = pump(nodes, n2.tick().map((o) => [nodeId(2), o]));
  assert.deepEqual(trace.slice(0, 3), ['2>1:ping(1)', '1>2:unknown-id', '2>1:node-description']);
  assert.ok(n1.directory.has(nodeId(2)), 'the seed learned node 2 from its description');
  // node 1 pings its new neighbor on its next tick, asking for the node list
  const trace2 = pump(nodes, n1.tick().map((o) => [nodeId(1), o]));
  assert.deepEqual(trace2.slice(0, 2), ['1>2:ping(1)', '2>1:pong']);
  assert.ok(trace2.includes('1>2:full-top-update') && trace2.includes('1>2:cap-update'), trace2.join(' '));
  assert.ok(trace2.indexOf('1>2:full-top-update') < trace2.indexOf('1>2:cap-update'));
  assert.equal(n1.linkState(nodeId(2)), 'up');
  // node 2 retries its own probe and comes up too
  assert.deepEqual(miList(n1).Nodes.map((n) => [n.node_id, n.link_state, n.next_hop]), [[2, 'Up', '2']]);
  assert.deepEqual(miListTopology(n1).Nodes.map((n) => n.node_id), [1, 2]);
  // capability sync is not run yet, so the state stays "not synced" (vectors show "Ok" after sync)
  assert.deepEqual(miListCap(n1).Capabilities.map((c) => [c.name, c.enabled]), [['usrloc-contact-repl', 'yes']]);
  // clusterer_list shows each listed node's own state (OpenSIPS prints its node_info flags), not
  // the current node's: disabling ourselves brings the links Down and leaves the rows enabled.
  n1.setEnabled(false);
  assert.deepEqual(miList(n1).Nodes.map((n) => [n.node_id, n.link_state, n.state]), [[2, 'Down', 'enabled']]);
});

test('PING from an unknown node gets UNKNOWN_ID as a reply on its connection, not a send to a node id', () => {
  const { n1 } = pair();
  const out = n1.receive({ kind: 'ping', clusterId: 1, sourceNodeId: 9, requestNodeList: true }, { connId: 'c42' });
  assert.deepEqual(out, [{ kind: 'reply', connId: 'c42', msg: { kind: 'unknown-id', clusterId: 1, sourceNodeId: 1 } }]);
});

test('a stale LS_UPDATE is reported as a drop event and counted (the event used to be flushed away)', () => {
  const { n1, n2, counters } = pair();
  const nodes = new Map<NodeId, ClusterNode>([[nodeId(1), n1], [nodeId(2), n2]]);
  pump(nodes, n2.tick().map((o) => [nodeId(2), o]));
  const ls = { kind: 'ls-update', clusterId: 1, sourceNodeId: 2, lsSeqNo: 5, timestampS: 100, neighborNodeId: 7, linkState: 'up', path: [2] } as const;
  n1.receive(ls, { connId: '2', nodeId: nodeId(2) });
  const out = n1.receive(ls, { connId: '2', nodeId: nodeId(2) });
  assert.deepEqual(out.filter((o) => o.kind === 'dropped'), [{ kind: 'dropped', code: 'CLUSTER_STALE_UPDATE' }]);
  assert.equal(counters.values.get('clusterer:drop_CLUSTER_STALE_UPDATE'), 1);
});

test('statistics use OpenSIPS names: clusterer_nodes, clusterer_nodes_up, clusterer_nodes_down (vectors mi/node1-statistics_get.json)', () => {
  const { n1, n2, counters } = pair();
  const nodes = new Map<NodeId, ClusterNode>([[nodeId(1), n1], [nodeId(2), n2]]);
  pump(nodes, n2.tick().map((o) => [nodeId(2), o]));
  pump(nodes, n1.tick().map((o) => [nodeId(1), o]));
  assert.equal(counters.values.get('clusterer:clusterer_nodes'), 1);
  assert.equal(counters.values.get('clusterer:clusterer_nodes_up'), 1);
  assert.equal(counters.values.get('clusterer:clusterer_nodes_down'), 0);
});

test('sendRouted answers OpenSIPS codes: unreachable without a path, disabled when the node is disabled', () => {
  const { n1 } = pair();
  const msg = { kind: 'generic-msg', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2, isRequest: true, tag: 't', payload: Buffer.from('x') } as const;
  assert.equal(n1.sendRouted(msg), 'unreachable');
  n1.setEnabled(false);
  assert.equal(n1.enabled, false);
  assert.equal(n1.sendRouted(msg), 'disabled');
});

test('a packet naming node id 0 or a negative one anywhere is dropped whole (CLUSTER_BAD_NODE_ID), nothing learnt', () => {
  const { n1, counters } = pair();
  const d = desc(9);
  const hostile = [
    { kind: 'node-description' as const, clusterId: 1, sourceNodeId: -5, ...d, path: [-5] },
    { kind: 'node-description' as const, clusterId: 1, sourceNodeId: 0, ...d, path: [0] },
    { kind: 'node-description' as const, clusterId: 1, sourceNodeId: 9, ...d, path: [9, -1] },
    { kind: 'pong' as const, clusterId: 1, sourceNodeId: 9, knownNodeIds: [2, 0] },
    { kind: 'generic-msg' as const, clusterId: 1, sourceNodeId: -2, destinationNodeId: 1, isRequest: true, tag: '1-2-x', payload: Buffer.from('hi') },
  ];
  for (const m of hostile) {
    const p = decodeBinPacket(encodeBinMessage(m as Parameters<typeof encodeBinMessage>[0]));
    assert.ok(p.ok, m.kind);
    const out = n1.receive(p.value, { connId: 'x' });
    assert.deepEqual(out.filter((o) => o.kind === 'send' || o.kind === 'reply'), [], m.kind);
  }
  assert.equal(counters.values.get('clusterer:drop_CLUSTER_BAD_NODE_ID'), hostile.length);
  assert.deepEqual(miList(n1).Nodes.map((n) => n.node_id), [], 'no node learnt');
});

test('clusterer:set_cap_status: a disabled capability sends none of its messages, drops those addressed to us, and a CAP_UPDATE tells the neighbors', () => {
  const { n1, n2, counters } = pair();
  const nodes = new Map<NodeId, ClusterNode>([[nodeId(1), n1], [nodeId(2), n2]]);
  const UL = 'usrloc-contact-repl';
  n1.capabilities.setLocalSynced(UL, true); // as a finished sync would
  pump(nodes, n2.tick().map((o) => [nodeId(2), o]));
  pump(nodes, n1.tick().map((o) => [nodeId(1), o]));
  assert.equal(n1.linkState(nodeId(2)), 'up');
  assert.deepEqual(n2.capabilities.donors(UL), [1]);
  assert.deepEqual(n1.setCapabilityEnabled('dialog-dlg-repl', false), { result: 'unknown-capability', outputs: [] });
  const off = n1.setCapabilityEnabled(UL, false);
  assert.equal(off.result, 'changed');
  // the CAP_UPDATE reaches node 2, which now holds node 1 as no donor of it
  const sent = off.outputs.filter((o) => o.kind === 'send');
  assert.deepEqual(sent.map((o) => o.kind === 'send' && [o.to, o.msg.kind]), [[2, 'cap-update']]);
  pump(nodes, off.outputs.map((o) => [nodeId(1), o]));
  assert.deepEqual(n2.capabilities.donors(UL), []);
  assert.equal(n1.setCapabilityEnabled(UL, false).result, 'unchanged');
  assert.deepEqual(miListCap(n1).Capabilities, [{ name: UL, state: 'not synced', enabled: 'no' }]);

  const del = { kind: 'urecord-delete', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2, domain: Buffer.from('location'), aor: Buffer.from('a@x') } as const;
  assert.equal(n1.sendRouted(del), 'cap-disabled');
  assert.deepEqual(n1.takeOutputs(), []);
  const generic = { kind: 'generic-msg', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2, isRequest: true, tag: 't', payload: Buffer.from('x') } as const;
  assert.equal(n1.sendRouted(generic), 'sent', 'the clusterer\'s own messages are no capability\'s');
  const incoming = { ...del, sourceNodeId: 2, destinationNodeId: 1 };
  const out = n1.receive(incoming, { connId: '2', nodeId: nodeId(2) });
  assert.deepEqual(out.filter((o) => o.kind === 'message' || o.kind === 'dropped'), [{ kind: 'dropped', code: 'CLUSTER_CAP_DISABLED' }]);
  assert.equal(counters.values.get('clusterer:drop_CLUSTER_CAP_DISABLED'), 1);

  const on = n1.setCapabilityEnabled(UL, true);
  assert.equal(on.result, 'changed');
  assert.ok(on.outputs.some((o) => o.kind === 'send' && o.msg.kind === 'cap-update'));
  assert.equal(n1.sendRouted(del), 'sent');
  assert.deepEqual(n1.receive(incoming, { connId: '2', nodeId: nodeId(2) }).filter((o) => o.kind === 'message').length, 1);
});
