/**
 * The state one ClusterNode owns and the steps every input shares: link machines, the output
 * queue, flooding, reachability, gauges and drop counting. ClusterNode (node.ts) holds one and
 * exposes the public API; node-receive.ts handles received messages with it. Not used elsewhere.
 */
import type { Clock } from '../lib/time.ts';
import type { CounterFactory, Gauge } from '../lib/counter.ts';
import type { NodeId } from '../lib/ids.ts';
import type { BinMessage, ClustererInternalMessage, FloodedMessage } from './wire/index.ts';
import { forwardFlooded } from './wire/index.ts';
import { HeartbeatLink } from './membership/heartbeat-link.ts';
import type { HeartbeatOutput } from './membership/heartbeat-link.ts';
import type { HeartbeatInput } from './membership/heartbeat-table.ts';
import { NodeDirectory } from './topology/node-directory.ts';
import { LinkStateDb } from './topology/link-state-db.ts';
import { floodDecision } from './topology/flooding.ts';
import { CapabilityTable } from './capability/capability-table.ts';
import { RelayGuard } from './topology/relay-guard.ts';
import type { ClusterNodeConfig, NodeOutput } from './node-types.ts';

export class NodeCore {
  readonly selfId: NodeId;
  readonly clusterId: number;
  readonly directory: NodeDirectory;
  readonly topology: LinkStateDb;
  readonly capabilities: CapabilityTable;
  readonly links = new Map<NodeId, HeartbeatLink>();
  readonly pongKnown = new Map<NodeId, NodeId[]>();
  readonly relayGuard = new RelayGuard();
  readonly capFloodSeen = new RelayGuard(1);
  /** clusterer_set_status of the current node. */
  on = true;
  private out: NodeOutput[] = [];
  private readonly gNodes: Gauge;
  private readonly gUp: Gauge;
  private readonly gDown: Gauge;

  constructor(
    readonly cfg: ClusterNodeConfig,
    private readonly clock: Clock,
    private readonly counters: CounterFactory,
  ) {
    this.selfId = cfg.selfId;
    this.clusterId = cfg.clusterId;
    this.directory = new NodeDirectory(cfg.selfId, cfg.self);
    this.topology = new LinkStateDb(cfg.selfId, this.directory);
    this.capabilities = new CapabilityTable(cfg.selfId);
    for (const c of cfg.capabilities ?? []) this.capabilities.registerLocal(c);
    // OpenSIPS's statistic names (vectors mi/node1-statistics_get.json).
    this.gNodes = counters.gauge('clusterer:clusterer_nodes', 'known nodes in the cluster, ourselves excluded');
    this.gUp = counters.gauge('clusterer:clusterer_nodes_up', 'nodes reachable over any path');
    this.gDown = counters.gauge('clusterer:clusterer_nodes_down', 'known nodes that no path reaches');
  }

  /** A node from the config or the database (re)described. */
  configure(n: ClusterNodeConfig['nodes'][number]): void {
    this.directory.configure(n.id, n.description, n.dbId === undefined ? 'config' : 'db', n.dbId ?? -1, n.comment ?? '');
    this.ensureLink(n.id);
  }

  /**
   * cl_set_state for the current node: disabling brings every link Down (set_link_w_neigh
   * LS_DOWN), enabling restarts pinging (LS_RESTART_PINGING). Also what a REMOVE_NODE naming us
   * does (handle_remove_node). Returns whether the state changed.
   */
  setOn(on: boolean): boolean {
    if (on === this.on) return false;
    if (!on) {
      for (const [id, link] of this.links) this.onHeartbeat(id, link.input('disable', this.now()).outputs);
      this.on = false;
    } else {
      this.on = true;
      for (const [id, link] of this.links) this.onHeartbeat(id, link.input('enable', this.now()).outputs);
    }
    return true;
  }

  forget(id: NodeId): void {
    const link = this.links.get(id);
    if (link !== undefined && (link.state === 'up' || link.state === 'suspect')) this.ownLinkChanged(id, 'down');
    this.links.delete(id);
    this.directory.remove(id);
    this.topology.forget(id);
    this.capabilities.forgetNode(id);
    this.reachability();
  }

  learnDescription(m: Extract<ClustererInternalMessage, { kind: 'node-description' }>): void {
    const src = m.sourceNodeId as NodeId;
    const r = this.directory.learn(src, { url: m.url, sipAddr: m.sipAddr, priority: m.priority, noPingRetries: m.noPingRetries });
    if (r.kind === 'collision') return this.collision(r.id, r.knownUrl, r.claimedUrl);
    if (r.kind === 'full') return this.drop('CLUSTER_TOO_MANY_NODES');
    if (r.kind !== 'added') return;
    this.ensureLink(src);
    this.updateGauges();
    this.flood(m);
  }

  collision(id: NodeId, knownUrl: string, claimedUrl: string): void {
    this.counters.counter('clusterer:id_collisions', 'node descriptions claiming a known id with another URL').inc();
    this.out.push({ kind: 'id-collision', nodeId: id, knownUrl, claimedUrl });
  }

