/**
 * The NAT pinger's view of the node's listeners: for a binding's `socket` text (`proto:ip:port`,
 * as the registrar saved it), our socket a ping leaves from and the Via sent-by it names.
 */
import type { PingSocket } from '../sip/registrar/index.ts';
import { sentByOf, type ProxyListener } from '../sip/proxy/index.ts';
import type { ListenerInfo } from '../sip/transport/types.ts';

export interface NatPingSockets {
  /** NatPingOutput.socketFor: undefined when `socket` is none of ours. */
  socketFor(socket: string, ipv6: boolean): PingSocket | undefined;
  /** The first pinging listener's advertised host (the default From host); undefined: none. */
  readonly firstHost: string | undefined;
}

type Entry = PingSocket & { readonly v6: boolean; readonly udp: boolean };

/**
 * `own` is proxyListenersOf(listeners), same order. TCP listeners count only with `tcp` (nathelper
 * natping_tcp); they only give a TCP ping its Via sent-by, since it goes on the connection.
 */
export function natPingSockets(listeners: readonly ListenerInfo[], own: readonly ProxyListener[], tcp: boolean): NatPingSockets {
  const sockets = new Map<string, Entry>();
  let firstHost: string | undefined;
  for (let i = 0; i < listeners.length; i++) {
    const l = listeners[i] as ListenerInfo;
    if (l.proto !== 'udp' && !(l.proto === 'tcp' && tcp)) continue;
    const sentBy = sentByOf(own[i] as ProxyListener);
    firstHost ??= sentBy.host;
    sockets.set(`${l.proto}:${l.address}:${l.port}`, { address: l.address, port: l.port, sentBy: `${sentBy.host}:${sentBy.port}`, v6: l.family === 'IPv6', udp: l.proto === 'udp' });
  }
  const udp = [...sockets.values()].filter((s) => s.udp);
  return {
    firstHost,
    socketFor(socket, v6) {
      // A binding without socket (loaded, added by MI) goes from the first UDP socket of its family, as
      // OpenSIPS picks the first listener matching protocol and family when force_socket is unset.
      if (socket === '') return udp.find((s) => s.v6 === v6);
      const s = sockets.get(socket);
      if (s !== undefined || !socket.startsWith('tcp:')) return s;
      // A TCP message's local address is the connection's own (tcp-connections.ts), not the
      // wildcard a listener is bound to: `tcp:192.0.2.10:5060` came in on `0.0.0.0:5060`.
      return sockets.get(`tcp:${v6 ? '::' : '0.0.0.0'}:${socket.slice(socket.lastIndexOf(':') + 1)}`);
    },
  };
}
