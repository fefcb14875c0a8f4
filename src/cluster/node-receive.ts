/**
 * What a node does with a received message once ClusterNode.receive() has checked that it is
 * enabled and the message is for its cluster: clusterer-internal messages (membership, topology,
 * capabilities; OpenSIPS clusterer.c bin_rcv_cl_packets / handle_internal_msg*) and routed
 * messages (delivered here or relayed to the next hop).
 */
import type { NodeId } from '../lib/ids.ts';
import type { ClustererInternalMessage } from './wire/index.ts';
import type { NodeCore } from './node-core.ts';
import { capabilityOf } from './capability/message-capability.ts';
import type { NodeOutput, PacketSource, RoutedMessage } from './node-types.ts';

export function receiveInternal(c: NodeCore, m: ClustererInternalMessage, from: PacketSource): void {
  const src = m.sourceNodeId as NodeId;
  const known = c.directory.has(src);
  const transmitter = ('path' in m ? (m.path[m.path.length - 1] as NodeId | undefined) : src) ?? src;
  // handle_pong hands this PONG's node list to set_link_w_neigh_up: the FULL_TOP_UPDATE that the
  // link input below sends on link-up leaves out the descriptions it says the peer has (it used
  // the previous PONG's list: none on first contact, a stale one after the peer restarted).
  if (m.kind === 'pong' && known) c.pongKnown.set(src, m.knownNodeIds as NodeId[]);
  if (c.directory.has(transmitter)) c.linkInput(transmitter, m.kind === 'ping' ? 'ping' : m.kind === 'pong' ? 'pong' : 'traffic', false);
  if (!known) {
    // handle_internal_msg_unknown: PING → UNKNOWN_ID on the same connection; NODE_DESCRIPTION → learn + flood.
    if (m.kind === 'ping') c.emit({ kind: 'reply', connId: from.connId, msg: { kind: 'unknown-id', clusterId: c.clusterId, sourceNodeId: c.selfId } });
    else if (m.kind === 'node-description') c.learnDescription(m);
    else c.drop('CLUSTER_UNKNOWN_SOURCE');
    return;
  }
  switch (m.kind) {
    case 'ping':
      c.send(src, { kind: 'pong', clusterId: c.clusterId, sourceNodeId: c.selfId, knownNodeIds: m.requestNodeList ? c.directory.ids().filter((id) => id !== src) : [] });
      return;
    case 'pong':
      return; // the link input above did the rest (link-up sends FULL_TOP/CAP)
    case 'unknown-id':
      // handle_unknown_id: describe ourselves, then restart pinging.
      c.send(src, { kind: 'node-description', clusterId: c.clusterId, sourceNodeId: c.selfId, ...c.cfg.self, path: [c.selfId] });
      c.linkInput(src, 'unknown-id', false);
      return;
    case 'node-description':
      if (m.sourceNodeId === c.selfId || c.directory.urlClash(src, m.url)) c.learnDescription(m);
      return; // "Already got node description", dropped (clusterer.c)
    case 'ls-update': {
      const r = c.topology.applyLsUpdate(src, { seq: m.lsSeqNo, timestamp: m.timestampS }, m.neighborNodeId as NodeId, m.linkState);
      if (r.verdict === 'stale') return void c.drop('CLUSTER_STALE_UPDATE');
      if (r.aboutSelf !== undefined) {
        const st = c.links.get(src)?.state;
        const ourUp = st === 'up' || st === 'suspect';
        if ((r.aboutSelf === 'up' && st === 'down') || (r.aboutSelf === 'down' && ourUp)) c.linkInput(src, 'peer-reset', false);
      }
      if (r.unknown === true) return;
      c.flood(m);
      c.reachability();
      return;
    }
    case 'full-top-update': {
      const entries = m.nodes.map((e) => ({ nodeId: e.nodeId as NodeId, ls: { seq: e.lsSeqNo, timestamp: e.lsTimestampS }, neighbors: e.neighborIds as NodeId[], ...(e.description === undefined ? {} : { description: e.description }) }));
      const r = c.topology.applyFullTop(src, { seq: m.topSeqNo, timestamp: m.timestampS }, entries, (n) => { const s = c.links.get(n)?.state; return s === 'up' || s === 'suspect'; });
      if (r.verdict === 'stale') return void c.drop('CLUSTER_STALE_UPDATE');
      for (const id of r.added) c.ensureLink(id);
      for (const x of r.collisions) c.collision(x.id, x.knownUrl, x.claimedUrl);
      for (const id of r.restartPinging) c.linkInput(id, 'peer-reset', false);
      c.flood(m);
      c.reachability();
      return;
    }
    case 'cap-update': {
      const r = c.capabilities.apply(m.nodes.map((n) => ({ nodeId: n.nodeId as NodeId, caps: n.capabilities.map((x) => ({ name: x.name, ok: x.synced })) })), (id) => c.directory.has(id));
      if (r.kind === 'unknown-node') return void c.drop('CLUSTER_UNKNOWN_NODE');
      if (m.requireReply) c.sendCapUpdate(src, false);
      // CAP_UPDATE has no seq check (handle_cap_update), so in a mesh path-based flooding alone
      // multiplies copies by every loop-free path; forward each distinct update only once.
      if (c.capFloodSeen.admit(m, c.now())) c.flood(m);
      return;
    }
  }
}

