/**
 * ClusterNode: one node's view of one cluster, composing membership (per-link heartbeats),
 * topology (link-state database) and the capability table. Sans-I/O: inputs are decoded BIN
 * messages with the connection they came on, ticks and connection events; every call returns
 * the outputs to perform. Outputs carry *typed* messages (the driver encodes them with
 * wire/encodeBinMessage), so tests and the simulator can read them without decoding.
 */
import type { Clock } from '../lib/time.ts';
import type { CounterFactory, Gauge } from '../lib/counter.ts';
import type { NodeId } from '../lib/ids.ts';
import type { BinMessage, ClustererExtraMessage, ClustererInternalMessage, DecodedPacket, FloodedMessage, SipclusterMiMessage, UsrlocMessage } from './wire/index.ts';
import { forwardFlooded } from './wire/index.ts';
import { HeartbeatLink } from './membership/heartbeat-link.ts';
import type { HeartbeatOutput } from './membership/heartbeat-link.ts';
import type { HeartbeatParams } from './membership/heartbeat-params.ts';
import type { HeartbeatInput } from './membership/heartbeat-table.ts';
import { NodeDirectory } from './topology/node-directory.ts';
import type { NodeDescription } from './topology/node-directory.ts';
import { LinkStateDb } from './topology/link-state-db.ts';
import { floodDecision } from './topology/flooding.ts';
import { CapabilityTable } from './capability/capability-table.ts';
import { RelayGuard } from './topology/relay-guard.ts';

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
  | { readonly kind: 'dropped'; readonly code: string };

/** OpenSIPS send results (clusterer_admin.xml cluster_send_req): 1, -1, -2 (-3 is the driver's). */
export type SendResult = 'sent' | 'disabled' | 'unreachable';

export class ClusterNode {
  readonly selfId: NodeId;
  readonly directory: NodeDirectory;
  readonly topology: LinkStateDb;
  readonly capabilities: CapabilityTable;
  private readonly links = new Map<NodeId, HeartbeatLink>();
  private readonly pongKnown = new Map<NodeId, NodeId[]>();
  private readonly relayGuard = new RelayGuard();
  private readonly capFloodSeen = new RelayGuard(1);
  private on = true;
  private out: NodeOutput[] = [];
  private readonly gNodes: Gauge;
  private readonly gUp: Gauge;
  private readonly gDown: Gauge;

  constructor(
    private readonly cfg: ClusterNodeConfig,
    private readonly clock: Clock,
    private readonly counters: CounterFactory,
  ) {
    this.selfId = cfg.selfId;
    this.directory = new NodeDirectory(cfg.selfId, cfg.self);
    this.topology = new LinkStateDb(cfg.selfId, this.directory);
    this.capabilities = new CapabilityTable(cfg.selfId);
    for (const c of cfg.capabilities ?? []) this.capabilities.registerLocal(c);
    // OpenSIPS's statistic names (vectors mi/node1-statistics_get.json).
    this.gNodes = counters.gauge('clusterer:clusterer_nodes', 'known nodes in the cluster, ourselves excluded');
    this.gUp = counters.gauge('clusterer:clusterer_nodes_up', 'nodes reachable over any path');
    this.gDown = counters.gauge('clusterer:clusterer_nodes_down', 'known nodes that no path reaches');
    for (const n of cfg.nodes) {
      this.directory.configure(n.id, n.description, n.dbId === undefined ? 'config' : 'db', n.dbId ?? -1, n.comment ?? '');
      this.ensureLink(n.id);
    }
  }

  get clusterId(): number {
    return this.cfg.clusterId;
  }

  /** clusterer_set_status of the current node (MI views in node-mi.ts). */
  get enabled(): boolean {
    return this.on;
  }

  // ---------------- inputs ----------------

  tick(): NodeOutput[] {
    if (this.on) for (const [id, link] of this.links) this.onHeartbeat(id, link.tick(this.now()).outputs);
    return this.flush();
  }

  /** When the driver should call tick() next (monotonic ms). */
  nextWakeMs(): number {
    let t = Number.POSITIVE_INFINITY;
    if (this.on) for (const l of this.links.values()) t = Math.min(t, l.nextDeadlineMs());
    return t;
  }

  connectionClosed(nodeId: NodeId): NodeOutput[] {
    return this.linkInput(nodeId, 'connection-closed');
  }

  sendFailed(nodeId: NodeId): NodeOutput[] {
    return this.linkInput(nodeId, 'send-failed');
  }

