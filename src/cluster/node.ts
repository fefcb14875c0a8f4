/**
 * ClusterNode: one node's view of one cluster, composing membership (per-link heartbeats),
 * topology (link-state database) and the capability table. Sans-I/O: inputs are decoded BIN
 * messages with the connection they came on, ticks and connection events; every call returns
 * the outputs to perform. Outputs carry *typed* messages (the driver encodes them with
 * wire/encodeBinMessage), so tests and the simulator can read them without decoding.
 *
 * This file is the public API; the shared state and steps are in node-core.ts, the handling of
 * received messages in node-receive.ts, the input/output types in node-types.ts.
 */
import type { Clock } from '../lib/time.ts';
import type { CounterFactory } from '../lib/counter.ts';
import type { NodeId } from '../lib/ids.ts';
import type { ClustererInternalMessage, DecodedPacket } from './wire/index.ts';
import type { HeartbeatLink } from './membership/heartbeat-link.ts';
import type { NodeDirectory } from './topology/node-directory.ts';
import type { LinkStateDb } from './topology/link-state-db.ts';
import type { CapabilityTable, SetCapResult } from './capability/capability-table.ts';
import { capabilityOf } from './capability/message-capability.ts';
import { NodeCore } from './node-core.ts';
import { receiveInternal, receiveRouted } from './node-receive.ts';
import { nodeIdsValid } from './node-ids-check.ts';
import type { ClusterNodeConfig, NodeOutput, PacketSource, RemoveNodeResult, RoutedMessage, SendResult } from './node-types.ts';

export type { SetCapResult } from './capability/capability-table.ts';
export type { ClusterNodeConfig, NodeOutput, PacketSource, RemoveNodeRefusal, RemoveNodeResult, RoutedMessage, SendResult } from './node-types.ts';

export class ClusterNode {
  readonly selfId: NodeId;
  readonly directory: NodeDirectory;
  readonly topology: LinkStateDb;
  readonly capabilities: CapabilityTable;
  private readonly c: NodeCore;

  constructor(cfg: ClusterNodeConfig, clock: Clock, counters: CounterFactory) {
    this.c = new NodeCore(cfg, clock, counters);
    this.selfId = cfg.selfId;
    this.directory = this.c.directory;
    this.topology = this.c.topology;
    this.capabilities = this.c.capabilities;
    for (const n of cfg.nodes) this.c.configure(n);
  }

  get clusterId(): number {
    return this.c.clusterId;
  }

  /** clusterer_set_status of the current node (MI views in node-mi.ts). */
  get enabled(): boolean {
    return this.c.on;
  }

  // ---------------- inputs ----------------

  tick(): NodeOutput[] {
    const c = this.c;
    if (c.on) for (const [id, link] of c.links) c.onHeartbeat(id, link.tick(c.now()).outputs);
    return c.flush();
  }

  /** When the driver should call tick() next (monotonic ms). */
  nextWakeMs(): number {
    let t = Number.POSITIVE_INFINITY;
    if (this.c.on) for (const l of this.c.links.values()) t = Math.min(t, l.nextDeadlineMs());
    return t;
  }

  connectionClosed(nodeId: NodeId): NodeOutput[] {
    return this.c.linkInput(nodeId, 'connection-closed');
  }

  sendFailed(nodeId: NodeId): NodeOutput[] {
    return this.c.linkInput(nodeId, 'send-failed');
  }

  receive(packet: DecodedPacket, from: PacketSource): NodeOutput[] {
    const c = this.c;
    // cl_set_state: a disabled node ignores what it receives (bin_rcv_cl_packets).
    if (!c.on) return c.rejected('CLUSTER_NODE_DISABLED');
    if (packet.kind === 'unknown-capability') return c.rejected('CLUSTER_UNKNOWN_CAPABILITY');
    if (!nodeIdsValid(packet)) return c.rejected('CLUSTER_BAD_NODE_ID');
    const m = packet;
    if ('destinationNodeId' in m) return receiveRouted(c, m, from);
    const im = m as ClustererInternalMessage;
    if (im.clusterId !== c.clusterId) return c.rejected('CLUSTER_WRONG_CLUSTER');
    if (im.sourceNodeId === this.selfId && im.kind !== 'node-description') return c.rejected('CLUSTER_OWN_ID');
    receiveInternal(c, im, from);
    return c.flush();
  }

