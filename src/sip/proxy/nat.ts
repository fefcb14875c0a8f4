/**
 * NAT traversal helpers of the routing script, after OpenSIPS nathelper: `nat_uac_test` (is the
 * sender behind a NAT?) and `fix_nated_contact` (rewrite the Contact URI's host:port to the
 * packet's source, so that in-dialog requests reach the NAT binding). REGISTER does not need them:
 * the registrar keeps the source as `received` (fix_nated_register), and lookup() sends there.
 */
import { formatNameAddr, ipv4Octets, isIpv6Literal, parseUri, sameAddress, sipUriPort, type NameAddr, type SipMessage, type Uri } from '../message/index.ts';
import { bare, hostForUri } from './own-addresses.ts';
import { defaultPort } from './via-routing.ts';

/**
 * The checks of OpenSIPS 3.x nat_uac_test, by its names (the old bit flags in brackets):
 * - `private-contact` (1): the first Contact URI's host is a private address;
 * - `diff-ip-src-via` (2): the top Via's sent-by host is not the packet's source address;
 * - `private-via` (4): the top Via's host is a private address;
 * - `private-sdp` (8): a `c=` line of the SDP body names a private address;
 * - `diff-port-src-via` (16): the Via's port (5060 when absent; 5061 for TLS) is not the source port;
 * - `diff-ip-src-contact` (32): the Contact's host is not the source address;
 * - `diff-port-src-contact` (64): the Contact's port (5060 when absent; 5061 for sips) is not the source port;
 * - `carrier-grade-nat` (128): no test of its own; the private-address tests also take RFC 6333's 192.0.0.0/29.
 * Private addresses: RFC 1918 (10/8, 172.16/12, 192.168/16) and RFC 6598 (100.64/10), and for
 * IPv6 (ours; nathelper tests IPv4 only) RFC 4193's fc00::/7.
 */
export type NatCheck =
  | 'private-contact' | 'diff-ip-src-via' | 'private-via' | 'private-sdp'
  | 'diff-port-src-via' | 'diff-ip-src-contact' | 'diff-port-src-contact' | 'carrier-grade-nat';

const FLAG_BITS: ReadonlyArray<readonly [number, NatCheck]> = [
  [1, 'private-contact'], [2, 'diff-ip-src-via'], [4, 'private-via'], [8, 'private-sdp'],
  [16, 'diff-port-src-via'], [32, 'diff-ip-src-contact'], [64, 'diff-port-src-contact'], [128, 'carrier-grade-nat'],
];
const KNOWN = new Set<string>(FLAG_BITS.map(([, n]) => n));

/** The usual test when none is named: OpenSIPS scripts' `nat_uac_test(19)`. */
export const DEFAULT_NAT_CHECKS: readonly NatCheck[] = ['private-contact', 'diff-ip-src-via', 'diff-port-src-via'];
const DEFAULT_SET: ReadonlySet<NatCheck> = new Set(DEFAULT_NAT_CHECKS);
const BY_FLAGS = new Map<number, ReadonlySet<NatCheck>>();
const BY_NAME = new Map<string, ReadonlySet<NatCheck>>(FLAG_BITS.map(([, n]) => [n, new Set([n])]));

/** What the tests compare with: the packet's source. */
export interface PacketSource {
  readonly address: string;
  readonly port: number;
}

/**
 * The checks named by a list, one name, or OpenSIPS's old bit flags (`19`). Throws a TypeError for
 * an unknown name or a number with bits outside 1–128, so that a typo is not a silent "no NAT".
 */
export function natChecksOf(spec: NatCheck | readonly NatCheck[] | number | undefined): ReadonlySet<NatCheck> {
  if (spec === undefined || spec === DEFAULT_NAT_CHECKS) return DEFAULT_SET;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec <= 0 || spec > 255) throw new TypeError(`nat test flags must be an integer of bits 1–128, got ${spec}`);
    // A script tests the same flags on every request: one set per value, 255 at most.
    let set = BY_FLAGS.get(spec);
    if (set === undefined) BY_FLAGS.set(spec, set = new Set(FLAG_BITS.filter(([bit]) => (spec & bit) !== 0).map(([, n]) => n)));
    return set;
  }
  if (typeof spec === 'string') {
    const one = BY_NAME.get(spec);
    if (one === undefined) throw new TypeError(`unknown nat test "${spec}" (known: ${[...KNOWN].join(', ')})`);
    return one;
  }
  const list: readonly string[] = spec;
  for (const n of list) if (!KNOWN.has(n)) throw new TypeError(`unknown nat test "${n}" (known: ${[...KNOWN].join(', ')})`);
  return new Set(list as readonly NatCheck[]);
}