  receive(packet: DecodedPacket, from: PacketSource): NodeOutput[] {
    // cl_set_state: a disabled node ignores what it receives (bin_rcv_cl_packets).
    if (!this.on) return this.rejected('CLUSTER_NODE_DISABLED');
    if (packet.kind === 'unknown-capability') return this.rejected('CLUSTER_UNKNOWN_CAPABILITY');
    const m = packet;
    if ('destinationNodeId' in m) return this.receiveRouted(m, from);
    const im = m as ClustererInternalMessage;
    if (im.clusterId !== this.cfg.clusterId) return this.rejected('CLUSTER_WRONG_CLUSTER');
    if (im.sourceNodeId === this.selfId && im.kind !== 'node-description') return this.rejected('CLUSTER_OWN_ID');
    this.receiveInternal(im, from);
    return this.flush();
  }

  /** Sends a routed message (generic, sync, usrloc...) to its trailer destination via the next hop. */
  sendRouted(msg: RoutedMessage): SendResult {
    if (!this.on) return 'disabled';
    const hop = this.topology.nextHop(msg.destinationNodeId as NodeId);
    if (hop === undefined) return 'unreachable';
    this.out.push({ kind: 'send', to: hop, msg });
    return 'sent';
  }

  /** Outputs produced by sendRouted() and other non-input calls. */
  takeOutputs(): NodeOutput[] {
    return this.flush();
  }

  /** clusterer_set_status for the current node (cl_set_state). */
  setEnabled(on: boolean): NodeOutput[] {
    if (on === this.on) return [];
    if (!on) {
      for (const [id, link] of this.links) this.onHeartbeat(id, link.input('disable', this.now()).outputs);
      this.on = false;
    } else {
      this.on = true;
      for (const [id, link] of this.links) this.onHeartbeat(id, link.input('enable', this.now()).outputs);
    }
    return this.flush();
  }

  /** clusterer:remove_node: forget a node (it is re-learned if it shows up again). */
  removeNode(id: NodeId): NodeOutput[] {
    this.forget(id);
    return this.flush();
  }

  /**
   * clusterer_reload (db_mode 1): the authoritative node list changed. New rows are pinged,
   * rows that disappeared are forgotten; nodes learned over the wire stay.
   */
  reconfigure(nodes: ClusterNodeConfig['nodes']): NodeOutput[] {
    const keep = new Set(nodes.map((n) => n.id));
    for (const n of this.directory.list()) if (n.origin !== 'learned' && !keep.has(n.id)) this.forget(n.id);
    for (const n of nodes) {
      if (n.id === this.selfId) continue;
      this.directory.configure(n.id, n.description, n.dbId === undefined ? 'config' : 'db', n.dbId ?? -1, n.comment ?? '');
      this.ensureLink(n.id);
    }
    this.updateGauges();
    return this.flush();
  }

  private forget(id: NodeId): void {
    const link = this.links.get(id);
    if (link !== undefined && (link.state === 'up' || link.state === 'suspect')) this.ownLinkChanged(id, 'down');
    this.links.delete(id);
    this.directory.remove(id);
    this.topology.forget(id);
    this.capabilities.forgetNode(id);
    this.reachability();
  }

  /** The link machine's state for a neighbor (tests, MI). */
  linkState(id: NodeId): HeartbeatLink['state'] | undefined {
    return this.links.get(id)?.state;
  }

  // ---------------- internals ----------------

