/**
 * What one NAT keep-alive ping is made of: where it goes (the binding's `received`, else its Contact)
 * and, for SIP pinging, the out-of-dialog OPTIONS request (RFC 3261 §11, §8.1.1).
 */
import { BRANCH_MAGIC_COOKIE, buildRequest, isIpv4Literal, isIpv6Literal, paramGet, parseUri, sipUriPort, unbracketed } from '../message/index.ts';
import type { Binding } from './binding.ts';

/**
 * The keep-alive of RFC 5626 §4.4.1 (a double CRLF "ping"): a datagram over UDP; on a TCP
 * connection the same bytes between two messages, which the peer answers with a CRLF "pong".
 */
export const CRLF_KEEPALIVE: Buffer = Buffer.from('\r\n\r\n', 'latin1');

/** Every ping's branch starts with this: a reply carrying it is ours, answered or late. */
export const NAT_PING_BRANCH_PREFIX = `${BRANCH_MAGIC_COOKIE}np`;

/** The address a ping goes to: an IP literal (IPv6 without brackets) and a port. */
export interface PingAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * Where to ping `b` over UDP: its `received` (the NAT's public side, fix_nated_register), else its
 * Contact's host:port. Undefined when that is not a UDP SIP URI with an IP address: a host name
 * would need DNS for every ping, and a stream transport keeps its NAT binding by its own traffic.
 */
export function pingAddressOf(b: Binding): PingAddress | undefined {
  const u = parseUri(b.received ?? b.contact);
  if (u === undefined || u.kind !== 'sip' || u.scheme !== 'sip') return undefined;
  const transport = paramGet(u.params, 'transport');
  if (transport !== undefined && (transport.value ?? '').toLowerCase() !== 'udp') return undefined;
  const host = unbracketed(u.host);
  if (!isIpv6Literal(host) && !isIpv4Literal(host)) return undefined;
  return { address: host, port: sipUriPort(u) };
}

/**
 * The peer of the TCP connection `b` registered through: its `received` (the REGISTER's source,
 * the connection's far end, fix_nated_register), else its Contact's host:port, which then names the
 * source (the registrar sets `received` whenever they differ, register-contact.ts). The Contact's
 * transport parameter is not read: the binding's socket already says the REGISTER came over TCP.
 * Undefined when that is not a SIP URI with an IP address (a connection is keyed by address, as
 * the socket writes it: lower case).
 */
export function tcpPeerOf(b: Binding): PingAddress | undefined {
  const u = parseUri(b.received ?? b.contact);
  if (u === undefined || u.kind !== 'sip') return undefined;
  // Lower case: the connection table keys the socket's own form, and a Contact the registrar found
  // equal to the source (sameAddress ignores case, RFC 3261 §19.1.4) may write `[2001:DB8::7]`.
  const host = unbracketed(u.host).toLowerCase();
  if (!isIpv6Literal(host) && !isIpv4Literal(host)) return undefined;
  return { address: host, port: sipUriPort(u) };
}

export interface OptionsPingInit {
  /** The contact pinged: Request-URI and To (OpenSIPS nathelper pings the registered Contact). */
  readonly contact: string;
  /** `host:port` of our socket for Via (RFC 3261 §18.1.1 sent-by). */
  readonly sentBy: string;
  /** The Via transport: the one the ping goes over (RFC 3261 §18.1.1). */
  readonly transport: 'UDP' | 'TCP';
  readonly branch: string;
  /** Used for the From tag and the Call-ID's local part. */
  readonly token: string;
  /** The From URI (OpenSIPS `sipping_from`). */
  readonly from: string;
}

/**
 * An OPTIONS outside any dialog with the headers RFC 3261 §8.1.1 requires: Via with our sent-by, a
 * fresh RFC 3261 branch and, over UDP, rport (RFC 3581: the reply follows the NAT binding back; over
 * TCP it comes back on the connection, RFC 3261 §18.2.2), Max-Forwards 70, From with a tag, To
 * without one, a new Call-ID, CSeq, and no body: Content-Length 0, which frames it on a stream
 * (RFC 3261 §18.3).
 */
export function buildOptionsPing(p: OptionsPingInit): Buffer {
  const host = p.sentBy.startsWith('[') ? p.sentBy.slice(0, p.sentBy.indexOf(']') + 1) : p.sentBy.slice(0, p.sentBy.lastIndexOf(':'));
  return buildRequest({
    method: 'OPTIONS',
    uri: p.contact,
    headers: [
      ['Via', `SIP/2.0/${p.transport} ${p.sentBy};branch=${p.branch}${p.transport === 'UDP' ? ';rport' : ''}`],
      ['Max-Forwards', '70'],
      ['From', `<${p.from}>;tag=${p.token}`],
      ['To', `<${p.contact}>`],
      ['Call-ID', `${p.token}@${host}`],
      ['CSeq', '1 OPTIONS'],
    ],
  }).bytes;
}
