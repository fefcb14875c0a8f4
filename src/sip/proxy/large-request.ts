/**
 * RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if it is larger than
 * 1300 bytes and the path MTU is unknown, the request MUST be sent using an RFC 2914 congestion
 * controlled transport protocol, such as TCP. If this causes a change in the transport protocol
 * from the one indicated in the top Via, the value in the top Via MUST be changed."
 *
 * Config `sip.udpToTcpOnLargeRequests`, off by default as in OpenSIPS and Kamailio (Kamailio's
 * `udp_mtu` 1300 with `udp_mtu_try_proto` TCP is the same switch): a next hop that does not listen
 * on TCP would lose the request (its branch ends as a transport error, a local 503). The path MTU
 * is never known here, so the threshold is the RFC's 1300 bytes.
 */
import type { ProxyEnv } from './proxy-env.ts';
import type { ProxyListener } from './proxy-types.ts';
import type { SipSource, SipTarget } from './sip-source.ts';
import { outboundListener } from './send-socket.ts';

export const LARGE_REQUEST_BYTES = 1300;

export interface TcpInstead {
  readonly target: SipTarget;
  readonly out: ProxyListener;
}

/**
 * Where a forwarded request of `size` bytes bound for `to` goes instead, when it must leave UDP:
 * the same address and port by TCP, from the TCP listener chosen as for any TCP destination.
 * Undefined keeps it as it is: the switch is off, the request is not UDP or not large, or this node
 * has no TCP listener for it (then it goes by UDP, counted).
 */
export function tcpInsteadOfUdp(env: ProxyEnv, to: SipTarget, src: SipSource, forced: ProxyListener | undefined, size: number): TcpInstead | undefined {
  if (size <= LARGE_REQUEST_BYTES || !env.udpToTcpOnLargeRequests || to.proto !== 'udp') return undefined;
  const target: SipTarget = { proto: 'tcp', address: to.address, port: to.port };
  const out = outboundListener(env, target, src, forced);
  if (out === undefined) {
    env.counters.largeRequestsOverUdp.inc();
    return undefined;
  }
  env.counters.udpToTcpRequests.inc();
  return { target, out };
}
