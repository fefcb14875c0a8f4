import { realClock } from '../lib/real-time.ts';
import { SharedMaps, type MapClusterPort } from '../features/shared-map/index.ts';
import { mapsApiOf } from '../script/map-api.ts';
import type { MapsApi } from '../script/api.ts';
import type { ClusterPort } from '../script/ports.ts';
import type { ClusterEvents } from './cluster-port.ts';
import type { NodeRuntime } from './node-runtime.ts';
import { registerMapMethods } from './map-mi.ts';

/** How often lapsed entries are swept and own entries checked for their TTL/3 refresh. */
const TICK_INTERVAL_MS = 250;

/**
 * The replicated maps as a node part (`maps:`): the maps over the node's cluster port, their
 * `MAP:` messages taken out of the cluster events before the routing script's handlers, node
 * Up/Down fed to them (a node that comes up is asked for its entries), a periodic tick, `ctx.maps`
 * for the script and the MI methods.
 */
export interface SharedMapsPart {
  readonly maps: SharedMaps;
  readonly api: MapsApi;
  /** The cluster events to deliver (built once): MAP: traffic to the maps, the rest to `host`; node states to both. */
  events(host: ClusterEvents): ClusterEvents;
}

export function startSharedMaps(rt: NodeRuntime, port: ClusterPort | undefined): SharedMapsPart | undefined {
  const cfgs = rt.config.maps;
  if (cfgs.length === 0) return undefined;
  const cluster = rt.config.cluster;
  // The schema refuses maps without a cluster; without a routing script there is no port either.
  if (port === undefined || cluster === undefined) {
    rt.logger.warn({ maps: cfgs.map((m) => m.name) }, 'maps: configured without a cluster port (no routes module?): not started');
    return undefined;
  }
  const clusterId = cluster.clusterId;
  const mapPort: MapClusterPort = {
    broadcast: (msg) => { port.broadcastReq(clusterId, msg, false); },
    reply: (nodeId, msg, tag) => { port.sendRpl(clusterId, nodeId, msg, tag); },
    request: (msg, opts) => port.request(clusterId, msg, { ...opts, collect: 'all' }),
  };
  const log = rt.logger;
  const maps = new SharedMaps(cfgs.map((c) => ({ name: c.name, defaultTtlMs: c.defaultTtlMs, maxEntries: c.maxEntries, askTimeoutMs: c.askTimeoutMs })), {
    clock: realClock,
    counters: rt.stats,
    nodeId: port.nodeId,
    port: mapPort,
    report: (e) => {
      if (e.kind === 'lost') log.warn({ map: e.map, key: e.key, winner: e.winnerNodeId }, 'map: an earlier claim of another node won this key');
      else if (e.kind === 'unconfirmed-claim') log.info({ map: e.map, key: e.key }, 'map: claimed while some node did not answer WHO? in time');
      else log.debug({ map: e.map, from: e.fromNodeId, reason: e.reason }, 'map: malformed MAP: message dropped');
    },
  });
  const tick = setInterval(() => maps.tick(), TICK_INTERVAL_MS);
  tick.unref();
  rt.addService({ name: 'maps', stop: async () => { clearInterval(tick); } });
  registerMapMethods(rt.rpc, maps);
  const nodeUp = (nodeId: number) => {
    maps.nodeUp(nodeId).then(
      (learned) => log.debug({ nodeId, learned }, 'map: entries asked from a node that came up'),
      (err: unknown) => log.error({ err, nodeId }, 'map: DUMP? failed'),
    );
  };
  return {
    maps,
    api: mapsApiOf(maps),
    events: (host) => ({
      clusterRequest: (ev) => { if (!maps.receive(ev.srcId, ev.msg, ev.tag)) host.clusterRequest(ev); },
      clusterReply: (ev) => { if (!maps.receive(ev.srcId, ev.msg, undefined)) host.clusterReply(ev); },
      nodeStateChanged: (ev) => {
        if (ev.state === 'up') nodeUp(ev.nodeId);
        else maps.nodeDown(ev.nodeId);
        host.nodeStateChanged(ev);
      },
    }),
  };
}
