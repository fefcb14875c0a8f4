/**
 * IP address literals as a SIP URI, Via or SDP writes them (IPv6 without its brackets): what the
 * proxy and the registrar ask before they send to a host without DNS, test an address's range, or
 * compare a Contact or Via host with the packet's source (the NAT tests).
 */
import { canonicalAddress } from '../../lib/cidr.ts';

/**
 * RFC 3261 §25.1 IPv4address: four groups of one to three digits. The grammar has no range check
 * and neither has this: `256.0.0.1` is IPv4 text (no host name can be it, a toplabel starts with a
 * letter), so it goes to the socket, not to DNS. Leading zeros are digits like any other; no port,
 * no trailing dot. Allocates nothing: the next hop of every forwarded request asks it.
 */
export function isIpv4Literal(s: string): boolean {
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) { if (digits === 0) return false; dots++; digits = 0; }
    else if (c >= 0x30 && c <= 0x39) { if (++digits > 3) return false; }
    else return false;
  }
  return dots === 3 && digits > 0;
}

/**
 * The four octets of an IPv4 literal (isIpv4Literal) when each is 0–255, else undefined: the range
 * tests of nat_uac_test and fix_nated_sdp's address check. `010` reads as decimal 10.
 */
export function ipv4Octets(s: string): [number, number, number, number] | undefined {
  if (!isIpv4Literal(s)) return undefined;
  const o = s.split('.').map(Number) as [number, number, number, number];
  return o[0] <= 255 && o[1] <= 255 && o[2] <= 255 && o[3] <= 255 ? o : undefined;
}

/**
 * An IPv6 address without brackets, loosely: a colon, and only hex digits, colons and dots (an
 * embedded IPv4 tail). Not RFC 4291's grammar: enough to tell an address from a host name.
 */
export function isIpv6Literal(s: string): boolean {
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}

/** A host without the brackets of an IPv6reference (RFC 3261 §25.1 `[::1]`); any other host as it is. */
export function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Two hosts or addresses as SIP and sockets write them are the same address: IPv6 in brackets or
 * not, letters in either case (host names and hex digits compare case-insensitively, RFC 3261 §19.1.4),
 * and two IPv6 texts of one address (`::1` and `0:0::1`, leading zeros, an IPv4 tail) equal, as
 * RFC 5118 §4.1 asks of IPv6 references. The text comparison decides first: the numbers are read
 * only when two IPv6 texts differ.
 */
export function sameAddress(a: string, b: string): boolean {
  const x = unbracketed(a).toLowerCase();
  const y = unbracketed(b).toLowerCase();
  if (x === y) return true;
  if (!isIpv6Literal(x) || !isIpv6Literal(y)) return false;
  const cx = canonicalAddress(x);
  return cx !== undefined && cx === canonicalAddress(y);
}
