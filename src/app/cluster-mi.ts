/**
 * The clusterer MI methods with OpenSIPS 4.x names, the 3.x names as aliases, and OpenSIPS's
 * output shapes (vectors mi/node1-clusterer_list*.json). One cluster per node here, so every
 * "Clusters" array has one entry.
 */
import { isValidId, nodeId as toNodeId } from '../lib/ids.ts';
import { miList, miListCap, miListTopology } from '../cluster/node-mi.ts';
import { optionalInt, requireInt, requireString, RpcError, RPC_INVALID_PARAMS } from '../mgmt/rpc-registry.ts';
import type { RpcRegistry } from '../mgmt/rpc-registry.ts';
import type { ClusterService } from './cluster-service.ts';
import type { NodeId } from '../lib/ids.ts';
import type { RemoveNodeRefusal } from '../cluster/node.ts';
import { MAX_MI_PARAMS } from '../cluster/wire/index.ts';
import type { RemoteMi, RemoteMiAnswer } from './cluster-remote-mi.ts';

function checkCluster(svc: ClusterService, id: number): void {
  // OpenSIPS answers 404 "Cluster id not found" for an unknown cluster (clusterer_set_status).
  if (id !== svc.cfg.clusterId) throw new RpcError(404, 'RPC_CLUSTER_NOT_FOUND', 'Cluster id not found');
}

export function registerClustererMethods(reg: RpcRegistry, svc: ClusterService): void {
  const node = svc.runner.node;
  reg.register({
    name: 'clusterer:list', aliases: ['clusterer_list'], help: 'nodes of each cluster with link state and next hop',
    handler: () => ({ Clusters: [miList(node)] }),
  });
  reg.register({
    name: 'clusterer:list_topology', aliases: ['clusterer_list_topology'], help: 'every node with the neighbors it reports',
    handler: () => ({ Clusters: [miListTopology(node)] }),
  });
  reg.register({
    name: 'clusterer:list_cap', aliases: ['clusterer_list_cap'], help: 'registered capabilities and their sync state',
    handler: () => ({ Clusters: [miListCap(node)] }),
  });
  reg.register({
    name: 'clusterer:set_status', aliases: ['clusterer_set_status'], params: ['cluster_id', 'status', 'node_id'],
    help: 'enables (1) or disables (0) the current node in a cluster',
    handler: (p) => {
      checkCluster(svc, requireInt(p, 'cluster_id'));
      const status = requireInt(p, 'status');
      if (status !== 0 && status !== 1) throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', 'status must be 0 or 1');
      const target = optionalInt(p, 'node_id');
      // Only the current node's state is ours to set; another node's comes from that node.
      if (target !== undefined && target !== svc.cfg.nodeId) {
        throw new RpcError(400, 'RPC_CLUSTER_NOT_CURRENT_NODE', 'only the current node\'s status can be set');
      }
      svc.runner.setEnabled(status === 1);
      return 'OK';
    },
  });
  reg.register({
    // OpenSIPS clusterer:set_cap_status: cluster_id, capability (as list_cap names it), status 0/1.
    name: 'clusterer:set_cap_status', aliases: ['clusterer_set_cap_status'], params: ['cluster_id', 'capability', 'status'],
    help: 'enables (1) or disables (0) one of this node\'s capabilities: a disabled one sends and accepts no replication or sync',
    handler: (p) => {
      checkCluster(svc, requireInt(p, 'cluster_id'));
      const capability = requireString(p, 'capability');
      const status = requireInt(p, 'status');
      if (status !== 0 && status !== 1) throw new RpcError(400, 'RPC_INVALID_PARAMS', "Bad value for 'status'");
      if (svc.runner.setCapabilityEnabled(capability, status === 1) === 'unknown-capability') {
        throw new RpcError(404, 'RPC_CLUSTER_CAP_NOT_FOUND', 'Capability not found');
      }
      return 'OK';
    },
  });
  reg.register({
    name: 'clusterer:reload', aliases: ['clusterer_reload'], help: 're-reads the clusterer table (db_mode 1)',
    handler: async () => {
      if (svc.dbMode !== 1) throw new RpcError(400, 'RPC_CLUSTER_NO_DB', 'Non-DB mode');
      await svc.reload();
      return 'OK';
    },
  });
  reg.register({
    name: 'clusterer:remove_node', aliases: ['clusterer_remove_node'], params: ['cluster_id', 'node_id'],
    help: 'removes a node from every node of the cluster (REMOVE_NODE to all); db_mode 0 only',
    handler: (p) => {
      // OpenSIPS's answers and their order (clusterer_mod.c cluster_remove_node): db_mode first,
      // then the cluster, then the node; all 400. "OK" whatever the REMOVE_NODE sends gave.
      if (svc.dbMode === 1) throw removeNodeRefused('db-mode');
      const clusterId = requireInt(p, 'cluster_id');
      if (clusterId !== svc.cfg.clusterId) throw new RpcError(400, 'RPC_CLUSTER_NOT_FOUND', 'Unknown cluster id');
      const id = requireInt(p, 'node_id');
      if (!isValidId(id)) throw new RpcError(400, 'RPC_INVALID_PARAMS', "Bad value for 'node_id'");
      const refused = svc.runner.removeNode(toNodeId(id));
      if (refused !== undefined) throw removeNodeRefused(refused);
      return 'OK';
    },
  });
}

