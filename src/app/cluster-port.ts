import { realRandom, realTimers } from '../lib/real-time.ts';
import { ClusterMessaging, type GenericEvent } from '../cluster/messaging/index.ts';
import type { GenericMessage } from '../cluster/wire/index.ts';
import type { ClusterPort } from '../script/ports.ts';
import type { CounterFactory } from '../lib/counter.ts';
import { nodeId as toNodeId } from '../lib/ids.ts';
import type { ClusterService } from './cluster-service.ts';

/** What the talking cluster needs from the running cluster node (src/app/cluster-service.ts provides it). */
export interface ClusterLink {
  readonly nodeId: number;
  readonly clusterId: number;
  sendRouted(msg: GenericMessage): 'sent' | 'disabled' | 'unreachable' | 'failed';
  /** Node ids currently reachable (up through any path), not including us. */
  reachableNodes(): number[];
  enabled(): boolean;
  onGenericMessage(cb: (m: GenericMessage) => void): void;
  onNodeState(cb: (nodeId: number, state: 'up' | 'down') => void): void;
}

export interface ClusterEvents {
  clusterRequest(ev: GenericEvent): void;
  clusterReply(ev: GenericEvent): void;
  nodeStateChanged(ev: { clusterId: number; nodeId: number; state: 'up' | 'down' }): void;
}

/**
 * The script's cluster port over a running cluster node: ClusterMessaging (pure) on real timers,
 * received GENERIC_MSG packets to the script's clusterRequest/clusterReply handlers, node state
 * changes to nodeStateChanged (and to pending waits, which stop expecting a dead node).
 */
export function clusterPortOf(link: ClusterLink, counters: CounterFactory, events: () => ClusterEvents | undefined, sipAddress: string | undefined): ClusterPort {
  const messaging = new ClusterMessaging({
    nodeId: link.nodeId, timers: realTimers, random: realRandom, counters,
    send: (m) => link.sendRouted(m),
    reachable: (clusterId) => (clusterId === link.clusterId ? link.reachableNodes() : []),
    enabled: (clusterId) => clusterId === link.clusterId && link.enabled(),
    onRequest: (ev) => events()?.clusterRequest(ev),
    onReply: (ev) => events()?.clusterReply(ev),
  });
  link.onGenericMessage((m) => messaging.receive(m));
  link.onNodeState((nodeId, state) => {
    if (state === 'down') messaging.nodeDown(nodeId);
    events()?.nodeStateChanged({ clusterId: link.clusterId, nodeId, state });
  });
  return {
    nodeId: link.nodeId,
    sipAddress,
    broadcastReq: (clusterId, msg, includeSelf) => {
      const r = messaging.broadcastReq(clusterId, msg, includeSelf);
      return { tag: r.tag, result: r.result };
    },
    sendReq: (clusterId, nodeId, msg) => messaging.sendReq(clusterId, nodeId, msg),
    sendRpl: (clusterId, nodeId, msg, tag) => messaging.sendRpl(clusterId, nodeId, msg, tag),
    request: (clusterId, msg, opts) => {
      const r = messaging.request(clusterId, msg, opts);
      return r.replies.then((c) => ({ replies: c.replies, complete: c.complete, result: r.result }));
    },
  };
}

/** The ClusterLink of a node's running ClusterService. */
export function linkOf(svc: ClusterService): ClusterLink {
  const self = svc.cfg.nodeId;
  return {
    nodeId: self,
    clusterId: svc.cfg.clusterId,
    sendRouted: (m) => svc.sendGeneric(toNodeId(m.destinationNodeId), m.payload.toString('utf8'), { tag: m.tag, isRequest: m.isRequest }),
    reachableNodes: () => svc.nodeIds().filter((id) => id !== self && svc.isReachable(id)),
    enabled: () => svc.enabled,
    onGenericMessage: (cb) => { svc.onMessage((m) => { if (m.kind === 'generic-msg') cb(m); }); },
    onNodeState: (cb) => { svc.onNodeState((e) => cb(e.nodeId, e.state)); },
  };
}
