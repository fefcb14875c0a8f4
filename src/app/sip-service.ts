import { SipCore, SipProxy } from '../sip/proxy/index.ts';
import { TimerWheel } from '../lib/timer-wheel.ts';
import { realClock, realRandom, realTimers } from '../lib/real-time.ts';
import { SipclusterError, invariant } from '../lib/errors.ts';
import { RpcError } from '../mgmt/rpc-registry.ts';
import { loadRoutes } from '../script/load-routes.ts';
import { ScriptHost } from '../script/script-host.ts';
import { portOf } from '../script/proxy-binding.ts';
import { resolveFromConfig } from './config/load-config.ts';
import { nodeDnsResolver } from './dns-resolver.ts';
import { proxyTimerOptions } from './proxy-timers.ts';
import { proxyListenersOf } from './proxy-listeners.ts';
import { authPortOf, registrarPortOf } from './script-ports.ts';
import { clusterPortOf, linkOf, type ClusterEvents } from './cluster-port.ts';
import { startBanList } from './ban-list-wiring.ts';
import { startCdr } from './cdr-wiring.ts';
import { startSharedMaps, type SharedMapsPart } from './shared-map-wiring.ts';
import { SipTransport } from '../sip/transport/sip-transport.ts';
import { nativeUdp, nativeUdpLoadError } from '../sip/transport/native-udp.ts';
import type { ListenerInfo, ReceiveInfo } from '../sip/transport/types.ts';
import type { Counter } from '../lib/counter.ts';
import type { NodeRuntime } from './node-runtime.ts';
import type { Service } from './service.ts';
import { listening } from './listen-error.ts';
import { startNatPing } from './nat-ping-wiring.ts';
import type { NatPinger } from '../sip/registrar/index.ts';
import type { ClusterPort } from '../script/ports.ts';

/** Methods a node without a routing script answers (it is the stateless node of issue #3). */
export const STATELESS_ALLOW = ['OPTIONS'];
/** Methods a node with a routing script handles (Allow of OPTIONS and 405 answers). */
export const PROXY_ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE'];

/**
 * The node's SIP side: listeners from `sip.listen`, the core that parses and answers, and the
 * transport between them. On stop, listeners close first (no new work), then connections.
 */
const BUFFER_POOL_BYTES = 64 * 1024;
/** Bounds on what a starting node holds (start-up takes well under a second: loading the script). */
const MAX_HELD_MESSAGES = 10_000;
const MAX_HELD_BYTES = 16 * 1024 * 1024;

export class SipService implements Service {
  readonly name = 'sip';
  readonly core: SipCore;
  readonly transport: SipTransport;
  proxy: SipProxy | undefined;
  script: ScriptHost | undefined;
  /** The script's cluster port, shared with node parts that broadcast too (the ESL bridge). */
  clusterPort: ClusterPort | undefined;
  /** NAT keep-alive pings of registered contacts (registrar.natPing); undefined when off. */
  natPinger: NatPinger | undefined;
  private listeners: ListenerInfo[] = [];
  /**
   * Messages received between binding the sockets and the routing script being in place; undefined
   * once the node is ready. Without it the stateless core would answer a REGISTER or INVITE
   * arriving during start-up with 501 (the proxy needs the bound listeners, so it comes second).
   */
  private held: Array<[Buffer, ReceiveInfo]> | undefined;
  private heldBytes = 0;
  private failedStart = false;
  private droppedStarting: Counter | undefined;
  private readonly internalErrors: Counter;

  private constructor(rt: NodeRuntime) {
    const cfg = rt.config.sip;
    const internalErrors = rt.stats.counter('core:internal_errors', 'messages or timers whose handling threw (a bug): dropped and logged, the node keeps running');
    this.internalErrors = internalErrors;
    this.transport = new SipTransport(
      (data, info) => {
        // DESIGN.md §4: whatever a datagram or stream message makes our code do, the node keeps
        // running. Bad input is refused where it is read; this catches what was missed, so one
        // packet cannot end the process through the socket's 'message' handler.
        try {
          if (this.held === undefined) this.core.receive(data, info);
          else this.hold(data, info);
        } catch (err) {
          internalErrors.inc();
          rt.logger.error({ err, source: `${info.proto}:${info.remoteAddress}:${info.remotePort}` }, 'handling a SIP message threw; dropped');
        }
      },
      (target, code, message) => rt.logger.warn({ target, code, message }, 'SIP send failed'),
      rt.stats,
      {
        idleTimeoutMs: cfg.tcp.idleTimeoutMs, maxConnections: cfg.tcp.maxConnections,
        maxBufferedBytesPerConnection: cfg.tcp.maxBufferedBytesPerConnection, maxMessageBytes: cfg.maxMessageBytes,
        maxMessageTimeMs: cfg.tcp.maxMessageTimeMs,
      },
      cfg.udpEngine,
    );
    this.core = new SipCore({
      out: { send: (target, data, watcher) => { const r = this.transport.send(target, data, watcher); return r === 'sent' || r === 'queued'; } },
      counters: rt.stats,
      serverHeader: cfg.serverHeader,
      allow: rt.config.routes === undefined ? STATELESS_ALLOW : PROXY_ALLOW,
      supported: [],
    });
  }

