import { realClock, realRandom, realTimers } from '../lib/real-time.ts';
import { NatPinger, type NatPingOutput } from '../sip/registrar/index.ts';
import type { SipMessage } from '../sip/message/index.ts';
import type { SipCore, SipProxy } from '../sip/proxy/index.ts';
import type { SipTransport } from '../sip/transport/sip-transport.ts';
import type { ListenerInfo } from '../sip/transport/types.ts';
import type { NodeRuntime } from './node-runtime.ts';
import { natPingSockets } from './nat-ping-sockets.ts';
import { proxyListenersOf } from './proxy-listeners.ts';

/**
 * NAT keep-alive pings (config `registrar.natPing`): the pinger reads the node's location store,
 * leaves from the UDP socket each binding was registered on (or, with `tcp`, goes on the TCP
 * connection it registered through, never a new one), and takes the replies to its pings before
 * the proxy would forward them statelessly (they match no transaction of its own).
 * Undefined when pinging is off (the default) or the node has no registrar.
 */
export function startNatPing(
  rt: NodeRuntime, transport: SipTransport, listeners: readonly ListenerInfo[], core: SipCore, proxy: SipProxy | undefined,
): NatPinger | undefined {
  const cfg = rt.config.registrar.natPing;
  const registrar = rt.registrar;
  if (cfg.intervalSec === 0 || registrar === undefined) return undefined;
  // The pings' Via names the socket as a forwarded request's would (own-addresses.ts).
  const own = proxyListenersOf(rt.config.sip.listen, listeners);
  const tcp = cfg.tcp;
  const { socketFor, firstHost } = natPingSockets(listeners, own, tcp);
  if (firstHost === undefined) {
    rt.logger.warn(`registrar.natPing is set but the node has no UDP${tcp ? ' or TCP' : ''} listener: no NAT pings are sent`);
    return undefined;
  }
  const out: NatPingOutput = {
    socketFor,
    send: (from, to, data) => transport.sendUdpFrom(from.address, from.port, { proto: 'udp', address: to.address, port: to.port }, data) === 'sent',
    // Only an established connection: nathelper pings with tcp_no_new_conn set.
    sendOnConnection: (to, data) => {
      const r = transport.sendOnTcpConnection(to.address, to.port, data);
      return r === 'sent' || r === 'no-connection' ? r : 'refused';
    },
  };
  const pinger = new NatPinger({
    store: registrar.location, clock: realClock, random: realRandom, out, counters: rt.stats,
    timers: {
      after: (ms, fn) => realTimers.after(ms, () => {
        try {
          fn();
        } catch (err) {
          // As for a SIP timer (sip-service.ts): a bug is logged, the node keeps running.
          rt.logger.error({ err }, 'a NAT ping tick threw');
        }
      }),
    },
    config: {
      intervalSec: cfg.intervalSec, method: cfg.method, natedOnly: cfg.natedOnly, maxPingsLost: cfg.maxPingsLost, tcp,
      replyTimeoutMs: cfg.replyTimeoutMs, from: cfg.from ?? `sip:pinger@${firstHost}`,
    },
    onRemoved: (b, lost) => rt.logger.info({ aor: b.aor, contact: b.contact, lost }, 'contact removed: NAT pings unanswered'),
  });
  const take = (res: SipMessage): boolean => pinger.receiveResponse(res);
  if (proxy !== undefined) proxy.onUnmatchedResponse = take;
  else core.handlers = { ...core.handlers, onResponse: (res) => { take(res); } };
  pinger.start();
  rt.logger.info({ intervalSec: cfg.intervalSec, method: cfg.method, natedOnly: cfg.natedOnly, tcp }, 'NAT keep-alive pings on');
  return pinger;
}