function removeNodeRefused(reason: RemoveNodeRefusal): RpcError {
  return reason === 'db-mode'
    ? new RpcError(400, 'RPC_CLUSTER_DB_MODE', 'Running in DB mode')
    // The current node is not in its own node list, so OpenSIPS answers this for it too.
    : new RpcError(400, 'RPC_CLUSTER_NODE_NOT_FOUND', 'Unknown node id');
}

/** cmd_params: an array of strings (OpenSIPS 3.x+), a single string, or absent. */
function cmdParams(p: Record<string, unknown>): string[] {
  const v = p.cmd_params;
  const list = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  if (list.length > MAX_MI_PARAMS) throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', `at most ${MAX_MI_PARAMS} cmd_params`);
  return list.map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', 'cmd_params must be strings');
    return String(x);
  });
}

function cmdName(p: Record<string, unknown>): string {
  const v = p.cmd_name;
  if (typeof v !== 'string' || v === '') throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', "parameter 'cmd_name' must be a string");
  return v;
}

async function sendOne(remote: RemoteMi, target: NodeId, cmd: string, params: readonly string[]): Promise<RemoteMiAnswer> {
  const r = await remote.send(target, cmd, params);
  if ('failed' in r) return { node_id: target, error: { code: 'RPC_CLUSTER_SEND_FAILED', message: `MI command not sent: ${r.failed}` } };
  return r;
}

/** clusterer:send_mi and clusterer:broadcast_mi (clusterer_admin.xml), with results from sipcluster nodes. */
export function registerRemoteMiMethods(reg: RpcRegistry, svc: ClusterService, remote: RemoteMi): void {
  const node = svc.runner.node;
  reg.register({
    name: 'clusterer:send_mi', aliases: ['cluster_send_mi'], params: ['cluster_id', 'node_id', 'cmd_name', 'cmd_params'],
    help: 'runs an MI command on another node; a sipcluster node answers with its result',
    handler: async (p) => {
      checkCluster(svc, requireInt(p, 'cluster_id'));
      const id = requireInt(p, 'node_id');
      const cmd = cmdName(p);
      const params = cmdParams(p);
      if (id === svc.cfg.nodeId) throw new RpcError(400, 'RPC_CLUSTER_NOT_CURRENT_NODE', 'run local commands directly');
      if (!node.directory.has(toNodeId(id))) throw new RpcError(404, 'RPC_CLUSTER_NODE_NOT_FOUND', 'Node id not found');
      const r = await remote.send(toNodeId(id), cmd, params);
      // OpenSIPS answers 500 when the MI_CMD cannot be sent (cluster_send_mi).
      if ('failed' in r) throw new RpcError(500, 'RPC_CLUSTER_SEND_FAILED', `MI command not sent: ${r.failed}`);
      return r;
    },
  });
  reg.register({
    name: 'clusterer:broadcast_mi', aliases: ['cluster_broadcast_mi'], params: ['cluster_id', 'cmd_name', 'cmd_params'],
    help: 'runs an MI command on every reachable node; lists what each answered',
    handler: async (p) => {
      checkCluster(svc, requireInt(p, 'cluster_id'));
      const cmd = cmdName(p);
      const params = cmdParams(p);
      const targets = svc.nodeIds().filter((id) => id !== svc.cfg.nodeId && svc.isReachable(id));
      return { Nodes: await Promise.all(targets.map((id) => sendOne(remote, id, cmd, params))) };
    },
  });
}