  private receiveInternal(m: ClustererInternalMessage, from: PacketSource): void {
    const src = m.sourceNodeId as NodeId;
    const known = this.directory.has(src);
    const transmitter = ('path' in m ? (m.path[m.path.length - 1] as NodeId | undefined) : src) ?? src;
    if (this.directory.has(transmitter)) this.linkInput(transmitter, m.kind === 'ping' ? 'ping' : m.kind === 'pong' ? 'pong' : 'traffic', false);
    if (!known) {
      // handle_internal_msg_unknown: PING → UNKNOWN_ID on the same connection; NODE_DESCRIPTION → learn + flood.
      if (m.kind === 'ping') this.out.push({ kind: 'reply', connId: from.connId, msg: { kind: 'unknown-id', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId } });
      else if (m.kind === 'node-description') this.learnDescription(m);
      else this.drop('CLUSTER_UNKNOWN_SOURCE');
      return;
    }
    switch (m.kind) {
      case 'ping':
        this.send(src, { kind: 'pong', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId, knownNodeIds: m.requestNodeList ? this.directory.ids().filter((id) => id !== src) : [] });
        return;
      case 'pong':
        this.pongKnown.set(src, m.knownNodeIds as NodeId[]);
        return; // the link input above did the rest (link-up sends FULL_TOP/CAP)
      case 'unknown-id':
        // handle_unknown_id: describe ourselves, then restart pinging.
        this.send(src, { kind: 'node-description', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId, ...this.cfg.self, path: [this.selfId] });
        this.linkInput(src, 'unknown-id', false);
        return;
      case 'node-description':
        if (m.sourceNodeId === this.selfId || this.directory.urlClash(src, m.url)) this.learnDescription(m);
        return; // "Already got node description", dropped (clusterer.c)
      case 'ls-update': {
        const r = this.topology.applyLsUpdate(src, { seq: m.lsSeqNo, timestamp: m.timestampS }, m.neighborNodeId as NodeId, m.linkState);
        if (r.verdict === 'stale') return void this.drop('CLUSTER_STALE_UPDATE');
        if (r.aboutSelf !== undefined) {
          const st = this.links.get(src)?.state;
          const ourUp = st === 'up' || st === 'suspect';
          if ((r.aboutSelf === 'up' && st === 'down') || (r.aboutSelf === 'down' && ourUp)) this.linkInput(src, 'peer-reset', false);
        }
        if (r.unknown === true) return;
        this.flood(m);
        this.reachability();
        return;
      }
      case 'full-top-update': {
        const entries = m.nodes.map((e) => ({ nodeId: e.nodeId as NodeId, ls: { seq: e.lsSeqNo, timestamp: e.lsTimestampS }, neighbors: e.neighborIds as NodeId[], ...(e.description === undefined ? {} : { description: e.description }) }));
        const r = this.topology.applyFullTop(src, { seq: m.topSeqNo, timestamp: m.timestampS }, entries, (n) => { const s = this.links.get(n)?.state; return s === 'up' || s === 'suspect'; });
        if (r.verdict === 'stale') return void this.drop('CLUSTER_STALE_UPDATE');
        for (const id of r.added) this.ensureLink(id);
        for (const c of r.collisions) this.collision(c.id, c.knownUrl, c.claimedUrl);
        for (const id of r.restartPinging) this.linkInput(id, 'peer-reset', false);
        this.flood(m);
        this.reachability();
        return;
      }
      case 'cap-update': {
        const r = this.capabilities.apply(m.nodes.map((n) => ({ nodeId: n.nodeId as NodeId, caps: n.capabilities.map((c) => ({ name: c.name, ok: c.synced })) })), (id) => this.directory.has(id));
        if (r.kind === 'unknown-node') return void this.drop('CLUSTER_UNKNOWN_NODE');
        if (m.requireReply) this.sendCapUpdate(src, false);
        // CAP_UPDATE has no seq check (handle_cap_update), so in a mesh path-based flooding alone
        // multiplies copies by every loop-free path; forward each distinct update only once.
        if (this.capFloodSeen.admit(m, this.now())) this.flood(m);
        return;
      }
    }
  }

  private receiveRouted(m: RoutedMessage, from: PacketSource): NodeOutput[] {
    if (m.clusterId !== this.cfg.clusterId) return this.rejected('CLUSTER_WRONG_CLUSTER');
    if (m.sourceNodeId === this.selfId) return this.rejected('CLUSTER_OWN_ID');
    const src = m.sourceNodeId as NodeId;
    if (!this.directory.has(src)) return this.rejected('CLUSTER_UNKNOWN_SOURCE');
    if (from.nodeId !== undefined) this.linkInput(from.nodeId, 'traffic', false);
    if (m.destinationNodeId === this.selfId) {
      this.out.push({ kind: 'message', msg: m });
      return this.flush();
    }
    // clusterer.c "route the message": relay to the next hop, never back where it came from.
    const dest = m.destinationNodeId as NodeId;
    const hop = this.directory.has(dest) ? this.topology.nextHop(dest) : undefined;
    if (hop === undefined) return this.rejected('CLUSTER_ROUTE_UNREACHABLE');
    if (hop === from.nodeId || !this.relayGuard.admit(m, this.now())) return this.rejected('CLUSTER_ROUTE_LOOP');
    this.out.push({ kind: 'send', to: hop, msg: m });
    return this.flush();
  }

  private learnDescription(m: Extract<ClustererInternalMessage, { kind: 'node-description' }>): void {
    const src = m.sourceNodeId as NodeId;
    const r = this.directory.learn(src, { url: m.url, sipAddr: m.sipAddr, priority: m.priority, noPingRetries: m.noPingRetries });
    if (r.kind === 'collision') return this.collision(r.id, r.knownUrl, r.claimedUrl);
    if (r.kind !== 'added') return;
    this.ensureLink(src);
    this.updateGauges();
    this.flood(m);
  }

  private collision(id: NodeId, knownUrl: string, claimedUrl: string): void {
    this.counters.counter('clusterer:id_collisions', 'node descriptions claiming a known id with another URL').inc();
    this.out.push({ kind: 'id-collision', nodeId: id, knownUrl, claimedUrl });
  }

