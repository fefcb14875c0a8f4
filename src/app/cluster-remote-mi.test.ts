/** RemoteMi on a fake in-process cluster whose packets go through the real BIN encoder/decoder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId, type NodeId } from '../lib/ids.ts';
import { decodeBinPacket, encodeBinMessage } from '../cluster/wire/index.ts';
import type { RoutedMessage } from '../cluster/node.ts';
import { RpcRegistry } from '../mgmt/rpc-registry.ts';
import { StatisticsRegistry } from '../mgmt/statistics.ts';
import { RemoteMi, type RemoteMiCluster } from './cluster-remote-mi.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

interface FakeNode { mi: RemoteMi; stats: StatisticsRegistry; wire: string[] }

/** Nodes 1..n; `sipcluster` lists the nodes that advertise sipcluster-mi; `accept` those that run commands. */
function cluster(n: number, o: { sipcluster: number[]; accept: number[]; silent?: number[] }): Map<number, FakeNode> {
  const listeners = new Map<number, Array<(m: RoutedMessage) => void>>();
  const nodes = new Map<number, FakeNode>();
  for (let id = 1; id <= n; id++) {
    const wire: string[] = [];
    const rpc = new RpcRegistry();
    rpc.register({ name: 'core:uptime', aliases: ['uptime'], handler: () => ({ 'Up time': `${id} [sec]` }) });
    rpc.register({ name: 'test:fail', handler: () => { throw new Error('boom'); } });
    const link: RemoteMiCluster = {
      cfg: { clusterId: 1, nodeId: id, acceptMiCommands: o.accept.includes(id), miCommandsAllowed: [] },
      runner: {
        sendRouted: (m) => {
          const bytes = encodeBinMessage(m);
          wire.push(m.kind);
          // A silent node loses whatever it would send (a result that never comes).
          if (o.silent?.includes(id) === true) return 'sent';
          setImmediate(() => {
            const d = decodeBinPacket(bytes);
            if (d.ok && d.value.kind !== 'unknown-capability' && 'destinationNodeId' in d.value) {
              // An OpenSIPS node (not advertising) would drop our capability: so does this fake.
              if (!o.sipcluster.includes(m.destinationNodeId) && (d.value.kind === 'mi-ticket' || d.value.kind === 'mi-result')) return;
              for (const l of listeners.get(m.destinationNodeId) ?? []) l(d.value);
            }
          });
          return 'sent';
        },
        node: { capabilities: { hasCapability: (target: NodeId, name: string) => name === 'sipcluster-mi' && o.sipcluster.includes(target) } },
      },
      onMessage: (fn) => { listeners.set(id, [...(listeners.get(id) ?? []), fn]); },
      onNodeState: () => {},
    };
    const stats = new StatisticsRegistry();
    nodes.set(id, { mi: new RemoteMi(link, { stats, logger: quiet, rpc }, 200), stats, wire });
  }
  return nodes;
}

const node = (c: Map<number, FakeNode>, id: number): FakeNode => c.get(id) as FakeNode;
const count = (n: FakeNode, name: string): number => n.stats.get([name])[name] ?? 0;

test('a sipcluster target that accepts returns its result; ticket goes before MI_CMD', async () => {
  const c = cluster(3, { sipcluster: [1, 2, 3], accept: [3] });
  const a = await node(c, 1).mi.send(nodeId(3), 'uptime', []);
  assert.deepEqual(a, { node_id: 3, result: { 'Up time': '3 [sec]' } });
  assert.deepEqual(node(c, 1).wire, ['mi-ticket', 'mi-cmd']);
  assert.deepEqual(node(c, 3).wire, ['mi-result']);
  assert.equal(count(node(c, 3), 'clusterer:mi_cmd_run'), 1);
});

test('off by default: the target refuses, counts, and says so; a handler error comes back as an error', async () => {
  const c = cluster(3, { sipcluster: [1, 2, 3], accept: [3] });
  const r = await node(c, 1).mi.send(nodeId(2), 'core:uptime', []);
  assert.ok('error' in r && r.error.code === 'RPC_CLUSTER_MI_REFUSED', JSON.stringify(r));
  assert.equal(count(node(c, 2), 'clusterer:mi_cmd_refused'), 1);
  const e = await node(c, 1).mi.send(nodeId(3), 'test:fail', []);
  assert.ok('error' in e && e.error.code === 'RPC_INTERNAL_ERROR', JSON.stringify(e));
  const never = await node(c, 1).mi.send(nodeId(3), 'clusterer:send_mi', ['1', '2', 'core:uptime']);
  assert.ok('error' in never && never.error.code === 'RPC_CLUSTER_MI_REFUSED', 'send_mi is never run from the wire');
});

test('an OpenSIPS target (no sipcluster-mi advertised) gets the bare MI_CMD and the caller is told no result will come', async () => {
  const c = cluster(2, { sipcluster: [1], accept: [2] });
  const a = await node(c, 1).mi.send(nodeId(2), 'core:uptime', []);
  assert.ok('sent' in a && /no result will come/.test(a.note), JSON.stringify(a));
  assert.deepEqual(node(c, 1).wire, ['mi-cmd']);
  await new Promise((r) => setImmediate(r));
  assert.equal(count(node(c, 2), 'clusterer:mi_cmd_run'), 1, 'the target still runs it (and logs it), as OpenSIPS does');
  assert.deepEqual(node(c, 2).wire, [], 'no result is sent for an MI_CMD without a ticket');
});

test('a result that never comes ends the wait at the timeout', async () => {
  const c = cluster(2, { sipcluster: [1, 2], accept: [2], silent: [2] });
  const t0 = performance.now();
  const keepAlive = setInterval(() => {}, 50); // the node's timers are unref'd
  const a = await node(c, 1).mi.send(nodeId(2), 'core:uptime', []);
  clearInterval(keepAlive);
  assert.ok('sent' in a && /no result came within 200 ms/.test(a.note), JSON.stringify(a));
  assert.ok(performance.now() - t0 >= 190);
});

test('concurrent identical commands to two nodes each get their own node\'s result', async () => {
  const c = cluster(3, { sipcluster: [1, 2, 3], accept: [2, 3] });
  const [a2, a3] = await Promise.all([node(c, 1).mi.send(nodeId(2), 'uptime', []), node(c, 1).mi.send(nodeId(3), 'uptime', [])]);
  assert.deepEqual(a2, { node_id: 2, result: { 'Up time': '2 [sec]' } });
  assert.deepEqual(a3, { node_id: 3, result: { 'Up time': '3 [sec]' } });
});
