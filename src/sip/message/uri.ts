/**
 * URIs: sip/sips (RFC 3261 §19.1, §25.1 SIP-URI), tel (RFC 3966, number and parameters), and any
 * other absoluteURI kept opaque (RFC 4475 unkscm/novelsc/unksm2 parse, the application answers 416).
 * Components keep their escapes as written; decode with pctDecode(). uriEquals() is §19.1.4.
 */
import { MAX_URI_BYTES, MAX_PARAMS } from './limits.ts';
import {
  SCHEME, URI_USER, URI_PASSWORD, URI_HOST, URI_HEADER, URI_USER_PLAIN, URI_PARAM_PLAIN, isDigit, isHexDigit, ieqAscii, skipLws, sliceKnown, paramcharEnd,
} from './chars.ts';
import { parseUriParams, parsedParams, NO_PARAMS, COMMON_NAMES, type Params, type Param } from './params.ts';

export interface SipUri {
  readonly kind: 'sip';
  /** 'sip' or 'sips', lower-cased. */
  readonly scheme: 'sip' | 'sips';
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** As written; IPv6 references keep their brackets (`[::1]`). */
  readonly host: string;
  readonly port: number | undefined;
  readonly params: Params;
  /** `?h1=v1&h2=v2`: name and value as written. */
  readonly headers: Params;
  readonly raw: string;
}

export interface TelUri {
  readonly kind: 'tel';
  readonly scheme: 'tel';
  readonly number: string;
  readonly params: Params;
  readonly raw: string;
}

export interface OtherUri {
  readonly kind: 'other';
  /** Lower-cased. */
  readonly scheme: string;
  readonly opaque: string;
  readonly raw: string;
}

export type Uri = SipUri | TelUri | OtherUri;

const isHex = isHexDigit;

/** True when s[start,end) is in the table and every `%` starts a valid escape. */
function validEscaped(t: Uint8Array, s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || t[c] !== 1) return false;
    if (c === 0x25 && !(i + 2 < end && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false;
  }
  return true;
}

/** Percent-decodes (octets, then UTF-8). `%00` stays a NUL character (RFC 4475 escnull). */
export function pctDecode(s: string): string {
  return s.indexOf('%') < 0 ? s : Buffer.from(decodeOctets(s, false), 'latin1').toString('utf8');
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * RFC 2396 reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ",", the set RFC 3261
 * §19.1.4 excepts from "equivalent to their escaped form"; `%` too (see pctOctets).
 */
const KEPT_ESCAPED = ';/?:@&=+$,%';

/**
 * A URI component in the form §19.1.4 compares, as a string of octets (one char per byte):
 * "characters other than those in the reserved set are equivalent to their % HEX HEX encoding", so
 * those escapes are decoded, while an escaped reserved character is not the character itself
 * (`sip:a%3Bb@x` is not `sip:a;b@x`) and stays an escape, its hex digits upper-cased (`%3b` and
 * `%3B` are the same octet). An escaped `%` stays one too: decoded, `%253B` would read as the
 * escape `%3B`. Decoding to UTF-8 first would map every invalid sequence (%FF, %FE) to U+FFFD and
 * make them equal.
 */
export function pctOctets(s: string): string {
  return decodeOctets(s, true);
}

/** Percent-decodes to a string of octets; with `keepReserved`, escapes of KEPT_ESCAPED stay (upper-cased). */
function decodeOctets(s: string, keepReserved: boolean): string {
  if (s.indexOf('%') < 0 && isAscii(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      const octet = parseInt(s.slice(i + 1, i + 3), 16);
      out += keepReserved && KEPT_ESCAPED.indexOf(String.fromCharCode(octet)) >= 0 ? s.slice(i, i + 3).toUpperCase() : String.fromCharCode(octet);
      i += 2;
    } else if (c < 0x80) out += s[i] ?? '';
    else out += Buffer.from(s[i] ?? '', 'utf8').toString('latin1');
  }
  return out;
}

/** Where parseHost leaves host and port (a holder, not an object per call: every URI and Via has one). */
export const parsedHost: { host: string; port: number | undefined } = { host: '', port: undefined };

/**
 * Parses host[:port] at s[i] into parsedHost (unless `record` is false); returns the index after it,
 * or -1. `sws`: white space may surround the colon, as in a Via's sent-by (RFC 3261 §20.42
 * `sent-by = host [ COLON port ]`, §25.1 `COLON = SWS ":" SWS`); a URI has none.
 */
export function parseHost(s: string, i: number, end: number, record = true, sws = false): number {
  const start = i;
  if (s.charCodeAt(i) === 0x5b) {
    // RFC 3261 §25.1 IPv6reference = "[" IPv6address "]"
    const close = s.indexOf(']', i);
    if (close < 0 || close >= end || close === i + 1) return -1;
    for (let j = i + 1; j < close; j++) {
      const c = s.charCodeAt(j);
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) return -1;
    }
    i = close + 1;
  } else {
    while (i < end && s.charCodeAt(i) <= 0xff && URI_HOST[s.charCodeAt(i)] === 1) i++;
    if (i === start) return -1;
  }
  const hostEnd = i;
  let port: number | undefined;
  const colon = sws ? skipLws(s, i, end) : i;
  if (colon < end && s.charCodeAt(colon) === 0x3a) {
    i = sws ? skipLws(s, colon + 1, end) : colon + 1;
    const pStart = i;
    let n = 0;
    while (i < end && isDigit(s.charCodeAt(i)) && i - pStart < 5) n = n * 10 + (s.charCodeAt(i++) - 0x30);
    if (i === pStart || n > 65535) return -1;
    port = n;
  }
  if (record) {
    parsedHost.host = s.slice(start, hostEnd);
    parsedHost.port = port;
  }
  return i;
}