  private linkInput(id: NodeId, input: HeartbeatInput, flush = true): NodeOutput[] {
    const link = this.links.get(id);
    if (link !== undefined && this.on) this.onHeartbeat(id, link.input(input, this.now()).outputs);
    return flush ? this.flush() : [];
  }

  private onHeartbeat(id: NodeId, outputs: readonly HeartbeatOutput[]): void {
    for (const o of outputs) {
      if (o.kind === 'send-ping') this.send(id, { kind: 'ping', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId, requestNodeList: o.reqNodeList });
      else this.ownLinkChanged(id, o.kind === 'link-up' ? 'up' : 'down');
    }
  }

  /** set_link_w_neigh_up / set_link_w_neigh_adv: flood LS_UPDATE; on Up also FULL_TOP and CAP_UPDATE. */
  private ownLinkChanged(id: NodeId, state: 'up' | 'down'): void {
    const ls = this.topology.setOwnLink(id, state, this.wallS());
    if (ls !== undefined) {
      for (const to of this.topology.upNeighbors()) {
        if (to === id) continue;
        this.send(to, { kind: 'ls-update', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId, lsSeqNo: ls.seq, timestampS: ls.timestamp, neighborNodeId: id, linkState: state, path: [this.selfId] });
      }
    }
    if (state === 'up') {
      const top = this.topology.buildFullTop(id, this.pongKnown.get(id) ?? [], this.wallS());
      this.send(id, {
        kind: 'full-top-update', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId, topSeqNo: top.seq, timestampS: top.timestamp, path: [this.selfId],
        nodes: top.entries.map((e) => ({ nodeId: e.nodeId, description: e.description, lsSeqNo: e.ls.seq, lsTimestampS: e.ls.timestamp, neighborIds: e.neighbors })),
      });
      this.sendCapUpdate(id, true);
    }
    this.reachability();
  }

  private sendCapUpdate(to: NodeId, requireReply: boolean): void {
    const u = this.capabilities.build(this.wallS());
    this.send(to, {
      kind: 'cap-update', clusterId: this.cfg.clusterId, sourceNodeId: this.selfId, capSeqNo: u.seq, timestampS: u.timestamp, requireReply, path: [this.selfId],
      nodes: u.entries.map((e) => ({ nodeId: e.nodeId, capabilities: e.caps.map((c) => ({ name: c.name, synced: c.ok })) })),
    });
  }

  private flood(m: FloodedMessage): void {
    const d = floodDecision(this.selfId, m.path as NodeId[], this.topology.upNeighbors());
    if (d.kind === 'drop') {
      if (d.reason !== 'no-target') this.drop(d.reason === 'loop' ? 'CLUSTER_FLOOD_LOOP' : 'CLUSTER_FLOOD_PATH_TOO_LONG');
      return;
    }
    const fwd = forwardFlooded(m, this.selfId);
    if (fwd === undefined) return void this.drop('CLUSTER_FLOOD_PATH_TOO_LONG');
    for (const to of d.to) this.send(to, fwd);
  }

  private reachability(): void {
    const changes = this.topology.takeReachabilityChanges();
    for (const c of changes) {
      this.out.push({ kind: c.reachable ? 'node-up' : 'node-down', nodeId: c.nodeId });
      if (!c.reachable) this.capabilities.forgetNode(c.nodeId);
    }
    if (changes.length > 0) this.out.push({ kind: 'topology-changed' });
    this.updateGauges();
  }

  private updateGauges(): void {
    const ids = this.directory.ids();
    const up = ids.filter((id) => this.topology.isReachable(id)).length;
    this.gNodes.set(ids.length);
    this.gUp.set(up);
    this.gDown.set(ids.length - up);
  }

  private ensureLink(id: NodeId): void {
    if (id === this.selfId || this.links.has(id)) return;
    this.links.set(id, new HeartbeatLink(this.cfg.heartbeat, this.now()));
    this.updateGauges();
  }

  private send(to: NodeId, msg: BinMessage): void {
    this.out.push({ kind: 'send', to, msg });
  }

  /**
   * Counts a drop and queues its event. It must not flush: outputs the same input produced
   * before the drop (a link coming Up on the packet's arrival, say) would be lost with it.
   */
  private drop(code: string): void {
    this.counters.counter(`clusterer:drop_${code}`, 'dropped cluster packets by reason').inc();
    this.out.push({ kind: 'dropped', code });
  }

  /** A whole input rejected: the drop and whatever was queued before it. */
  private rejected(code: string): NodeOutput[] {
    this.drop(code);
    return this.flush();
  }

  private flush(): NodeOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  private now(): number {
    return this.clock.nowMs();
  }

  private wallS(): number {
    return Math.floor(this.clock.wallMs() / 1000);
  }
}
