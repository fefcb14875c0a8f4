import { realClock, realTimers } from '../lib/real-time.ts';
import { invariant } from '../lib/errors.ts';
import { EslClient, encodeEslBroadcast, isChosen, subscriptionOf, type EslEvent } from '../features/esl/index.ts';
import type { ClusterPort } from '../script/ports.ts';
import { clusterPortOf, linkOf } from './cluster-port.ts';
import type { EslConfig } from './config/schema-esl.ts';
import { registerEslMethods } from './esl-mi.ts';
import { EslSocketDriver } from './esl-socket.ts';
import type { NodeRuntime } from './node-runtime.ts';

/** Events waiting for an async eslEvent handler; beyond this they are dropped and counted. */
export const MAX_PENDING_SCRIPT_EVENTS = 1000;

/** The last event the bridge received, for `esl:status`. */
export interface LastEslEvent {
  readonly name: string;
  readonly subclass: string | undefined;
  readonly uniqueId: string | undefined;
  readonly coreUuid: string | undefined;
  readonly hostname: string | undefined;
  readonly atWallMs: number;
}

export interface EslBridge {
  readonly config: EslConfig;
  readonly clusterId: number;
  readonly client: EslClient;
  lastEvent(): LastEslEvent | undefined;
}

/**
 * The ESL bridge as a node part (`esl:`): the EslClient on a node:net socket, each chosen event to
 * the routing script's `eslEvent` handler (which may hold it back), then to the cluster as one
 * `ESL:<json>` broadcast (GENERIC_MSG request) on `esl.clusterId`. Statistics under `esl:`, and the
 * MI method `esl:status`. Started after SIP, so the script and its cluster port exist.
 */
export function startEsl(rt: NodeRuntime): EslBridge | undefined {
  const cfg = rt.config.esl;
  if (cfg === undefined || !cfg.enabled) return undefined;
  const svc = rt.cluster;
  // The config schema refuses an enabled esl: without cluster: (checkEsl in config/schema-esl.ts).
  invariant(svc !== undefined, 'esl: started without a cluster: the config schema should have refused it');
  const clusterId = cfg.clusterId ?? svc.cfg.clusterId;
  // The script's cluster port when there is a script; otherwise one of our own (nobody listens on it).
  const port: ClusterPort = rt.sip?.clusterPort ?? clusterPortOf(linkOf(svc), rt.stats, () => undefined, rt.config.cluster?.sipAddress);
  const sub = subscriptionOf(cfg.events);
  const s = rt.stats;
  const broadcast = s.counter('esl:events_broadcast', 'events sent to the cluster as ESL: messages');
  const suppressed = s.counter('esl:events_suppressed', 'events the routing script held back (eslEvent returned false or threw)');
  const dropped = s.counter('esl:events_dropped', 'events not broadcast: not chosen, too large even trimmed, no node reachable, or script backlog full');
  const trimmed = s.counter('esl:events_trimmed', 'events broadcast with their core headers only (maxMessageBytes)');
  const log = rt.logger.child({ part: 'esl' });
  let last: LastEslEvent | undefined;

  const send = (ev: EslEvent, allowed: boolean): void => {
    if (!allowed) {
      suppressed.inc();
      return;
    }
    const enc = encodeEslBroadcast(ev, cfg.headers, cfg.maxMessageBytes);
    if (!enc.ok) {
      dropped.inc();
      log.warn({ code: enc.code, event: ev.name, bytes: enc.bytes, maxMessageBytes: cfg.maxMessageBytes }, 'FreeSWITCH event too large for a cluster message, even trimmed; dropped');
      return;
    }
    const r = port.broadcastReq(clusterId, enc.msg, false);
    if (r.result !== 'sent') {
      dropped.inc();
      log.debug({ event: ev.name, result: r.result }, 'FreeSWITCH event not broadcast');
      return;
    }
    broadcast.inc();
    if (enc.trimmed) trimmed.inc();
    log.debug({ event: ev.name, subclass: ev.subclass, uniqueId: ev.headers['Unique-ID'], bytes: enc.msg.length }, 'FreeSWITCH event broadcast');
  };

  // Events reach the cluster in FreeSWITCH's order: while an async eslEvent decision is pending,
  // later events queue behind it (bounded); with a sync handler nothing queues.
  let pending = 0;
  let tail: Promise<void> = Promise.resolve();
  const onEvent = (ev: EslEvent): void => {
    last = {
      name: ev.name, subclass: ev.subclass, uniqueId: ev.headers['Unique-ID'], coreUuid: ev.headers['Core-UUID'],
      hostname: ev.headers['FreeSWITCH-Hostname'], atWallMs: realClock.wallMs(),
    };
    if (!isChosen(sub, ev.name, ev.subclass)) {
      dropped.inc();
      return;
    }
    const decide = (): boolean | Promise<boolean> => rt.sip?.script?.eslEvent(ev) ?? true;
    if (pending === 0) {
      const d = decide();
      if (typeof d === 'boolean') {
        send(ev, d);
        return;
      }
      pending++;
      tail = d.then((ok) => send(ev, ok)).finally(() => { pending--; });
      return;
    }
    if (pending >= MAX_PENDING_SCRIPT_EVENTS) {
      dropped.inc();
      log.warn({ event: ev.name, pending }, 'eslEvent handler backlog full; FreeSWITCH event dropped');
      return;
    }
    pending++;
    tail = tail.then(() => decide()).then((ok) => send(ev, ok)).finally(() => { pending--; });
  };

  const driver = new EslSocketDriver(cfg.host, cfg.port);
  const client = new EslClient({
    password: cfg.password, format: cfg.format, subscription: sub,
    reconnectMinMs: cfg.reconnectMinMs, reconnectMaxMs: cfg.reconnectMaxMs,
    handshakeTimeoutMs: cfg.handshakeTimeoutMs, maxEventBytes: cfg.maxEventBytes,
  }, {
    clock: realClock, timers: realTimers, counters: rt.stats, io: driver, onEvent,
    log: (level, msg, fields) => log[level]({ ...fields, freeswitch: `${cfg.host}:${cfg.port}` }, msg),
  });
  driver.sink = client;
  const bridge: EslBridge = { config: cfg, clusterId, client, lastEvent: () => last };
  registerEslMethods(rt.rpc, bridge);
  rt.addService({ name: 'esl', stop: async () => { client.stop(); } });
  client.start();
  log.info({ freeswitch: `${cfg.host}:${cfg.port}`, events: cfg.events, format: cfg.format, clusterId }, 'ESL bridge started');
  return bridge;
}