function parseUriHeaders(s: string, i: number, end: number): Param[] | undefined {
  const out: Param[] = [];
  for (const part of s.slice(i, end).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || !validEscaped(URI_HEADER, part, 0, eq) || (eq + 1 < part.length && !validEscaped(URI_HEADER, part, eq + 1, part.length))) return undefined;
    out.push({ name: part.slice(0, eq), value: part.slice(eq + 1) });
  }
  return out;
}

function parseSip(raw: string, scheme: 'sip' | 'sips', i: number): SipUri | undefined {
  const end = raw.length;
  let user: string | undefined;
  let password: string | undefined;
  // '@' cannot appear unescaped after the userinfo, while ';' '?' ',' can appear inside it
  // (user-unreserved, RFC 4475 semiuri and intmeth), so the first '@' ends the userinfo.
  const at = raw.indexOf('@', i);
  if (at >= 0) {
    const colon = raw.indexOf(':', i);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === i || !validEscaped(URI_USER, raw, i, userEnd)) return undefined;
    user = raw.slice(i, userEnd);
    if (userEnd < at) {
      if (!(userEnd + 1 === at || validEscaped(URI_PASSWORD, raw, userEnd + 1, at))) return undefined;
      password = raw.slice(userEnd + 1, at);
    }
    i = at + 1;
  }
  const hostEnd = parseHost(raw, i, end);
  if (hostEnd < 0) return undefined;
  const host = parsedHost.host;
  const port = parsedHost.port;
  // RFC 3261 §25.1 pname = 1*paramchar: param-unreserved includes "&" (only in the headers after
  // `?` does `&` separate), so a name is checked as paramchar, as a value is, and nothing more.
  if (!parseUriParams(raw, hostEnd, end)) return undefined;
  const params = parsedParams.params;
  let headers: Param[] = NO_PARAMS;
  let next = parsedParams.next;
  if (next < end && raw.charCodeAt(next) === 0x3f) {
    const hs = parseUriHeaders(raw, next + 1, end);
    if (hs === undefined) return undefined;
    headers = hs;
    next = end;
  }
  if (next !== end) return undefined;
  return { kind: 'sip', scheme, user, password, host, port, params, headers, raw };
}

function parseTel(raw: string, i: number): TelUri | undefined {
  const semi = raw.indexOf(';', i);
  const numEnd = semi < 0 ? raw.length : semi;
  if (numEnd === i) return undefined;
  for (let j = i; j < numEnd; j++) {
    const c = raw.charCodeAt(j);
    // RFC 3966 §3: digits, hex digits, * # + and the visual separators - . ( )
    if (!(isHex(c) || c === 0x2a || c === 0x23 || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29)) return undefined;
  }
  if (!parseUriParams(raw, numEnd, raw.length) || parsedParams.next !== raw.length) return undefined;
  return { kind: 'tel', scheme: 'tel', number: raw.slice(i, numEnd), params: parsedParams.params, raw };
}