/**
 * REMOVE_NODE addressed to us (clusterer.c handle_remove_node; sent by clusterer_remove_node,
 * which broadcasts it to every node, so it is not forwarded from here):
 * - db_mode 1: ignored, the database is the node list (dropped, CLUSTER_REMOVE_NODE_DB_MODE);
 * - it names us: the current node disables itself, as clusterer_set_status 0 would (an already
 *   disabled node never gets here: it ignores every packet);
 * - it names a node we do not know: ignored (CLUSTER_REMOVE_NODE_UNKNOWN);
 * - otherwise the node is forgotten as by the local clusterer_remove_node (remove_node). It is
 *   learnt again if it describes itself later, as in OpenSIPS.
 * Wrong cluster, unknown source and our own id as source were refused before (receiveRouted).
 */
function receiveRemoveNode(c: NodeCore, by: NodeId, target: NodeId): void {
  if (c.cfg.dbMode === 1) return c.drop('CLUSTER_REMOVE_NODE_DB_MODE');
  if (target === c.selfId) {
    c.setOn(false);
    c.emit({ kind: 'disabled-by-peer', by });
    return;
  }
  if (!c.directory.has(target)) return c.drop('CLUSTER_REMOVE_NODE_UNKNOWN');
  c.forget(target);
  c.emit({ kind: 'node-removed', nodeId: target, by });
}

export function receiveRouted(c: NodeCore, m: RoutedMessage, from: PacketSource): NodeOutput[] {
  if (m.clusterId !== c.clusterId) return c.rejected('CLUSTER_WRONG_CLUSTER');
  if (m.sourceNodeId === c.selfId) return c.rejected('CLUSTER_OWN_ID');
  const src = m.sourceNodeId as NodeId;
  if (!c.directory.has(src)) return c.rejected('CLUSTER_UNKNOWN_SOURCE');
  if (from.nodeId !== undefined) c.linkInput(from.nodeId, 'traffic', false);
  if (m.destinationNodeId === c.selfId) {
    if (m.kind === 'remove-node') {
      receiveRemoveNode(c, src, m.targetNodeId as NodeId);
      return c.flush();
    }
    // clusterer:set_cap_status: a disabled capability accepts none of its messages. Only what is
    // addressed to us: relaying others' traffic is the clusterer's, not the capability's.
    const cap = capabilityOf(m);
    if (cap !== undefined && c.capabilities.isLocalDisabled(cap)) return c.rejected('CLUSTER_CAP_DISABLED');
    c.emit({ kind: 'message', msg: m });
    return c.flush();
  }
  // clusterer.c "route the message": relay to the next hop, never back where it came from.
  const dest = m.destinationNodeId as NodeId;
  const hop = c.directory.has(dest) ? c.topology.nextHop(dest) : undefined;
  if (hop === undefined) return c.rejected('CLUSTER_ROUTE_UNREACHABLE');
  if (hop === from.nodeId || !c.relayGuard.admit(m, c.now())) return c.rejected('CLUSTER_ROUTE_LOOP');
  c.send(hop, m);
  return c.flush();
}