  /** Sends a routed message (generic, sync, usrloc...) to its trailer destination via the next hop. */
  sendRouted(msg: RoutedMessage): SendResult {
    if (!this.c.on) return 'disabled';
    if (this.capDisabled(msg)) return 'cap-disabled';
    const hop = this.topology.nextHop(msg.destinationNodeId as NodeId);
    if (hop === undefined) return 'unreachable';
    this.c.send(hop, msg);
    return 'sent';
  }

  /** Outputs produced by sendRouted() and other non-input calls. */
  takeOutputs(): NodeOutput[] {
    return this.c.flush();
  }

  /** clusterer_set_status for the current node (cl_set_state). */
  setEnabled(on: boolean): NodeOutput[] {
    this.c.setOn(on);
    return this.c.flush();
  }

  /**
   * clusterer:set_cap_status for one of our capabilities (CapabilityTable.setLocalEnabled says
   * what a disabled one stops doing). A change is told to every Up neighbor in a CAP_UPDATE, which
   * they flood on: the others learn we are no sync donor for it (or again one).
   */
  setCapabilityEnabled(name: string, on: boolean): { readonly result: SetCapResult; readonly outputs: NodeOutput[] } {
    const c = this.c;
    const result = c.capabilities.setLocalEnabled(name, on);
    if (result === 'changed' && c.on) for (const to of this.topology.upNeighbors()) c.sendCapUpdate(to, false);
    return { result, outputs: c.flush() };
  }

  /** A message of a capability disabled here: neither sent nor accepted. */
  private capDisabled(msg: RoutedMessage): boolean {
    const cap = capabilityOf(msg);
    return cap !== undefined && this.c.capabilities.isLocalDisabled(cap);
  }

  /**
   * clusterer:remove_node removes a node from the whole cluster, as OpenSIPS's MI does
   * (clusterer_mod.c cluster_remove_node → clusterer.c bcast_remove_node):
   * - refused in db_mode 1, and for a node not in our node list; OpenSIPS's node list never holds
   *   the current node, so naming ourselves is an unknown node too;
   * - a REMOVE_NODE goes to every known node, the target included (clusterer_bcast_msg with
   *   NODE_CMP_ANY), one copy each with the trailer addressed to that node, on our link if it is
   *   Up and else through the next hop (msg_send_retry); a node no path reaches gets none, and a
   *   disabled current node sends none (CLUSTERER_CURR_DISABLED). The target disables itself on
   *   its copy, the others forget it (node-receive.ts receiveRemoveNode);
   * - the node is then forgotten here, whatever the sends gave (OpenSIPS only logs them). It is
   *   learnt again if it describes itself later (db_mode 0 discovery).
   * The sends come first in `outputs`: the driver must still know the target's URL for them.
   */
  removeNode(id: NodeId): RemoveNodeResult {
    const c = this.c;
    if (c.cfg.dbMode === 1) return { kind: 'refused', reason: 'db-mode' };
    if (id === this.selfId || !this.directory.has(id)) return { kind: 'refused', reason: 'unknown-node' };
    const notified: NodeId[] = [];
    if (c.on) {
      for (const dest of this.directory.ids()) {
        const hop = this.topology.nextHop(dest);
        if (hop === undefined) continue;
        c.send(hop, { kind: 'remove-node', clusterId: c.clusterId, sourceNodeId: this.selfId, destinationNodeId: dest, targetNodeId: id });
        notified.push(dest);
      }
    }
    c.forget(id);
    return { kind: 'removed', notified, outputs: c.flush() };
  }

  /**
   * clusterer_reload (db_mode 1): the authoritative node list changed. New rows are pinged,
   * rows that disappeared are forgotten; nodes learned over the wire stay.
   */
  reconfigure(nodes: ClusterNodeConfig['nodes']): NodeOutput[] {
    const keep = new Set(nodes.map((n) => n.id));
    for (const n of this.directory.list()) if (n.origin !== 'learned' && !keep.has(n.id)) this.c.forget(n.id);
    for (const n of nodes) if (n.id !== this.selfId) this.c.configure(n);
    this.c.updateGauges();
    return this.c.flush();
  }

  /** The link machine's state for a neighbor (tests, MI). */
  linkState(id: NodeId): HeartbeatLink['state'] | undefined {
    return this.c.links.get(id)?.state;
  }
}