  static async start(rt: NodeRuntime): Promise<SipService> {
    // Every reply and forwarded request is a small Buffer from Node's shared pool; at thousands a
    // second the default 8 KiB pool is replaced every ~20 messages (one native allocation each).
    // Completed transactions keep their replies for timer J, so pools die in arrival order anyway.
    if (Buffer.poolSize < BUFFER_POOL_BYTES) Buffer.poolSize = BUFFER_POOL_BYTES;
    const routesCfg = rt.config.routes;
    // Without routes: there is no proxy, so no call accounting; the config schema refuses cdr: then (checkCdr).
    invariant(routesCfg !== undefined || rt.config.cdr === undefined, 'cdr: without routes: the config schema should have refused it');
    const s = new SipService(rt);
    if (routesCfg === undefined) {
      rt.rpc.register({
        name: 'core:reload_routes', aliases: ['reload_routes'],
        handler: () => { throw new RpcError(400, 'SCRIPT_NOT_CONFIGURED', 'this node has no routing script (routes.module in its config)'); },
      });
    } else {
      s.held = [];
      s.droppedStarting = rt.stats.counter('core:dropped_starting', 'messages received while the node was starting, beyond what it holds');
    }
    try {
      s.listeners = await listening('sip.listen', s.transport.listen(rt.config.sip.listen));
      if (routesCfg !== undefined) await s.startProxy(rt, resolveFromConfig(rt.baseDir, routesCfg.module));
      s.natPinger = startNatPing(rt, s.transport, s.listeners, s.core, s.proxy);
    } catch (e) {
      // The node does not start: what was held, and what arrives until the sockets close, is
      // dropped and counted, not answered 501 by the bare core.
      s.failedStart = true;
      if (s.held !== undefined) s.held.length = 0;
      throw e;
    }
    s.release();
    rt.logger.info({ listen: s.listeners.map((l) => `${l.proto}:${l.address}:${l.port}`) }, 'SIP listening');
    const engine = s.transport.udpEngineInUse();
    if (s.listeners.some((l) => l.proto === 'udp')) {
      if (engine === 'native' || nativeUdp() !== undefined || rt.config.sip.udpEngine === 'dgram') rt.logger.info({ engine }, 'SIP UDP engine');
      else rt.logger.warn({ engine, why: nativeUdpLoadError() }, 'SIP UDP engine: the native engine is not built (npm ci builds it; node scripts/build-native.mjs), node:dgram costs more CPU per datagram');
    }
    return s;
  }