/** OpenSIPS nat_uac_test: true when any of the checks says the sender is behind a NAT. */
export function natTest(msg: SipMessage, src: PacketSource, checks: ReadonlySet<NatCheck>): boolean {
  const cgn = checks.has('carrier-grade-nat');
  const via = msg.topVia;
  if (checks.has('diff-ip-src-via') && !sameAddress(via.host, src.address)) return true;
  if (checks.has('diff-port-src-via') && (via.port ?? defaultPort(via.transport)) !== src.port) return true;
  if (checks.has('private-via') && isPrivateAddress(via.host, cgn)) return true;
  if (checks.has('private-contact') || checks.has('diff-ip-src-contact') || checks.has('diff-port-src-contact')) {
    const c = firstContactHost(msg);
    if (c !== undefined) {
      if (checks.has('private-contact') && isPrivateAddress(c.host, cgn)) return true;
      if (checks.has('diff-ip-src-contact') && !sameAddress(c.host, src.address)) return true;
      if (checks.has('diff-port-src-contact') && c.port !== src.port) return true;
    }
  }
  return checks.has('private-sdp') && sdpHasPrivateAddress(msg, cgn);
}

/** The host and port (defaulted) of the first Contact URI, when it is a SIP URI. */
function firstContactHost(msg: SipMessage): { host: string; port: number } | undefined {
  const r = msg.contacts();
  if (!r.ok || r.value.star) return undefined;
  const u = r.value.values[0]?.uri;
  if (u === undefined || u.kind !== 'sip') return undefined;
  return { host: u.host, port: sipUriPort(u) };
}

/** `c=IN IP4 <addr>` / `c=IN IP6 <addr>` lines of the body (a multipart body's SDP part included). */
function sdpHasPrivateAddress(msg: SipMessage, cgn: boolean): boolean {
  const body = msg.body;
  if (body.length === 0) return false;
  const text = body.toString('latin1');
  for (const m of text.matchAll(/^c=IN IP[46] ([^\s/]+)/gm)) if (isPrivateAddress(m[1] ?? '', cgn)) return true;
  return false;
}

/**
 * RFC 1918 and RFC 6598 IPv4 ranges (what nathelper's private tests take), RFC 6333's
 * 192.0.0.0/29 with `cgn`, and IPv6 unique local addresses (fc00::/7). A host name is not private.
 */
export function isPrivateAddress(host: string, cgn = false): boolean {
  const h = bare(host);
  const v4 = ipv4Octets(h);
  if (v4 !== undefined) {
    const [a, b, c, d] = v4;
    if (a === 10) return true;
    if (a === 172 && b >= 16 && b <= 31) return true;
    if (a === 192 && b === 168) return true;
    if (a === 100 && b >= 64 && b <= 127) return true;
    return cgn && a === 192 && b === 0 && c === 0 && d <= 7;
  }
  if (h.includes(':')) {
    const first = h.slice(0, h.indexOf(':'));
    if (first.length === 4) return (parseInt(first.slice(0, 2), 16) & 0xfe) === 0xfc;
  }
  return false;
}

/**
 * OpenSIPS fix_nated_contact: the Contact header value with its first URI's host:port replaced by
 * the source address (IPv6 in brackets) and `uriParams` (e.g. `;nat=yes`) appended to that URI's
 * parameters. Undefined when there is nothing to rewrite: no Contact, `*`, or not a SIP URI.
 */
export function fixedContactValue(msg: SipMessage, src: PacketSource, uriParams = ''): string | undefined {
  if (uriParams !== '' && !/^(;[!-~]+)+$/.test(uriParams)) throw new TypeError(`URI parameters must start with ';' and hold no white space: ${JSON.stringify(uriParams)}`);
  const r = msg.contacts();
  if (!r.ok || r.value.star || r.value.values.length === 0) return undefined;
  const values = r.value.values;
  const first = values[0];
  const u = first?.uri;
  if (first === undefined || u === undefined || u.kind !== 'sip') return undefined;
  const rewritten = rewriteHostPort(u.raw, src, uriParams);
  const uri = rewritten === undefined ? undefined : parseUri(rewritten);
  return uri === undefined ? undefined : contactWithFirstUri(values, uri);
}

