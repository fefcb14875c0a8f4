/** The types of ClusterNode's inputs and outputs (node.ts re-exports them). */
import type { NodeId } from '../lib/ids.ts';
import type { BinMessage, ClustererExtraMessage, SipclusterMiMessage, UsrlocMessage } from './wire/index.ts';
import type { HeartbeatParams } from './membership/heartbeat-params.ts';
import type { NodeDescription } from './topology/node-directory.ts';

export type RoutedMessage = ClustererExtraMessage | UsrlocMessage | SipclusterMiMessage;

export interface ClusterNodeConfig {
  readonly clusterId: number;
  readonly selfId: NodeId;
  readonly self: NodeDescription;
  /** Nodes from the config (neighbor_node_info) or the database; seeds among them. */
  /** `comment` is the MI's description column (OpenSIPS `description`). */
  readonly nodes: ReadonlyArray<{ readonly id: NodeId; readonly description: NodeDescription; readonly dbId?: number; readonly comment?: string }>;
  readonly heartbeat: HeartbeatParams;
  readonly capabilities?: readonly string[];
  /**
   * OpenSIPS clusterer db_mode: 1 when the node list comes from the database. A received
   * REMOVE_NODE is acted on only in db_mode 0 (handle_remove_node); default 0.
   */
  readonly dbMode?: 0 | 1;
}

/** Where a packet came from: the driver's connection id, and the node id if the connection is known. */
export interface PacketSource {
  readonly connId: string;
  readonly nodeId?: NodeId;
}

export type NodeOutput =
  | { readonly kind: 'send'; readonly to: NodeId; readonly msg: BinMessage }
  /** Reply on the connection a packet came in on (UNKNOWN_ID to a node we do not know, vectors 01 #2). */
  | { readonly kind: 'reply'; readonly connId: string; readonly msg: BinMessage }
  | { readonly kind: 'node-up'; readonly nodeId: NodeId }
  | { readonly kind: 'node-down'; readonly nodeId: NodeId }
  | { readonly kind: 'topology-changed' }
  | { readonly kind: 'message'; readonly msg: RoutedMessage }
  | { readonly kind: 'id-collision'; readonly nodeId: NodeId; readonly knownUrl: string; readonly claimedUrl: string }
  | { readonly kind: 'dropped'; readonly code: string }
  /** A REMOVE_NODE from `by` made us forget `nodeId` (handle_remove_node); the driver drops its connection. */
  | { readonly kind: 'node-removed'; readonly nodeId: NodeId; readonly by: NodeId }
  /** A REMOVE_NODE from `by` named us: the current node is now disabled, as clusterer_set_status 0. */
  | { readonly kind: 'disabled-by-peer'; readonly by: NodeId };

/** OpenSIPS send results (clusterer_admin.xml cluster_send_req): 1, -1, -2 (-3 is the driver's). */
/** `cap-disabled`: the message's capability is disabled here (clusterer:set_cap_status). */
export type SendResult = 'sent' | 'disabled' | 'cap-disabled' | 'unreachable';

/**
 * clusterer_remove_node refused (clusterer_mod.c cluster_remove_node): `db-mode` in db_mode 1
 * ("Running in DB mode"), `unknown-node` for a node not in our node list, the current node
 * included ("Unknown node id").
 */
export type RemoveNodeRefusal = 'db-mode' | 'unknown-node';

export type RemoveNodeResult =
  | { readonly kind: 'refused'; readonly reason: RemoveNodeRefusal }
  /** `notified`: the nodes a REMOVE_NODE copy is addressed to (the sends are in `outputs`). */
  | { readonly kind: 'removed'; readonly notified: readonly NodeId[]; readonly outputs: NodeOutput[] };
