/**
 * OpenSIPS `force_send_socket(proto:address[:port])` / `$fs`: the script names the listener a
 * relayed request leaves from, and that its Via sent-by and Record-Route name (RFC 3261 §16.6
 * steps 4 and 8). The name is checked when the script gives it, as the other script edits are: a
 * string that is not `proto:address[:port]`, or names no listener of this node, is a TypeError
 * (OpenSIPS refuses a non-local socket too: "it _must_ be one of the sockets OpenSIPS listens on").
 *
 * Which listener then sends a branch follows OpenSIPS get_send_socket(): the forced one when its
 * transport is the destination's; else the listener of the destination's transport on the same
 * address and port ("the closest socket of the same protocol"); else, with a warning there and a
 * counter here, the choice made without a forced socket. The destination's transport always wins:
 * `;transport=tcp` is never sent over UDP because the script forced a UDP socket.
 */
import { isIpv4Literal, isIpv6Literal, sameAddress } from '../message/index.ts';
import { hostForUri } from './own-addresses.ts';
import type { ProxyEnv } from './proxy-env.ts';
import type { ProxyListener } from './proxy-types.ts';
import type { SipProto, SipSource, SipTarget } from './sip-source.ts';

/** A parsed `proto:address[:port]`; `port` undefined matches any port (OpenSIPS find_si with port 0). */
export interface SocketSpec {
  readonly proto: SipProto;
  readonly host: string;
  readonly port: number | undefined;
}

const FORM = 'proto:address[:port], e.g. udp:192.0.2.1:5060 or tcp:[2001:db8::1]:5060';

/**
 * `proto:address[:port]` as OpenSIPS writes a socket (since 2.2 the transport is required). The
 * address is an IP literal (IPv6 in brackets) or the host a listener advertises. A TypeError
 * naming what is wrong otherwise.
 */
export function parseSocketSpec(text: unknown): SocketSpec {
  if (typeof text !== 'string') throw new TypeError(`send socket must be a string (${FORM}), not ${text === null ? 'null' : typeof text}`);
  const shown = JSON.stringify(text.slice(0, 80));
  const colon = text.indexOf(':');
  if (colon <= 0) throw new TypeError(`send socket ${shown} is not ${FORM}`);
  const proto = text.slice(0, colon).toLowerCase();
  if (proto !== 'udp' && proto !== 'tcp') throw new TypeError(`send socket ${shown}: transport ${JSON.stringify(proto)} is not udp or tcp (${FORM})`);
  const rest = text.slice(colon + 1);
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    host = end < 0 ? '' : rest.slice(1, end);
    const after = end < 0 ? '' : rest.slice(end + 1);
    if (end < 0 || !isIpv6Literal(host) || (after !== '' && !after.startsWith(':'))) throw new TypeError(`send socket ${shown}: not an IPv6 address in brackets (${FORM})`);
    if (after !== '') portText = after.slice(1);
  } else {
    const c = rest.indexOf(':');
    if (c >= 0 && rest.indexOf(':', c + 1) >= 0) throw new TypeError(`send socket ${shown}: an IPv6 address goes in brackets (${FORM})`);
    host = c < 0 ? rest : rest.slice(0, c);
    if (c >= 0) portText = rest.slice(c + 1);
    if (!isIpv4Literal(host) && !isHostName(host)) throw new TypeError(`send socket ${shown}: ${JSON.stringify(host)} is not an address (${FORM})`);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
    if (port < 1 || port > 65535) throw new TypeError(`send socket ${shown}: port ${JSON.stringify(portText)} is not 1-65535`);
  }
  return { proto, host, port };
}

/** RFC 3261 §25.1 hostname characters (what an `advertise` may be); not empty. */
function isHostName(h: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(h);
}

/**
 * The listener `spec` names: its transport, its port (any when not given), and its bound or
 * advertised address (OpenSIPS find_si compares both). The first in configuration order.
 */
export function listenerOf(listeners: readonly ProxyListener[], spec: SocketSpec): ProxyListener | undefined {
  for (const l of listeners) {
    if (l.proto !== spec.proto || (spec.port !== undefined && l.port !== spec.port)) continue;
    if (sameAddress(l.address, spec.host) || (l.advertisedAddress !== undefined && sameAddress(l.advertisedAddress, spec.host))) return l;
  }
  return undefined;
}

/** The listener a script's socket string names, or a TypeError listing the node's listeners. */
export function checkedSendSocket(listeners: readonly ProxyListener[], text: unknown): ProxyListener {
  const spec = parseSocketSpec(text);
  const l = listenerOf(listeners, spec);
  if (l !== undefined) return l;
  throw new TypeError(`send socket ${JSON.stringify(String(text).slice(0, 80))} is not one of this node's listeners (${listeners.map(socketName).join(', ')})`);
}

/** `$fs` as OpenSIPS prints it: `proto:address:port` of the bound socket (IPv6 in brackets). */
export function socketName(l: ProxyListener): string {
  return `${l.proto}:${hostForUri(l.address)}:${l.port}`;
}

/** An IPv6 literal always contains ':' (as own-addresses.ts and the transport tell the families apart). */
function isV6(address: string): boolean {
  return address.indexOf(':') >= 0;
}

/**
 * The listener a branch to `to` leaves from when the script forced `forced` (OpenSIPS
 * get_send_socket): `forced` when it has the destination's transport, else the listener of that
 * transport on the same address and port; undefined when neither exists or the one found is of
 * the other address family (no socket of it could reach `to`): the caller then chooses as without
 * a forced socket, and counts it.
 */
export function forcedListener(listeners: readonly ProxyListener[], forced: ProxyListener, to: SipTarget): ProxyListener | undefined {
  let l: ProxyListener | undefined = forced;
  if (forced.proto !== to.proto) {
    l = undefined;
    for (const x of listeners) {
      if (x.proto === to.proto && x.port === forced.port && x.address === forced.address) { l = x; break; }
    }
  }
  return l !== undefined && isV6(l.address) === isV6(to.address) ? l : undefined;
}

/**
 * The listener a request forwarded to `to` leaves from: the forced one as above, else (none forced,
 * or it does not suit: counted) OwnAddresses.outbound's choice. Nothing allocated either way.
 */
export function outboundListener(env: ProxyEnv, to: SipTarget, src: SipSource, forced: ProxyListener | undefined): ProxyListener | undefined {
  if (forced !== undefined) {
    const l = forcedListener(env.own.listeners, forced, to);
    if (l !== undefined) return l;
    env.counters.forcedSocketFallbacks.inc();
  }
  return env.own.outbound(to, src);
}