  /**
   * The stateful proxy driven by the routing script: one timer wheel for every transaction, the
   * listeners as our own addresses (Via, Record-Route, "is this Route ours"), and
   * `core:reload_routes` to swap the script without dropping transactions.
   */
  private async startProxy(rt: NodeRuntime, routesFile: string): Promise<void> {
    const registrar = rt.registrar;
    const store = rt.store;
    if (registrar === undefined || store === undefined) throw new Error('the registrar must start before the proxy');
    const routes = await loadRoutes(routesFile);
    const cfg = rt.config.sip;
    this.proxy = new SipProxy({
      out: { send: (target, data, watcher) => { const r = this.transport.send(target, data, watcher); return r === 'sent' || r === 'queued'; } },
      counters: rt.stats,
      timers: new TimerWheel(realClock, realTimers, undefined, undefined, (err) => {
        // As for a received message above: a transaction timer that throws is a bug, logged and counted.
        this.internalErrors.inc();
        rt.logger.error({ err }, 'a SIP timer callback threw; the other timers go on');
      }),
      random: realRandom,
      listeners: proxyListenersOf(cfg.listen, this.listeners),
      resolver: nodeDnsResolver(cfg.dns),
      serverHeader: cfg.serverHeader,
      allow: PROXY_ALLOW,
      statelessRegisterReplies: rt.config.registrar.statelessReplies,
      udpToTcpOnLargeRequests: cfg.udpToTcpOnLargeRequests,
      // Relays' default fr_timeout and timer C (config proxy:); a relay's own options override them.
      ...proxyTimerOptions(rt.config.proxy),
      core: this.core,
    });
    // The cluster port delivers events to the host, which is built just below.
    const holder: { host?: ScriptHost; events?: ClusterEvents; maps?: SharedMapsPart | undefined } = {};
    const link = rt.cluster === undefined ? undefined : linkOf(rt.cluster);
    // With `maps:`, their MAP: messages and node states reach the maps before the script's handlers.
    const cluster = link === undefined ? undefined : clusterPortOf(link, rt.stats, () => holder.events, rt.config.cluster?.sipAddress);
    this.clusterPort = cluster;
    holder.maps = startSharedMaps(rt, cluster);
    // Detections reach the script's banDetected handler, which shares them with the cluster.
    const bans = startBanList(rt, (d) => holder.host?.banDetected(d));
    const cdr = await startCdr(rt, link, cluster);
    const script = new ScriptHost(routes, {
      registrar: registrarPortOf(registrar, store.subscribers),
      auth: authPortOf(registrar, rt.config.auth.realm),
      cluster,
      logger: rt.logger,
      bans: bans?.api,
      cdr: cdr?.port,
      maps: holder.maps?.api,
    });
    const host = script;
    holder.host = host;
    // CDR requests are the node's own business (cdr:), and MAP: messages the maps' (maps:): both are
    // taken out before the script's clusterRequest/clusterReply.
    const withCdr = cdr === undefined ? host : cdr.events(host);
    holder.events = holder.maps === undefined ? withCdr : holder.maps.events(withCdr);
    this.script = host;
    // Nodes that came up while the script was loading: the script hears of them now, as if they
    // had just come up, so its nodeStateChanged sees every node it can reach (late joiners ask them).
    if (link !== undefined) for (const id of link.reachableNodes()) holder.events.nodeStateChanged({ clusterId: link.clusterId, nodeId: id, state: 'up' });
    // The handler returns the script's promise: the proxy keeps the transaction until it decided.
    if (bans === undefined && cdr === undefined) {
      this.proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
    } else {
      // The ban check runs before the routing script: a banned source never reaches it. Call
      // accounting sees every BYE, whatever the script then does with it.
      const observe = bans?.observeReply;
      this.proxy.onRequest = (pr) => {
        if (bans?.refuse(pr) === true) return undefined;
        cdr?.seeRequest(pr.msg);
        return host.handleRequest(portOf(pr, observe));
      };
    }
    rt.rpc.register({
      name: 'core:reload_routes', aliases: ['reload_routes'],
      handler: async () => {
        let routes;
        try {
          routes = await loadRoutes(routesFile);
        } catch (e) {
          // The old script keeps running; the caller is told why the new one was refused (the
          // compiler's or the checker's words), and the log says it once, without stack traces.
          if (!(e instanceof SipclusterError)) throw e;
          rt.logger.warn({ file: routesFile, code: e.code }, `routing script not reloaded: ${e.message}`);
          throw new RpcError(500, e.code, e.message);
        }
        host.swap(routes);
        rt.logger.info({ file: routesFile }, 'routing script reloaded');
        return 'OK';
      },
    });
    rt.logger.info({ file: routesFile }, 'routing script loaded');
  }

  private hold(data: Buffer, info: ReceiveInfo): void {
    const held = this.held;
    if (held === undefined) return;
    if (this.failedStart || held.length >= MAX_HELD_MESSAGES || this.heldBytes + data.length > MAX_HELD_BYTES) {
      this.droppedStarting?.inc();
      return;
    }
    this.heldBytes += data.length;
    held.push([data, info]);
  }

  /** The node is ready: what arrived meanwhile goes through in arrival order (UDP peers would retransmit; TCP ones would not). */
  private release(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.heldBytes = 0;
    for (const [data, info] of held) this.core.receive(data, info);
  }

  listening(): ListenerInfo[] {
    return [...this.listeners];
  }

  async stop(): Promise<void> {
    this.natPinger?.stop();
    await this.transport.close();
  }
}
