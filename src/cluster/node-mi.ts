/**
 * The MI views of a ClusterNode, in OpenSIPS's shapes (vectors mi/node1-clusterer_list.json,
 * node1-clusterer_list_topology.json, node1-clusterer_list_cap.json and the node3-down variants).
 * Each function returns one entry of the "Clusters" array; the MI layer wraps them.
 */
import type { NodeId } from '../lib/ids.ts';
import { miLinkState } from './membership/heartbeat-table.ts';
import type { MiLinkState } from './membership/heartbeat-table.ts';
import type { ClusterNode } from './node.ts';

/** One node of `clusterer_list` (clusterer.c clusterer_list): numbers stay numbers, next_hop is a string. */
export interface MiNodeEntry {
  readonly node_id: number;
  readonly db_id: number;
  readonly url: string;
  readonly link_state: MiLinkState;
  readonly state: 'enabled' | 'disabled';
  /** The next hop's id as a string, or "none" when the node is unreachable (node3-down vector). */
  readonly next_hop: string;
  readonly description: string;
}

export interface MiClusterList {
  readonly cluster_id: number;
  readonly Nodes: MiNodeEntry[];
}

export interface MiClusterTopology {
  readonly cluster_id: number;
  readonly Nodes: Array<{ readonly node_id: number; readonly Neighbours: number[] }>;
}

export interface MiClusterCaps {
  readonly cluster_id: number;
  readonly Capabilities: Array<{ readonly name: string; readonly state: 'Ok' | 'not synced'; readonly enabled: 'yes' | 'no' }>;
}

/** clusterer_list: other nodes, most recently learned first, as OpenSIPS lists them. */
export function miList(node: ClusterNode): MiClusterList {
  return {
    cluster_id: node.clusterId,
    Nodes: node.directory.list().map((n) => {
      const hop = node.topology.nextHop(n.id);
      const link = node.linkState(n.id);
      return {
        node_id: n.id,
        db_id: n.dbId,
        url: n.description.url,
        link_state: link === undefined ? 'Down' : miLinkState(link),
        // The listed node's state as this node holds it (OpenSIPS prints each node_info's own
        // NODE_STATE_ENABLED flag; cl_set_state on the current node leaves those alone, and its
        // links going Down is what the rows show). We do not disable other nodes, so: enabled.
        state: 'enabled',
        next_hop: hop === undefined ? 'none' : String(hop),
        description: n.comment === '' ? 'none' : n.comment,
      };
    }),
  };
}

/** clusterer_list_topology: ourselves first, then every known node with its reported Up links. */
export function miListTopology(node: ClusterNode): MiClusterTopology {
  const ids: NodeId[] = [node.selfId, ...node.directory.ids()];
  return { cluster_id: node.clusterId, Nodes: ids.map((id) => ({ node_id: id, Neighbours: [...node.topology.neighborsOf(id)] })) };
}

/** clusterer_list_cap: the capabilities this node registered and their sync state. */
export function miListCap(node: ClusterNode): MiClusterCaps {
  return { cluster_id: node.clusterId, Capabilities: node.capabilities.miList() };
}
