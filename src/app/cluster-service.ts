/**
 * The cluster part of a node: builds the ClusterNode from `cluster:` (neighbors from the file in
 * db_mode 0, the `clusterer` table in db_mode 1), runs it on the real clock and sockets through
 * ClusterRunner, registers the clusterer MI methods and exposes a small typed API for the next
 * issue (script-level messaging).
 *
 * Script-messaging seam (what src/script will wrap as ctx.cluster):
 *   service.sendGeneric(dest, text, {tag?, isRequest?}) → 'sent' | 'disabled' | 'unreachable' | 'failed'
 *     (OpenSIPS cluster_send_req / cluster_send_rpl return codes 1, -1, -2, -3)
 *   service.onMessage(fn)   fn(msg: RoutedMessage) for every clusterer-extra / usrloc message addressed to us
 *   service.onNodeState(fn) fn({nodeId, state: 'up' | 'down'}) when a node becomes (un)reachable
 *   service.nodeIds(), service.isReachable(id)
 */
import { readFileSync } from 'node:fs';
import { realClock, realTimers } from '../lib/real-time.ts';
import { nodeId as toNodeId } from '../lib/ids.ts';
import type { NodeId } from '../lib/ids.ts';
import { parseNetwork } from '../lib/cidr.ts';
import type { Network } from '../lib/cidr.ts';
import { ClusterNode } from '../cluster/node.ts';
import type { ClusterNodeConfig, RoutedMessage } from '../cluster/node.ts';
import { ClusterRunner } from '../cluster/net/cluster-runner.ts';
import type { ClusterEvent, RunnerSendResult } from '../cluster/net/cluster-runner.ts';
import { parseBinUrl } from '../cluster/net/bin-url.ts';
import type { TlsMaterial } from '../cluster/net/tls-identity.ts';
import type { HeartbeatParams } from '../cluster/membership/heartbeat-params.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/open-store.ts';
import type { ClusterConfig } from './config/schema-cluster.ts';
import { resolveFromConfig } from './config/load-config.ts';
import type { NodeRuntime } from './node-runtime.ts';
import type { Service } from './service.ts';
import { registerClustererMethods, registerRemoteMiMethods } from './cluster-mi.ts';
import { RemoteMi } from './cluster-remote-mi.ts';
import { listening } from './listen-error.ts';
import { CAP_SIPCLUSTER_MI } from '../cluster/wire/index.ts';

export type NodeStateEvent = { readonly nodeId: NodeId; readonly state: 'up' | 'down' };

/** Not in OpenSIPS: our own loop's stall allowance (heartbeat-params.ts). */
const STALL_THRESHOLD_MS = 150;

export class ClusterService implements Service {
  readonly name = 'cluster';
  private store: Store | undefined;

  private constructor(
    readonly cfg: ClusterConfig,
    readonly runner: ClusterRunner,
    private readonly rt: NodeRuntime,
  ) {}

  static async start(rt: NodeRuntime): Promise<ClusterService> {
    const cfg = rt.config.cluster;
    if (cfg === undefined) throw new Error('cluster service started without a cluster section');
    const listen = parseBinUrl(cfg.listen);
    if (listen === undefined) throw new Error(`bad cluster.listen ${cfg.listen}`); // the schema checked it
    let store: Store | undefined;
    let nodes: ClusterNodeConfig['nodes'] = neighborsFromConfig(cfg);
    if (cfg.dbMode === 1) {
      // The node's own store (one handle per database: two SQLite handles on one file block each other).
      store = rt.store ?? await openStore(rt.config.store.url, { baseDir: rt.baseDir });
      nodes = await nodesFromStore(store, cfg);
    }
    const heartbeat: HeartbeatParams = {
      pingIntervalMs: cfg.pingIntervalMs, pingTimeoutMs: cfg.pingTimeoutMs, noPingRetries: cfg.noPingRetries,
      nodeTimeoutMs: cfg.nodeTimeoutMs, stallThresholdMs: STALL_THRESHOLD_MS,
    };
    const node = new ClusterNode({
      clusterId: cfg.clusterId, selfId: toNodeId(cfg.nodeId), heartbeat, nodes, dbMode: cfg.dbMode,
      self: { url: cfg.listen, sipAddr: cfg.sipAddress ?? '', priority: cfg.priority, noPingRetries: cfg.noPingRetries },
    }, realClock, rt.stats);
    // Advertised in CAP_UPDATE so that other sipcluster nodes know we answer remote MI (cluster-remote-mi.ts).
    node.capabilities.registerLocal(CAP_SIPCLUSTER_MI, true);
    const runner = new ClusterRunner({
      node, clock: realClock, timers: realTimers, counters: rt.stats,
      transport: {
        listen,
        allowNetworks: cfg.allowNetworks.map((t) => parseNetwork(t)).filter((n): n is Network => n !== undefined),
        ...(cfg.tls === undefined ? {} : { tls: loadTls(rt.baseDir, cfg.tls) }),
        maxQueuedBytes: cfg.maxQueuedBytesPerLink,
        reconnectMinMs: cfg.reconnectMinMs,
        reconnectMaxMs: cfg.reconnectMaxMs,
        connectTimeoutMs: cfg.connectTimeoutMs,
      },
    });
    const svc = new ClusterService(cfg, runner, rt);
    svc.store = store;
    runner.on((e) => svc.log(e));
    try {
      const addr = await listening('cluster.listen', runner.start());
      rt.logger.info({ nodeId: cfg.nodeId, clusterId: cfg.clusterId, listen: `${addr.host}:${addr.port}`, nodes: nodes.length }, 'cluster listening');
    } catch (e) {
      await store?.close();
      throw e;
    }
    registerClustererMethods(rt.rpc, svc);
    registerRemoteMiMethods(rt.rpc, svc, new RemoteMi(svc, rt));
    return svc;
  }

