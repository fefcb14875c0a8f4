/** clusterer:remove_node through the MI layer on a real ClusterNode and ClusterRunner. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { nodeId } from '../lib/ids.ts';
import { nullCounters } from '../lib/counter.ts';
import { realClock, realTimers } from '../lib/real-time.ts';
import { ClusterNode } from '../cluster/node.ts';
import { ClusterRunner } from '../cluster/net/cluster-runner.ts';
import { FAST_HEARTBEAT } from '../cluster/membership/heartbeat-params.ts';
import { decodeBinPacket, StreamReassembler } from '../cluster/wire/index.ts';
import type { DecodedPacket } from '../cluster/wire/index.ts';
import { RpcError, RpcRegistry } from '../mgmt/rpc-registry.ts';
import { registerClustererMethods } from './cluster-mi.ts';
import type { ClusterService } from './cluster-service.ts';

const desc = (url: string) => ({ url, sipAddr: '', priority: 3, noPingRetries: 1 });

function setup(dbMode: 0 | 1, node3Url = 'bin:127.0.0.1:1') {
  const node = new ClusterNode({
    clusterId: 1, selfId: nodeId(1), self: desc('bin:127.0.0.1:0'), heartbeat: FAST_HEARTBEAT, dbMode,
    nodes: [{ id: nodeId(2), description: desc('bin:127.0.0.1:2') }, { id: nodeId(3), description: desc(node3Url) }],
  }, realClock, nullCounters);
  const runner = new ClusterRunner({
    node, clock: realClock, timers: realTimers, counters: nullCounters,
    transport: { listen: { host: '127.0.0.1', port: 0, tls: false }, allowNetworks: [], maxQueuedBytes: 1 << 20, reconnectMinMs: 100, reconnectMaxMs: 1000, connectTimeoutMs: 1000 },
  });
  const reg = new RpcRegistry();
  const svc = { cfg: { clusterId: 1, nodeId: 1 }, dbMode, runner } as unknown as ClusterService;
  registerClustererMethods(reg, svc);
  const call = (name: string, params: Record<string, unknown>): unknown => {
    const m = reg.lookup(name);
    assert.ok(m, name);
    return m.handler(params);
  };
  return { node, runner, call };
}

const refused = (rpcCode: number, code: string, message: string) => (e: unknown): boolean =>
  e instanceof RpcError && e.rpcCode === rpcCode && e.code === code && e.message === message;

test('clusterer:remove_node refusals are OpenSIPS\'s (cluster_remove_node), in its order: db_mode, cluster, node; all 400', () => {
  const db = setup(1);
  assert.throws(() => db.call('clusterer:remove_node', { cluster_id: 7, node_id: 3 }), refused(400, 'RPC_CLUSTER_DB_MODE', 'Running in DB mode'));
  assert.ok(db.node.directory.has(nodeId(3)));
  const { call, node } = setup(0);
  assert.throws(() => call('clusterer_remove_node', { cluster_id: 7, node_id: 3 }), refused(400, 'RPC_CLUSTER_NOT_FOUND', 'Unknown cluster id'));
  assert.throws(() => call('clusterer:remove_node', { cluster_id: 1, node_id: 9 }), refused(400, 'RPC_CLUSTER_NODE_NOT_FOUND', 'Unknown node id'));
  // the current node is not in its own node list: OpenSIPS answers "Unknown node id" for it too
  assert.throws(() => call('clusterer:remove_node', { cluster_id: 1, node_id: 1 }), refused(400, 'RPC_CLUSTER_NODE_NOT_FOUND', 'Unknown node id'));
  assert.throws(() => call('clusterer:remove_node', { cluster_id: 1, node_id: 0 }), refused(400, 'RPC_INVALID_PARAMS', "Bad value for 'node_id'"));
  assert.deepEqual(node.directory.ids().sort(), [2, 3]);
  assert.equal(call('clusterer:remove_node', { cluster_id: 1, node_id: 3 }), 'OK');
  assert.deepEqual(node.directory.ids(), [2]);
});

test('the runner writes the target\'s own REMOVE_NODE copy although the node already forgot it, then closes the connection', async () => {
  const packets: DecodedPacket[] = [];
  let closed!: () => void;
  const ended = new Promise<void>((resolve) => { closed = resolve; });
  const server = createServer((s: Socket) => {
    const reasm = new StreamReassembler();
    s.on('data', (chunk: Buffer) => {
      for (const p of reasm.feed(chunk).packets) { const d = decodeBinPacket(p); if (d.ok) packets.push(d.value); }
    });
    s.on('end', () => { s.end(); closed(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const { node, runner, call } = setup(0, `bin:127.0.0.1:${port}`);
  try {
    await runner.start();
    // node 3 answers our ping: the link is Up, so its copy goes straight to it
    node.receive({ kind: 'pong', clusterId: 1, sourceNodeId: 3, knownNodeIds: [] }, { connId: 'x', nodeId: nodeId(3) });
    node.takeOutputs();
    assert.equal(node.topology.nextHop(nodeId(3)), 3);
    assert.equal(call('clusterer:remove_node', { cluster_id: 1, node_id: 3 }), 'OK');
    // the runner ends the connection once the copy is written; a lost copy must fail, not hang
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => { timer = setTimeout(resolve, 3000); })]);
    clearTimeout(timer);
    const rm = packets.filter((p) => p.kind === 'remove-node');
    assert.equal(rm.length, 1, JSON.stringify(packets.map((p) => p.kind)));
    assert.deepEqual(rm[0], { kind: 'remove-node', clusterId: 1, sourceNodeId: 1, destinationNodeId: 3, targetNodeId: 3 });
  } finally {
    await runner.stop();
    server.close();
  }
});

test('clusterer:reload on a node that is not in db_mode answers OpenSIPS\'s 400 "Non-DB mode"', async () => {
  const { call } = setup(0);
  await assert.rejects(async () => call('clusterer:reload', {}), refused(400, 'RPC_CLUSTER_NO_DB', 'Non-DB mode'));
});

test('clusterer:set_cap_status {cluster_id, capability, status}: "OK", list_cap shows it; unknown cluster / capability and a bad status answer as OpenSIPS', () => {
  const { call, node } = setup(0);
  node.capabilities.registerLocal('sipcluster-mi', true);
  assert.equal(call('clusterer:set_cap_status', { cluster_id: 1, capability: 'sipcluster-mi', status: 0 }), 'OK');
  assert.deepEqual(call('clusterer:list_cap', {}), { Clusters: [{ cluster_id: 1, Capabilities: [{ name: 'sipcluster-mi', state: 'not synced', enabled: 'no' }] }] });
  assert.equal(node.sendRouted({ kind: 'mi-ticket', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2, requestId: 1, command: 'uptime', paramsHash: '00000000' }), 'cap-disabled');
  assert.equal(call('clusterer_set_cap_status', { cluster_id: '1', capability: 'sipcluster-mi', status: '1' }), 'OK', 'the 3.x name, MI strings');
  assert.deepEqual(call('clusterer:list_cap', {}), { Clusters: [{ cluster_id: 1, Capabilities: [{ name: 'sipcluster-mi', state: 'Ok', enabled: 'yes' }] }] });
  assert.throws(() => call('clusterer:set_cap_status', { cluster_id: 7, capability: 'sipcluster-mi', status: 0 }), refused(404, 'RPC_CLUSTER_NOT_FOUND', 'Cluster id not found'));
  assert.throws(() => call('clusterer:set_cap_status', { cluster_id: 1, capability: 'dialog-dlg-repl', status: 0 }), refused(404, 'RPC_CLUSTER_CAP_NOT_FOUND', 'Capability not found'));
  assert.throws(() => call('clusterer:set_cap_status', { cluster_id: 1, capability: 'sipcluster-mi', status: 2 }), refused(400, 'RPC_INVALID_PARAMS', "Bad value for 'status'"));
  assert.throws(() => call('clusterer:set_cap_status', { cluster_id: 1, status: 0 }), (e: unknown) => e instanceof RpcError && e.code === 'RPC_INVALID_PARAMS');
});
