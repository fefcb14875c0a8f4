/**
 * Kamailio nathelper's `add_contact_alias()` and `handle_ruri_alias()`: instead of rewriting a NATed
 * UA's Contact (fix_nated_contact, nat.ts), the packet's source is carried in a Contact URI
 * parameter, `;alias=<ip>~<port>~<proto>`. The peer sends its in-dialog requests to that Contact,
 * so the Request-URI comes back with the alias, and the proxy sends them to the address it names
 * (`$du`) after removing it. The Contact keeps the UA's own host:port (Kamailio's docs call this the
 * standards-conforming alternative), and a TCP alias names the connection the UA opened.
 */
import { ipv4Octets, isIpv6Literal, paramGet, paramValue, parseUri, sameAddress, sipUriPort, unbracketed, type SipMessage, type SipUri } from '../message/index.ts';
import { canonicalAddress } from '../../lib/cidr.ts';
import { ieqAscii } from '../message/chars.ts';
import { contactWithFirstUri, hostPortEnd, type PacketSource } from './nat.ts';

/** The transports an alias can name. */
export type AliasTransport = 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'wss';

/** The alias's `<proto>` digit is Kamailio's `enum sip_protos` (core/ip_addr.h): PROTO_UDP = 1 … PROTO_WSS = 6. */
const TRANSPORT_BY_DIGIT: readonly (AliasTransport | undefined)[] = [undefined, 'udp', 'tcp', 'tls', 'sctp', 'ws', 'wss'];
const DIGIT_BY_TRANSPORT: Readonly<Record<AliasTransport, number>> = { udp: 1, tcp: 2, tls: 3, sctp: 4, ws: 5, wss: 6 };

/** Where a packet came from, with its transport: what an alias records. */
export interface AliasSource extends PacketSource {
  readonly proto: AliasTransport;
}

/** An alias read back: the address without brackets. */
export interface ContactAlias {
  readonly address: string;
  readonly port: number;
  readonly transport: AliasTransport;
}

/**
 * `203.0.113.7~40000~1`, an IPv6 address in brackets (`[2001:db8::7]~5070~2`, as Kamailio writes a
 * v6 source). Undefined when the address is not an IP literal or the port is not 1–65535.
 */
export function formatAlias(src: AliasSource): string | undefined {
  const a = unbracketed(src.address);
  if (!Number.isInteger(src.port) || src.port < 1 || src.port > 65535 || isUnspecified(a)) return undefined;
  if (ipv4Octets(a) !== undefined) return `${a}~${src.port}~${DIGIT_BY_TRANSPORT[src.proto]}`;
  if (isIpv6Literal(a)) return `[${a}]~${src.port}~${DIGIT_BY_TRANSPORT[src.proto]}`;
  return undefined;
}

/**
 * An alias value, strictly: an IPv4 address (octets 0–255, no leading zero) or an IPv6 one
 * (bracketed, or bare as Kamailio's three-argument add_contact_alias writes what it is given; not
 * IPv4-mapped), not the unspecified one, a port 1–65535, a digit 1–6.
 * Undefined for anything else (Kamailio copies the address and port text into $du unchecked; an
 * alias arrives in a Request-URI a peer wrote, so a host name or garbage is refused here).
 */