  // ---------------- the script-messaging seam ----------------

  /** Sends a clusterer-extra generic message (OpenSIPS cluster_send_req / cluster_send_rpl). */
  sendGeneric(destination: NodeId, text: string, opts: { readonly tag?: string; readonly isRequest?: boolean } = {}): Exclude<RunnerSendResult, 'cap-disabled'> {
    const r = this.runner.sendRouted({
      kind: 'generic-msg', clusterId: this.cfg.clusterId, sourceNodeId: this.cfg.nodeId, destinationNodeId: destination,
      isRequest: opts.isRequest ?? true, tag: opts.tag ?? '', payload: Buffer.from(text, 'utf8'),
    });
    // GENERIC_MSG is the clusterer's own, no capability's (capabilityOf): set_cap_status never stops it.
    return r === 'cap-disabled' ? 'failed' : r;
  }

  /** Every routed message addressed to us; returns the unsubscribe function. */
  onMessage(fn: (msg: RoutedMessage) => void): () => void {
    return this.runner.on((e) => { if (e.kind === 'message') fn(e.msg); });
  }

  /** Node reachability changes (OpenSIPS E_CLUSTERER_NODE_STATE_CHANGED); returns the unsubscribe function. */
  onNodeState(fn: (e: NodeStateEvent) => void): () => void {
    return this.runner.on((e) => {
      if (e.kind === 'node-up' || e.kind === 'node-down') fn({ nodeId: e.nodeId, state: e.kind === 'node-up' ? 'up' : 'down' });
    });
  }

  /** clusterer_set_status for this node: a disabled node neither sends nor receives. */
  get enabled(): boolean {
    return this.runner.node.enabled;
  }

  nodeIds(): NodeId[] {
    return this.runner.node.directory.ids();
  }

  isReachable(id: NodeId): boolean {
    return this.runner.node.topology.isReachable(id);
  }

  // ---------------- management ----------------

  /** clusterer_reload: re-reads the clusterer table (db_mode 1 only). Returns the node count. */
  async reload(): Promise<number> {
    if (this.store === undefined) throw new Error('clusterer_reload needs db_mode 1');
    const nodes = await nodesFromStore(this.store, this.cfg);
    this.runner.node.reconfigure(nodes);
    this.runner.flush();
    return nodes.length;
  }

  get dbMode(): 0 | 1 {
    return this.cfg.dbMode;
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    if (this.store !== undefined && this.store !== this.rt.store) await this.store.close();
  }

  private log(e: ClusterEvent): void {
    const l = this.rt.logger;
    if (e.kind === 'node-up' || e.kind === 'node-down') l.info({ nodeId: e.nodeId }, e.kind === 'node-up' ? 'cluster node up' : 'cluster node down');
    else if (e.kind === 'id-collision') l.warn({ nodeId: e.nodeId, knownUrl: e.knownUrl, claimedUrl: e.claimedUrl }, 'cluster node id claimed by another URL');
    else if (e.kind === 'node-removed') l.info({ nodeId: e.nodeId, by: e.by }, 'cluster node removed by a REMOVE_NODE');
    else if (e.kind === 'disabled-by-peer') l.warn({ by: e.by }, 'current node disabled: a REMOVE_NODE named it (clusterer:set_status 1 to enable)');
    else if (e.kind === 'dropped' && l.isLevelEnabled('debug')) l.debug({ code: e.code }, 'cluster packet dropped');
  }
}

function neighborsFromConfig(cfg: ClusterConfig): ClusterNodeConfig['nodes'] {
  return cfg.neighbors.map((n) => ({
    id: toNodeId(n.nodeId),
    description: { url: n.url, sipAddr: n.sipAddress ?? '', priority: n.priority, noPingRetries: n.noPingRetries ?? cfg.noPingRetries },
    ...(n.description === undefined ? {} : { comment: n.description }),
  }));
}

/** db_mode 1: the rows of our cluster, ourselves excluded, disabled rows (state 0) left out. */
async function nodesFromStore(store: Store, cfg: ClusterConfig): Promise<ClusterNodeConfig['nodes']> {
  const rows = await store.clusterer.list(cfg.clusterId);
  return rows.filter((r) => r.nodeId !== cfg.nodeId && r.state !== 0 && parseBinUrl(r.url) !== undefined).map((r) => ({
    id: toNodeId(r.nodeId),
    dbId: r.id,
    description: { url: r.url, sipAddr: r.sipAddr ?? '', priority: r.priority, noPingRetries: r.noPingRetries },
    ...(r.description === null || r.description === '' ? {} : { comment: r.description }),
  }));
}

function loadTls(baseDir: string, t: NonNullable<ClusterConfig['tls']>): TlsMaterial {
  const read = (p: string): Buffer => readFileSync(resolveFromConfig(baseDir, p));
  const m = { key: read(t.keyFile), cert: read(t.certFile), ca: read(t.caFile) };
  return { serverOptions: m, clientOptions: m };
}
