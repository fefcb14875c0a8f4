import { sameAddress, unbracketed, type Via } from '../message/index.ts';
import type { SipSource, SipTarget } from './sip-source.ts';

/** Default ports by transport (RFC 3261 §19.1.2, §18.2.2). */
export function defaultPort(transport: string): number {
  return transport === 'TLS' || transport === 'WSS' ? 5061 : 5060;
}

export interface ReceivedParams {
  readonly received: string | undefined;
  readonly rport: number | undefined;
}

/**
 * RFC 3261 §18.2.1 / RFC 3581 §4: what a server records in the top Via of a received request —
 * `received` when the sent-by host differs from the packet's source address (always when the
 * client asked for rport), and the source port as the value of a bare `rport`.
 */
export function receivedParams(via: Via, src: SipSource): ReceivedParams {
  const wantsRport = via.rport !== undefined;
  const differs = !sameAddress(via.host, src.remoteAddress);
  // A received or rport value the sender wrote itself is its claim, not what we saw: §18.2.1
  // ("MUST contain the source address from which the packet was received") and RFC 3581 §4 have
  // us write the packet's source over it, or the false address travels on in the Via.
  const claimed = via.received !== undefined && via.received !== src.remoteAddress;
  return {
    received: wantsRport || differs || claimed ? src.remoteAddress : undefined,
    rport: wantsRport ? src.remotePort : undefined,
  };
}

/** The previous hop's Via with received/rport filled in (§18.2.1, RFC 3581 §4), from the parsed form. */
export function viaWithReceived(v: Via, p: ReceivedParams): string {
  let s = `${v.protocol}/${v.version}/${v.transport} ${v.host}`;
  if (v.port !== undefined) s += `:${v.port}`;
  for (const prm of v.params) {
    const name = prm.name.toLowerCase();
    // Ours replace whatever the sender wrote for them (§18.2.1, RFC 3581 §4).
    if (name === 'rport' && p.rport !== undefined) s += `;rport=${p.rport}`;
    else if (name === 'received' && p.received !== undefined) continue;
    else s += prm.value === undefined ? `;${prm.name}` : `;${prm.name}=${prm.value}`;
  }
  // A link-local source carries its zone (`fe80::1%eth0`, as Node reports it): the zone names our
  // interface, not the address, and via-received = IPv6address has none (RFC 3261 §25.1).
  if (p.received !== undefined) s += `;received=${withoutZone(p.received)}`;
  return s;
}

function withoutZone(address: string): string {
  const pct = address.indexOf('%');
  return pct < 0 ? address : address.slice(0, pct);
}

/**
 * The top Via of a response this node generates for a request from `src` (§8.2.6.2 copies the
 * request's Via, which §18.2.1 and RFC 3581 §4 have the server transport complete with received and
 * rport): the completed text, or undefined when the request's own is already right (the usual case).
 */
export function responseTopVia(via: Via, src: SipSource): string | undefined {
  // The usual request (every one SIPp sends): sent-by is the source address, nothing asked or claimed.
  if (via.rport === undefined && via.received === undefined && via.host === src.remoteAddress) return undefined;
  const p = receivedParams(via, src);
  return p.received === undefined && p.rport === undefined ? undefined : viaWithReceived(via, p);
}

/**
 * Where a response to this request goes (RFC 3261 §18.2.2, RFC 3581 §4): over a reliable
 * transport, back on the connection the request came on; when it has closed, the transport opens
 * one to the source address ("received") and the sent-by port, or the transport's default port —
 * not to the connection's ephemeral source port, where nothing listens. Over UDP, to the source
 * address when it differs from sent-by (`received`), to the source port when rport was asked for,
 * else to the sent-by port; `maddr` wins when present. Over UDP the target names the listener the
 * request arrived on, which sends it (RFC 3581 §4).
 */
export function responseTarget(via: Via, src: SipSource): SipTarget {
  const proto = src.proto;
  if (proto !== 'udp') {
    const t: SipTarget = { proto, address: src.remoteAddress, port: via.port ?? defaultPort(via.transport) };
    return src.connectionId === undefined ? t : { ...t, connectionId: src.connectionId };
  }
  // From the socket the request arrived on: RFC 3581 §4 "MUST be sent from the same address and
  // port that the request was received on" (a NAT or firewall in front of the client lets nothing
  // else in); OpenSIPS replies from the receiving socket too. One object as before: no allocation.
  const localAddress = src.localAddress;
  const localPort = src.localPort;
  // parseVia took maddr only as an RFC 3261 §25.1 host; an IPv6reference goes to the socket without its brackets.
  if (via.maddr !== undefined) return { proto, address: unbracketed(via.maddr), port: via.port ?? defaultPort(via.transport), localAddress, localPort };
  // The packet's source, whatever received/rport values the sender wrote into its own Via (they
  // would steer our responses, retransmissions included, to any address: a reflection).
  const port = via.rport !== undefined ? src.remotePort : (via.port ?? defaultPort(via.transport));
  return { proto, address: src.remoteAddress, port, localAddress, localPort };
}