export function parseAlias(value: string): ContactAlias | undefined {
  const t1 = value.indexOf('~');
  const t2 = t1 < 0 ? -1 : value.indexOf('~', t1 + 1);
  if (t2 < 0 || value.length !== t2 + 2) return undefined;
  const transport = TRANSPORT_BY_DIGIT[value.charCodeAt(t2 + 1) - 0x30];
  const portText = value.slice(t1 + 1, t2);
  if (transport === undefined || !/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  const host = value.slice(0, t1);
  const bracketed = host.startsWith('[') && host.endsWith(']');
  const address = bracketed ? host.slice(1, -1) : host;
  if (bracketed ? !isAliasIpv6(address) : !isAliasIpv4(address) && !isAliasIpv6(address)) return undefined;
  if (isUnspecified(address)) return undefined;
  return { address, port, transport };
}

/**
 * Dotted decimal without a leading zero in any octet: `01.2.3.4` is octal 1.2.3.4 to inet_aton and
 * some stacks, decimal to others (RFC 6943 §3.1.1), so a script screening the alias (as decimal)
 * and the socket could disagree. formatAlias never writes one.
 */
function isAliasIpv4(address: string): boolean {
  return ipv4Octets(address) !== undefined && !/(?:^|\.)0[0-9]/.test(address);
}

/**
 * An IPv6 address Node's (strict) parser takes, and not an IPv4 one in IPv6 clothes: the
 * IPv4-mapped `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2, in any spelling, `::ffff:7f00:1` too) and the
 * deprecated IPv4-compatible `::a.b.c.d` (§2.5.5.1), which inet_ntop writes with the dotted tail.
 * A source is never written so (listeners are IPv6-only, sip-transport.ts): such an alias only
 * serves to send to an IPv4 address (`::ffff:127.0.0.1` is loopback) past a script screening it.
 */
function isAliasIpv6(address: string): boolean {
  if (!isIpv6Literal(address)) return false;
  const c = canonicalAddress(address);
  return c !== undefined && !c.includes('.');
}

/**
 * 0.0.0.0 or :: (any text of them): no packet comes from it, so no alias names it, and Linux
 * delivers a datagram or connection sent to it to this host — past a script that screens the
 * alias for loopback as 127.0.0.0/8 and ::1.
 */
function isUnspecified(address: string): boolean {
  return /^[0.:]+$/.test(address);
}

/**
 * Kamailio add_contact_alias() (no arguments): the Contact header value with `;alias=` and the
 * packet's source inserted after the first Contact URI's host:port (where Kamailio puts it).
 * Undefined when nothing is added:
 * - no Contact, `*`, or not a SIP URI (Kamailio: nothing for a missing Contact, an error for `*`);
 * - the URI already has an `alias` (a proxy nearer the UA added it; its own handle_ruri_alias must
 *   find it, and RFC 3261 §19.1.1 allows a parameter name once. Kamailio does not look and would
 *   append a second one);
 * - the URI's host is an IP address and host, port and transport are the source's: the peer reaches
 *   the UA there already. A port absent is the scheme's default (RFC 3261 §19.1.2), a transport
 *   absent is UDP (TLS for sips:). Kamailio compares a missing `;transport=` as "none", so it adds
 *   an alias to nearly every UDP Contact; a host name never equals the source, in both.
 */
export function aliasedContactValue(msg: SipMessage, src: AliasSource): string | undefined {
  const r = msg.contacts();
  if (!r.ok || r.value.star || r.value.values.length === 0) return undefined;
  const values = r.value.values;
  const u = values[0]?.uri;
  if (u === undefined || u.kind !== 'sip' || paramGet(u.params, 'alias') !== undefined || namesSource(u, src)) return undefined;
  const alias = formatAlias(src);
  const end = hostPortEnd(u.raw);
  if (alias === undefined || end < 0) return undefined;
  const uri = parseUri(`${u.raw.slice(0, end)};alias=${alias}${u.raw.slice(end)}`);
  return uri === undefined ? undefined : contactWithFirstUri(values, uri);
}

function namesSource(u: SipUri, src: AliasSource): boolean {
  const host = unbracketed(u.host);
  if (ipv4Octets(host) === undefined && !isIpv6Literal(host)) return false;
  const t = paramValue(u.params, 'transport')?.toLowerCase() ?? (u.scheme === 'sips' ? 'tls' : 'udp');
  return sameAddress(host, src.address) && sipUriPort(u) === src.port && t === src.proto;
}

/** Where handle_ruri_alias sends the request, and the Request-URI it goes with. */
export interface AliasRoute {
  /** The Request-URI without its `alias` parameter. */
  readonly requestUri: string;
  /** `sip:<ip>:<port>`, with `;transport=` unless UDP. */
  readonly destination: string;
}

/**
 * Kamailio handle_ruri_alias(): when the Request-URI has an `alias` parameter, the destination it
 * names and the Request-URI without it; the other parameters, the URI headers and the rest of the
 * URI stay as written. Undefined when there is none (Kamailio's 2), or the URI or the alias value
 * is malformed (Kamailio's -1), or there are two `alias` parameters (Kamailio takes the first), or
 * the R-URI is sips and the alias not TLS/WSS. WS and WSS both give `;transport=ws` (RFC 7118
 * §5.2 has no `wss`; Kamailio writes the same).
 */
export function ruriAliasRoute(requestUri: string): AliasRoute | undefined {
  const u = parseUri(requestUri);
  if (u === undefined || u.kind !== 'sip' || u.params.length === 0) return undefined;
  const p = paramGet(u.params, 'alias');
  const a = p?.value === undefined ? undefined : parseAlias(p.value);
  const end = hostPortEnd(u.raw);
  if (a === undefined || end < 0) return undefined;
  // RFC 3261 §26.2.2: a sips request goes over TLS on every hop. The alias is what the peer wrote,
  // so one naming UDP, TCP or SCTP would downgrade it: refused, as next-hop.ts refuses rather than
  // downgrade. A TLS (or WSS) alias keeps the scheme (Kamailio writes `sip:` whatever the R-URI's).
  const sips = u.scheme === 'sips';
  if (sips && a.transport !== 'tls' && a.transport !== 'wss') return undefined;
  let params = '';
  for (const q of u.params) {
    if (q === p) continue;
    // RFC 3261 §19.1.1: a parameter name appears once. With a second `alias`, which one names the
    // UA is a guess (Kamailio uses the first and forwards the other to the next hop; add_contact_alias
    // here never writes a second): refused, the request follows its Request-URI unchanged.
    if (ieqAscii(q.name, 'alias')) return undefined;
    params += q.value === undefined ? `;${q.name}` : `;${q.name}=${q.value}`;
  }
  const h = u.raw.indexOf('?', end);
  const host = a.address.includes(':') ? `[${a.address}]` : a.address;
  const transport = a.transport === 'udp' || (sips && a.transport === 'tls') ? '' : `;transport=${a.transport === 'wss' ? 'ws' : a.transport}`;
  return { requestUri: `${u.raw.slice(0, end)}${params}${h < 0 ? '' : u.raw.slice(h)}`, destination: `${sips ? 'sips' : 'sip'}:${host}:${a.port}${transport}` };
}