function lowerAt(s: string, i: number): number {
  return s.charCodeAt(i) | 0x20;
}

/** canonicalSip's parameters before they are copied out (a holder: parsing is synchronous). */
const CANONICAL_SCRATCH: Param[] = [];

/**
 * The usual SIP URI read in one pass and built as parseSip builds it: the form canonicalSipUriEnd
 * reads (a user of plain characters and `@`, a host name or IPv4 address, an optional port of at
 * most five digits up to 65535, `;name[=value]` parameters of plain characters, nothing after them),
 * without the escape checks that the general path needs.
 * Undefined for anything else (escapes, a password, IPv6, headers, limits), which parseSip decides.
 * canonical-forms.property.test.ts holds it to parseUriGeneral on usual and mutated URIs.
 */
export function canonicalSip(raw: string, scheme: 'sip' | 'sips', i: number): SipUri | undefined {
  const end = raw.length;
  const userStart = i;
  let c = 0;
  while (i < end && (c = raw.charCodeAt(i)) <= 0xff && URI_USER_PLAIN[c] === 1) i++;
  let user: string | undefined;
  // Plain user characters exclude '@': the '@' that ends them is the URI's first, as parseSip reads it.
  if (i > userStart && i < end && c === 0x40) user = raw.slice(userStart, i++);
  else i = userStart;
  const hostStart = i;
  while (i < end && (c = raw.charCodeAt(i)) <= 0xff && URI_HOST[c] === 1) i++;
  if (i === hostStart) return undefined;
  const host = raw.slice(hostStart, i);
  let port: number | undefined;
  if (i < end && raw.charCodeAt(i) === 0x3a) {
    const digits = ++i;
    let n = 0;
    while (i < end && i - digits < 5 && isDigit(c = raw.charCodeAt(i))) { n = n * 10 + (c - 0x30); i++; }
    if (i === digits || n > 65535) return undefined;
    port = n;
  }
  let n = 0;
  while (i < end && raw.charCodeAt(i) === 0x3b) {
    if (n >= MAX_PARAMS) return undefined;
    const nameStart = ++i;
    while (i < end && (c = raw.charCodeAt(i)) <= 0xff && URI_PARAM_PLAIN[c] === 1) i++;
    if (i === nameStart) return undefined;
    const name = sliceKnown(raw, nameStart, i, COMMON_NAMES);
    let value: string | undefined;
    if (i < end && raw.charCodeAt(i) === 0x3d) {
      const valueStart = ++i;
      while (i < end && (c = raw.charCodeAt(i)) <= 0xff && URI_PARAM_PLAIN[c] === 1) i++;
      if (i === valueStart) return undefined;
      value = raw.slice(valueStart, i);
    }
    CANONICAL_SCRATCH[n++] = { name, value };
  }
  if (i !== end) return undefined;
  // Copied out at their count, as parseUriParams does (an array grown by push reserves 17 slots).
  const params = n === 0 ? NO_PARAMS : CANONICAL_SCRATCH.slice(0, n);
  return { kind: 'sip', scheme, user, password: undefined, host, port, params, headers: NO_PARAMS, raw };
}

/** Parses a whole URI string (no surrounding white space or angle brackets). */
export function parseUri(raw: string): Uri | undefined {
  if (raw.length === 0 || raw.length > MAX_URI_BYTES) return undefined;
  // Most URIs a proxy reads (Request-URI, From, To, Contact, Route) take the one-pass path.
  const c3 = raw.charCodeAt(3);
  if (raw.charCodeAt(0) === 0x73 && raw.charCodeAt(1) === 0x69 && raw.charCodeAt(2) === 0x70 && (c3 === 0x3a || (c3 === 0x73 && raw.charCodeAt(4) === 0x3a))) {
    const u = c3 === 0x3a ? canonicalSip(raw, 'sip', 4) : canonicalSip(raw, 'sips', 5);
    if (u !== undefined) return u;
  }
  return parseUriGeneral(raw);
}