/**
 * The Contact header value with its first URI replaced. Written from the parsed values, not by
 * searching the text (a display name may hold the URI's text; white space may surround it): the
 * URI always in <> (RFC 3261 §20.10: without them, the parameters after it would be header
 * parameters), the display name quoted, parameters and further values as received.
 */
export function contactWithFirstUri(values: readonly NameAddr[], uri: Uri): string {
  const first = values[0] as NameAddr;
  let out = formatNameAddr({ displayName: first.displayName, uri, angle: true, params: first.params, tag: first.tag });
  for (let i = 1; i < values.length; i++) out += `, ${formatNameAddr(values[i] as NameAddr)}`;
  return out;
}

/**
 * Where the host[:port] of `sip:user@host:port;params?headers` ends (its parameters start), or -1
 * for an unclosed IPv6 reference. A URI's user part cannot hold '@' unescaped (RFC 3261 §25.1).
 */
export function hostPortEnd(raw: string): number {
  const colon = raw.indexOf(':');
  const at = raw.indexOf('@');
  let i = at >= 0 ? at + 1 : colon + 1;
  if (raw.charCodeAt(i) === 0x5b) {
    i = raw.indexOf(']', i);
    if (i < 0) return -1;
    i++;
  } else while (i < raw.length && raw[i] !== ':' && raw[i] !== ';' && raw[i] !== '?') i++;
  if (raw[i] === ':') { i++; while (i < raw.length && raw.charCodeAt(i) >= 0x30 && raw.charCodeAt(i) <= 0x39) i++; }
  return i;
}

/** `sip:user@host:port;params?headers` with a new host:port and parameters appended (parsed again by the caller). */
function rewriteHostPort(raw: string, src: PacketSource, uriParams: string): string | undefined {
  const at = raw.indexOf('@');
  const hostStart = at >= 0 ? at + 1 : raw.indexOf(':') + 1;
  const i = hostPortEnd(raw);
  if (i < 0) return undefined;
  let paramsEnd = raw.indexOf('?', i);
  if (paramsEnd < 0) paramsEnd = raw.length;
  const host = hostForUri(bare(src.address));
  return `${raw.slice(0, hostStart)}${host}:${src.port}${raw.slice(i, paramsEnd)}${uriParams}${raw.slice(paramsEnd)}`;
}

/** What fixedSdp rewrites (OpenSIPS fix_nated_sdp flags). */
export interface SdpFixOptions {
  /** `rewrite-origin-ip`: the `o=` lines too (default: `c=` lines only, `rewrite-media-ip`). */
  readonly origin?: boolean;
  /** `rewrite-null-ips`: 0.0.0.0 / :: (RFC 2543 hold) are rewritten too (default: left as they are). */
  readonly nullAddresses?: boolean;
  /** The address to write instead of the packet's source (fix_nated_sdp's ip_address). */
  readonly address?: string;
}

const SDP_TYPE = /^application\/sdp\s*(;|$)/i;
const SDP_ADDRESS_LINE = /^(c=IN |o=\S+ \S+ \S+ IN )(IP[46]) ([^\s/]+)/gm;

/**
 * OpenSIPS fix_nated_sdp (rewrite-media-ip, and rewrite-origin-ip with `origin`): the SDP body
 * with the address of its `c=` (and `o=`) lines replaced by the packet's source, the address type
 * following it (IP4 / IP6). Undefined when the body is not `application/sdp` (multipart bodies are
 * left alone) or nothing changed.
 */
export function fixedSdp(msg: SipMessage, src: PacketSource, opts: SdpFixOptions = {}): Buffer | undefined {
  const type = msg.contentType;
  if (type === undefined || !SDP_TYPE.test(type) || msg.body.length === 0) return undefined;
  const address = bare(opts.address ?? src.address);
  const family = address.includes(':') ? 'IP6' : 'IP4';
  if (opts.address !== undefined && (family === 'IP4' ? ipv4Octets(address) === undefined : !isIpv6Literal(address))) {
    throw new TypeError(`not an IP address: ${JSON.stringify(opts.address)}`);
  }
  const text = msg.body.toString('latin1');
  let changed = false;
  const out = text.replace(SDP_ADDRESS_LINE, (line: string, head: string, _fam: string, addr: string) => {
    if (!opts.origin && head.startsWith('o=')) return line;
    if (!opts.nullAddresses && (addr === '0.0.0.0' || addr === '::')) return line;
    if (addr === address) return line;
    changed = true;
    return `${head}${family} ${address}`;
  });
  return changed ? Buffer.from(out, 'latin1') : undefined;
}
