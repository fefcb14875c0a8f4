/**
 * RFC 3261 §25.1 host grammar, checked on a range of a string without allocating: for the Via
 * parameters a response is sent by (via-received, via-maddr), whose values the generic-param
 * grammar alone (token / host / quoted-string) does not hold to an address. The sent-by and URI
 * hosts keep parseHost's looser check (host characters, `[hex:.]`).
 */
import { isDigit, isHexDigit } from './chars.ts';

/**
 * RFC 3261 §25.1 IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each group 0–255:
 * the grammar has no range, but a received value is "the source address from which the packet was
 * received" (§18.2.1) and maddr a destination, and `256.0.0.1` is neither.
 */
export function isIpv4Address(s: string, start: number, end: number): boolean {
  let dots = 0;
  let digits = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return false;
      dots++;
      digits = 0;
      n = 0;
    } else if (isDigit(c)) {
      n = n * 10 + (c - 0x30);
      if (++digits > 3 || n > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/**
 * RFC 3261 §25.1 IPv6address = hexpart [ ":" IPv4address ], hexpart = hexseq / hexseq "::" [ hexseq ]
 * / "::" [ hexseq ], hexseq = hex4 *( ":" hex4 ), hex4 = 1*4HEXDIG; with RFC 4291 §2.2's count that
 * the grammar leaves out: eight 16-bit pieces (an IPv4 tail is two), fewer only around the one `::`.
 * No brackets, no zone (`%eth0` is no part of the grammar).
 */
export function isIpv6Address(s: string, start: number, end: number): boolean {
  let pieces = 0;
  let compressed = false;
  let i = start;
  if (end - start >= 2 && s.charCodeAt(i) === 0x3a && s.charCodeAt(i + 1) === 0x3a) {
    compressed = true;
    i += 2;
  }
  while (i < end) {
    let j = i;
    while (j < end && isHexDigit(s.charCodeAt(j))) j++;
    if (j < end && s.charCodeAt(j) === 0x2e) {
      // The IPv4 tail: last, after at least one piece or the `::`.
      if ((pieces === 0 && !compressed) || !isIpv4Address(s, i, end)) return false;
      pieces += 2;
      break;
    }
    if (j === i || j - i > 4) return false;
    pieces++;
    if (j === end) break;
    if (s.charCodeAt(j) !== 0x3a) return false;
    if (j + 1 < end && s.charCodeAt(j + 1) === 0x3a) {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
    } else {
      i = j + 1;
      // A single colon must be followed by a piece.
      if (i === end) return false;
    }
  }
  if (i === start) return false;
  return compressed ? pieces <= 7 : pieces === 8;
}

/** alphanum (RFC 3261 §25.1). */
function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * RFC 3261 §25.1 hostname = *( domainlabel "." ) toplabel [ "." ], domainlabel = alphanum /
 * alphanum *( alphanum / "-" ) alphanum, toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum.
 */
export function isHostname(s: string, start: number, end: number): boolean {
  if (end > start && s.charCodeAt(end - 1) === 0x2e) end--;
  if (end <= start) return false;
  let labelStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && s.charCodeAt(i) !== 0x2e) {
      const c = s.charCodeAt(i);
      if (!isAlnum(c) && c !== 0x2d) return false;
      continue;
    }
    // A label ends at i: not empty, neither end a hyphen.
    if (i === labelStart || s.charCodeAt(labelStart) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return false;
    if (i === end) {
      const c = s.charCodeAt(labelStart);
      return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    }
    labelStart = i + 1;
  }
  return false;
}

/** RFC 3261 §25.1 host = hostname / IPv4address / IPv6reference (IPv6reference = "[" IPv6address "]"); no port. */
export function isHost(s: string, start: number, end: number): boolean {
  if (start < end && s.charCodeAt(start) === 0x5b) return end - start > 2 && s.charCodeAt(end - 1) === 0x5d && isIpv6Address(s, start + 1, end - 1);
  return isIpv4Address(s, start, end) || isHostname(s, start, end);
}

/**
 * RFC 3261 §25.1 via-received value: IPv4address / IPv6address, and an IPv6reference as well:
 * RFC 5118 §4.5 has parsers take the address in brackets too, since implementations write both.
 */
export function isViaReceived(s: string, start: number, end: number): boolean {
  if (start < end && s.charCodeAt(start) === 0x5b) return end - start > 2 && s.charCodeAt(end - 1) === 0x5d && isIpv6Address(s, start + 1, end - 1);
  return isIpv4Address(s, start, end) || isIpv6Address(s, start, end);
}