/** parseUri without its one-pass path for the usual SIP URI: every form, every check (exported for the property tests). */
export function parseUriGeneral(raw: string): Uri | undefined {
  if (raw.length === 0 || raw.length > MAX_URI_BYTES) return undefined;
  let i = 0;
  const c0 = raw.charCodeAt(0);
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return undefined;
  while (i < raw.length && raw.charCodeAt(i) <= 0xff && SCHEME[raw.charCodeAt(i)] === 1) i++;
  if (i >= raw.length || raw.charCodeAt(i) !== 0x3a || i + 1 === raw.length) return undefined;
  // The usual schemes without slicing and lower-casing (RFC 3261 §19.1.4: schemes are case-insensitive).
  if (i === 3 && lowerAt(raw, 0) === 0x73 && lowerAt(raw, 1) === 0x69 && lowerAt(raw, 2) === 0x70) return parseSip(raw, 'sip', i + 1);
  if (i === 4 && lowerAt(raw, 0) === 0x73 && lowerAt(raw, 1) === 0x69 && lowerAt(raw, 2) === 0x70 && lowerAt(raw, 3) === 0x73) return parseSip(raw, 'sips', i + 1);
  if (i === 3 && lowerAt(raw, 0) === 0x74 && lowerAt(raw, 1) === 0x65 && lowerAt(raw, 2) === 0x6c) return parseTel(raw, i + 1);
  const scheme = raw.slice(0, i).toLowerCase();
  for (let j = i + 1; j < raw.length; j++) {
    const c = raw.charCodeAt(j);
    // absoluteURI: no white space, controls, quotes or angle brackets (RFC 3261 §25.1 / RFC 2396)
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c >= 0x7f) return undefined;
  }
  return { kind: 'other', scheme, opaque: raw.slice(i + 1), raw };
}

/** The scheme of a URI parseUri() accepts, lower-cased as parseUri() gives it, without parsing the rest. */
export function schemeOf(raw: string): string {
  const colon = raw.indexOf(':');
  if (colon === 3 && lowerAt(raw, 0) === 0x73 && lowerAt(raw, 1) === 0x69 && lowerAt(raw, 2) === 0x70) return 'sip';
  if (colon === 4 && lowerAt(raw, 0) === 0x73 && lowerAt(raw, 1) === 0x69 && lowerAt(raw, 2) === 0x70 && lowerAt(raw, 3) === 0x73) return 'sips';
  if (colon === 3 && lowerAt(raw, 0) === 0x74 && lowerAt(raw, 1) === 0x65 && lowerAt(raw, 2) === 0x6c) return 'tel';
  return raw.slice(0, colon < 0 ? 0 : colon).toLowerCase();
}

/**
 * True when s[start,end) is a URI parseUri() accepts, decided without allocating: From and To are
 * checked on every message (RFC 4475 wants bad ones refused) but their URI objects are only built
 * when read. Follows parseUri() step by step; uri.test.ts compares the two on generated strings.
 */
export function validUri(s: string, start: number, end: number): boolean {
  const len = end - start;
  if (len === 0 || len > MAX_URI_BYTES) return false;
  const c0 = s.charCodeAt(start);
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return false;
  let i = start;
  while (i < end && s.charCodeAt(i) <= 0xff && SCHEME[s.charCodeAt(i)] === 1) i++;
  if (i >= end || s.charCodeAt(i) !== 0x3a || i + 1 === end) return false;
  const n = i - start;
  if ((n === 3 || n === 4) && lowerAt(s, start) === 0x73 && lowerAt(s, start + 1) === 0x69 && lowerAt(s, start + 2) === 0x70 && (n === 3 || lowerAt(s, start + 3) === 0x73)) {
    return validSip(s, i + 1, end);
  }
  if (n === 3 && lowerAt(s, start) === 0x74 && lowerAt(s, start + 1) === 0x65 && lowerAt(s, start + 2) === 0x6c) return validTel(s, i + 1, end);
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c >= 0x7f) return false;
  }
  return true;
}

/** Where canonicalHostPortEnd() found the host's end and the port (undefined without one). A holder: the checks are synchronous. */
export const canonicalHost: { hostEnd: number; port: number | undefined } = { hostEnd: 0, port: undefined };

/**
 * parseHost's rules on bytes for a host name or IPv4 address (no IPv6 reference): host characters,
 * then an optional `:` and at most five digits up to 65535. The index after them, or -1.
 */
