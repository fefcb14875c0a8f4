/**
 * Independent oracles for the RFC 3261 §25.1 host grammar (src/sip/message/host-grammar.ts), for
 * property tests: regular expressions for IPv4address and hostname, the WHATWG URL parser for
 * IPv6address (RFC 4291 text forms; it refuses zones and leading zeros in an IPv4 tail).
 */
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOSTNAME = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.?$/;

export function oracleIpv4(v: string): boolean {
  const m = IPV4.exec(v);
  return m !== null && m.slice(1).every((g) => Number(g) <= 255);
}

export function oracleIpv6(v: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(v)) return false;
  try {
    new URL(`http://[${v}]/`);
    return true;
  } catch {
    return false;
  }
}

/** RFC 3261 §25.1 host (no port). */
export function oracleHost(v: string): boolean {
  if (v.startsWith('[') && v.endsWith(']')) return oracleIpv6(v.slice(1, -1));
  return oracleIpv4(v) || HOSTNAME.test(v);
}

/** via-received: IPv4address / IPv6address, or an IPv6reference (RFC 5118 §4.5). */
export function oracleReceived(v: string): boolean {
  if (v.startsWith('[') && v.endsWith(']')) return oracleIpv6(v.slice(1, -1));
  return oracleIpv4(v) || oracleIpv6(v);
}