  linkInput(id: NodeId, input: HeartbeatInput, flush = true): NodeOutput[] {
    const link = this.links.get(id);
    if (link !== undefined && this.on) this.onHeartbeat(id, link.input(input, this.now()).outputs);
    return flush ? this.flush() : [];
  }

  onHeartbeat(id: NodeId, outputs: readonly HeartbeatOutput[]): void {
    for (const o of outputs) {
      if (o.kind === 'send-ping') this.send(id, { kind: 'ping', clusterId: this.clusterId, sourceNodeId: this.selfId, requestNodeList: o.reqNodeList });
      else this.ownLinkChanged(id, o.kind === 'link-up' ? 'up' : 'down');
    }
  }

  /** set_link_w_neigh_up / set_link_w_neigh_adv: flood LS_UPDATE; on Up also FULL_TOP and CAP_UPDATE. */
  ownLinkChanged(id: NodeId, state: 'up' | 'down'): void {
    const ls = this.topology.setOwnLink(id, state, this.wallS());
    if (ls !== undefined) {
      for (const to of this.topology.upNeighbors()) {
        if (to === id) continue;
        this.send(to, { kind: 'ls-update', clusterId: this.clusterId, sourceNodeId: this.selfId, lsSeqNo: ls.seq, timestampS: ls.timestamp, neighborNodeId: id, linkState: state, path: [this.selfId] });
      }
    }
    if (state === 'up') {
      const top = this.topology.buildFullTop(id, this.pongKnown.get(id) ?? [], this.wallS());
      this.send(id, {
        kind: 'full-top-update', clusterId: this.clusterId, sourceNodeId: this.selfId, topSeqNo: top.seq, timestampS: top.timestamp, path: [this.selfId],
        nodes: top.entries.map((e) => ({ nodeId: e.nodeId, description: e.description, lsSeqNo: e.ls.seq, lsTimestampS: e.ls.timestamp, neighborIds: e.neighbors })),
      });
      this.sendCapUpdate(id, true);
    }
    this.reachability();
  }

  sendCapUpdate(to: NodeId, requireReply: boolean): void {
    const u = this.capabilities.build(this.wallS());
    this.send(to, {
      kind: 'cap-update', clusterId: this.clusterId, sourceNodeId: this.selfId, capSeqNo: u.seq, timestampS: u.timestamp, requireReply, path: [this.selfId],
      nodes: u.entries.map((e) => ({ nodeId: e.nodeId, capabilities: e.caps.map((c) => ({ name: c.name, synced: c.ok })) })),
    });
  }

  flood(m: FloodedMessage): void {
    const d = floodDecision(this.selfId, m.path as NodeId[], this.topology.upNeighbors());
    if (d.kind === 'drop') {
      if (d.reason !== 'no-target') this.drop(d.reason === 'loop' ? 'CLUSTER_FLOOD_LOOP' : 'CLUSTER_FLOOD_PATH_TOO_LONG');
      return;
    }
    const fwd = forwardFlooded(m, this.selfId);
    if (fwd === undefined) return void this.drop('CLUSTER_FLOOD_PATH_TOO_LONG');
    for (const to of d.to) this.send(to, fwd);
  }

  reachability(): void {
    const changes = this.topology.takeReachabilityChanges();
    for (const c of changes) {
      this.out.push({ kind: c.reachable ? 'node-up' : 'node-down', nodeId: c.nodeId });
      if (!c.reachable) this.capabilities.forgetNode(c.nodeId);
    }
    if (changes.length > 0) this.out.push({ kind: 'topology-changed' });
    this.updateGauges();
  }

  updateGauges(): void {
    const ids = this.directory.ids();
    const up = ids.filter((id) => this.topology.isReachable(id)).length;
    this.gNodes.set(ids.length);
    this.gUp.set(up);
    this.gDown.set(ids.length - up);
  }

  ensureLink(id: NodeId): void {
    if (id === this.selfId || this.links.has(id)) return;
    this.links.set(id, new HeartbeatLink(this.cfg.heartbeat, this.now()));
    this.updateGauges();
  }

  send(to: NodeId, msg: BinMessage): void {
    this.out.push({ kind: 'send', to, msg });
  }

  /** Queues an output other than a send (a reply on a connection, a received message...). */
  emit(o: NodeOutput): void {
    this.out.push(o);
  }

  /**
   * Counts a drop and queues its event. It must not flush: outputs the same input produced
   * before the drop (a link coming Up on the packet's arrival, say) would be lost with it.
   */
  drop(code: string): void {
    this.counters.counter(`clusterer:drop_${code}`, 'dropped cluster packets by reason').inc();
    this.out.push({ kind: 'dropped', code });
  }

  /** A whole input rejected: the drop and whatever was queued before it. */
  rejected(code: string): NodeOutput[] {
    this.drop(code);
    return this.flush();
  }

  flush(): NodeOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  now(): number {
    return this.clock.nowMs();
  }

  wallS(): number {
    return Math.floor(this.clock.wallMs() / 1000);
  }
}