export function canonicalHostPortEnd(buf: Uint8Array, i: number, end: number): number {
  const host = i;
  while (i < end && URI_HOST[buf[i] as number] === 1) i++;
  if (i === host) return -1;
  canonicalHost.hostEnd = i;
  canonicalHost.port = undefined;
  if (i < end && buf[i] === 0x3a) {
    const digits = ++i;
    let n = 0;
    while (i < end && i - digits < 5 && isDigit(buf[i] as number)) n = n * 10 + ((buf[i++] as number) - 0x30);
    if (i === digits || n > 65535) return -1;
    canonicalHost.port = n;
  }
  return i;
}

/**
 * The usual SIP URI — `sip:` or `sips:` (lower case), an optional user of plain characters and `@`,
 * a host name or IPv4 address, an optional port, `;name[=value]` parameters of plain characters —
 * read in one pass over buf[i,end). Returns where it stops (at `end`, or at the first byte that is
 * not part of that form, such as the `>` closing a name-addr), -1 when the form is broken. Everything
 * it reads up to its stop, validUri accepts (canonical-forms.property.test.ts checks that on mutated
 * URIs); a URI with escapes, a password, an IPv6 reference, headers or upper-case scheme is left to it.
 */
export function canonicalSipUriEnd(buf: Uint8Array, i: number, end: number): number {
  const start = i;
  if (end - i < 5 || buf[i] !== 0x73 || buf[i + 1] !== 0x69 || buf[i + 2] !== 0x70) return -1;
  i += 3;
  if (buf[i] === 0x73) i++;
  if (buf[i] !== 0x3a) return -1;
  i++;
  // userinfo only when plain characters run into '@'; otherwise those characters are the host.
  const user = i;
  while (i < end && URI_USER_PLAIN[buf[i] as number] === 1) i++;
  if (i > user && i < end && buf[i] === 0x40) i++;
  else i = user;
  i = canonicalHostPortEnd(buf, i, end);
  if (i < 0) return -1;
  for (let n = 0; i < end && buf[i] === 0x3b; n++) {
    if (n >= MAX_PARAMS) return -1;
    const name = ++i;
    while (i < end && URI_PARAM_PLAIN[buf[i] as number] === 1) i++;
    if (i === name) return -1;
    if (i < end && buf[i] === 0x3d) {
      const value = ++i;
      while (i < end && URI_PARAM_PLAIN[buf[i] as number] === 1) i++;
      if (i === value) return -1;
    }
  }
  return i - start > MAX_URI_BYTES ? -1 : i;
}

function validSip(s: string, i: number, end: number): boolean {
  const at = s.indexOf('@', i);
  if (at >= 0 && at < end) {
    const colon = s.indexOf(':', i);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === i || !validEscaped(URI_USER, s, i, userEnd)) return false;
    if (userEnd < at && !(userEnd + 1 === at || validEscaped(URI_PASSWORD, s, userEnd + 1, at))) return false;
    i = at + 1;
  }
  const hostEnd = parseHost(s, i, end, false);
  if (hostEnd < 0) return false;
  const next = skipUriParams(s, hostEnd, end);
  if (next < 0) return false;
  if (next < end && s.charCodeAt(next) === 0x3f) return validUriHeaders(s, next + 1, end);
  return next === end;
}

function validTel(s: string, i: number, end: number): boolean {
  let numEnd = s.indexOf(';', i);
  if (numEnd < 0 || numEnd > end) numEnd = end;
  if (numEnd === i) return false;
  for (let j = i; j < numEnd; j++) {
    const c = s.charCodeAt(j);
    if (!(isHex(c) || c === 0x2a || c === 0x23 || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29)) return false;
  }
  return skipUriParams(s, numEnd, end) === end;
}

/** parseUriParams() without building anything. */
function skipUriParams(s: string, i: number, end: number): number {
  let n = 0;
  while (i < end && s.charCodeAt(i) === 0x3b) {
    if (n >= MAX_PARAMS) return -1;
    const nameStart = i + 1;
    let j = paramcharEnd(s, nameStart, end);
    if (j <= nameStart) return -1;
    if (j < end && s.charCodeAt(j) === 0x3d) {
      const vStart = ++j;
      j = paramcharEnd(s, vStart, end);
      if (j <= vStart) return -1;
    }
    n++;
    i = j;
  }
  return i;
}

