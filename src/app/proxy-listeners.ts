/**
 * The bound SIP listeners as our own addresses name them: each with the `advertise` of its
 * `sip.listen` entry, the address our Via and Record-Route carry (own-addresses.ts). The proxy and
 * the NAT pinger both write a Via from them.
 */
import type { ProxyListener } from '../sip/proxy/index.ts';
import type { ListenerInfo } from '../sip/transport/types.ts';
import type { NodeConfig } from './config/schema.ts';

/** One ProxyListener per bound listener, in the same order. */
export function proxyListenersOf(listen: NodeConfig['sip']['listen'], bound: readonly ListenerInfo[]): ProxyListener[] {
  const advertised = new Map(listen.map((l) => [`${l.proto}:${l.host}:${l.port}`, l.advertise]));
  return bound.map((l) => {
    const a = advertised.get(`${l.proto}:${l.address}:${l.port}`);
    return a === undefined ? { proto: l.proto, address: l.address, port: l.port } : { proto: l.proto, address: l.address, port: l.port, advertisedAddress: a };
  });
}