/** parseUriHeaders() without building anything: every `&`-separated part is name=value. */
function validUriHeaders(s: string, i: number, end: number): boolean {
  for (let partStart = i; ; ) {
    let partEnd = s.indexOf('&', partStart);
    if (partEnd < 0 || partEnd > end) partEnd = end;
    let eq = s.indexOf('=', partStart);
    if (eq < 0 || eq >= partEnd) eq = -1;
    if (eq <= partStart || !validEscaped(URI_HEADER, s, partStart, eq) || (eq + 1 < partEnd && !validEscaped(URI_HEADER, s, eq + 1, partEnd))) return false;
    if (partEnd === end) return true;
    partStart = partEnd + 1;
  }
}

/** Writes a URI from its components (used for URIs built in code; parsed ones also carry `raw`). */
export function formatUri(u: Uri): string {
  if (u.kind === 'other') return `${u.scheme}:${u.opaque}`;
  if (u.kind === 'tel') return `tel:${u.number}${fmtParams(u.params)}`;
  let s = `${u.scheme}:`;
  if (u.user !== undefined) s += u.password !== undefined ? `${u.user}:${u.password}@` : `${u.user}@`;
  s += u.host;
  if (u.port !== undefined) s += `:${u.port}`;
  s += fmtParams(u.params);
  if (u.headers.length > 0) s += '?' + u.headers.map((h) => `${h.name}=${h.value ?? ''}`).join('&');
  return s;
}

function fmtParams(ps: Params): string {
  let s = '';
  for (const p of ps) s += p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`;
  return s;
}

const ieq = ieqAscii;

function findParam(ps: Params, name: string): Param | undefined {
  const d = pctOctets(name);
  return ps.find((p) => ieq(pctOctets(p.name), d));
}

function paramsMatch(a: Params, b: Params): boolean {
  for (const pa of a) {
    const pb = findParam(b, pa.name);
    const n = pctOctets(pa.name).toLowerCase();
    if (pb === undefined) {
      // RFC 3261 §19.1.4: user, ttl, method and maddr in only one URI never match.
      if (n === 'user' || n === 'ttl' || n === 'method' || n === 'maddr') return false;
      continue;
    }
    if (!ieq(pctOctets(pa.value ?? ''), pctOctets(pb.value ?? ''))) return false;
  }
  for (const pb of b) {
    const n = pctOctets(pb.name).toLowerCase();
    if ((n === 'user' || n === 'ttl' || n === 'method' || n === 'maddr') && findParam(a, pb.name) === undefined) return false;
  }
  return true;
}

function headersMatch(a: Params, b: Params): boolean {
  // Header components are never ignored: same set on both sides (RFC 3261 §19.1.4).
  if (a.length !== b.length) return false;
  for (const ha of a) {
    const hb = findParam(b, ha.name);
    if (hb === undefined || pctOctets(ha.value ?? '') !== pctOctets(hb.value ?? '')) return false;
  }
  return true;
}

function telDigits(n: string): string {
  let s = '';
  for (let i = 0; i < n.length; i++) {
    const c = n[i] ?? '';
    if (c !== '-' && c !== '.' && c !== '(' && c !== ')') s += c.toLowerCase();
  }
  return s;
}

/**
 * RFC 3261 §19.1.4 URI comparison: userinfo case-sensitive after unescaping all but reserved
 * characters (pctOctets), host case-insensitive,
 * an omitted port never equals an explicit one, user/ttl/method/maddr parameters must be on both sides,
 * other parameters only compared when present in both, headers always compared.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind === 'sip' && b.kind === 'sip') {
    if (a.scheme !== b.scheme) return false;
    if ((a.user === undefined) !== (b.user === undefined)) return false;
    if (a.user !== undefined && pctOctets(a.user) !== pctOctets(b.user ?? '')) return false;
    if ((a.password ?? '') !== '' || (b.password ?? '') !== '') {
      if (pctOctets(a.password ?? '') !== pctOctets(b.password ?? '')) return false;
    }
    if (!ieq(pctOctets(a.host), pctOctets(b.host)) || a.port !== b.port) return false;
    return paramsMatch(a.params, b.params) && headersMatch(a.headers, b.headers);
  }
  if (a.kind === 'tel' && b.kind === 'tel') {
    return telDigits(a.number) === telDigits(b.number) && a.params.length === b.params.length && paramsMatch(a.params, b.params);
  }
  if (a.kind === 'other' && b.kind === 'other') return a.scheme === b.scheme && a.opaque === b.opaque;
  return false;
}
