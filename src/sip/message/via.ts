/**
 * Via (RFC 3261 §20.42, §25.1 via-parm): sent-protocol with LWS allowed around the slashes
 * (RFC 4475 wsinv), sent-by with IPv6 references, and the parameters the transaction and proxy
 * layers read: branch (§8.1.1.7), received (§18.2.1), rport (RFC 3581), maddr, ttl.
 */
import { TOKEN, SLASH, skipLws, trimLwsEnd, isDigit, ieqAscii, sliceKnown } from './chars.ts';
import { parseHeaderParams, parsedParams, formatParams, type Params, type Param } from './params.ts';
import { parseHost, parsedHost } from './uri.ts';
import { parseError, type SipParseError } from './errors.ts';
import type { Result } from '../../lib/result.ts';

export interface Via {
  /** Normally 'SIP'; kept as written. */
  readonly protocol: string;
  /** Normally '2.0' (RFC 4475 badvers carries 7.0). */
  readonly version: string;
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, WSS, or any token (RFC 4475 transports). */
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: Params;
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** RFC 3581: `true` for a bare `;rport` (a request asking for it), the number once filled in. */
  readonly rport: number | true | undefined;
  readonly maddr: string | undefined;
  readonly ttl: number | undefined;
}

/** RFC 3261 §8.1.1.7 magic cookie: a branch starting with it was built by an RFC 3261 element. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/**
 * True for a branch that can identify a transaction by itself (§17.2.3): the magic cookie followed by
 * at least one character. RFC 4475 badbranch has the cookie alone; callers may answer 400 or fall back
 * to RFC 2543 matching.
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > BRANCH_MAGIC_COOKIE.length && branch.startsWith(BRANCH_MAGIC_COOKIE);
}

const PROTOCOLS = ['SIP'];
const VERSIONS = ['2.0'];
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'];

function fail(message: string): { ok: false; error: SipParseError } {
  return { ok: false, error: parseError('SIP_PARSE_BAD_VIA', message) };
}

function readToken(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) break;
    i++;
  }
  return i;
}

function smallInt(v: string | undefined, max: number): number | undefined {
  if (v === undefined || v.length === 0 || v.length > 10) return undefined;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n <= max ? n : undefined;
}

/**
 * Parses one via-parm (one element of a possibly comma-separated Via value): all of `s`, or
 * s[start,stop) (the parser passes ranges of the message's header block, read without copying).
 */
export function parseVia(s: string, start = 0, stop = s.length): Result<Via, SipParseError> {
  const end = trimLwsEnd(s, start, stop);
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SWS around each SLASH.
  let i = skipLws(s, start, end);
  let t = readToken(s, i, end);
  if (t === i) return fail('empty sent-protocol name');
  const protocol = sliceKnown(s, i, t, PROTOCOLS);
  i = skipLws(s, t, end);
  if (s.charCodeAt(i) !== SLASH) return fail('sent-protocol needs name/version/transport');
  i = skipLws(s, i + 1, end);
  t = readToken(s, i, end);
  if (t === i) return fail('empty sent-protocol version');
  const version = sliceKnown(s, i, t, VERSIONS);
  i = skipLws(s, t, end);
  if (s.charCodeAt(i) !== SLASH) return fail('sent-protocol needs name/version/transport');
  i = skipLws(s, i + 1, end);
  t = readToken(s, i, end);
  if (t === i) return fail('empty sent-protocol transport');
  const tr = sliceKnown(s, i, t, TRANSPORTS);
  const afterProto = skipLws(s, t, end);
  if (afterProto === t) return fail('no white space before sent-by');
  const hostEnd = parseHost(s, afterProto, end);
  if (hostEnd < 0) return fail('bad sent-by host');
  const host = parsedHost.host;
  const port = parsedHost.port;
  if (!parseHeaderParams(s, hostEnd, end)) return fail('malformed Via parameter');
  if (skipLws(s, parsedParams.next, end) !== end) return fail('unexpected characters after Via parameters');
  return { ok: true, value: viaFrom(protocol, version, isUpper(tr) ? tr : tr.toUpperCase(), host, port, parsedParams.params) };
}

function isUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return false;
  }
  return true;
}

/** One pass over the parameters for the ones the transaction and proxy layers read. */
function viaFrom(protocol: string, version: string, transport: string, host: string, port: number | undefined, params: Param[]): Via {
  let branch: string | undefined;
  let received: string | undefined;
  let rport: number | true | undefined;
  let maddr: string | undefined;
  let ttl: number | undefined;
  let seen = 0;
  for (let k = 0; k < params.length; k++) {
    const prm = params[k] as Param;
    const n = prm.name;
    // First occurrence wins, as paramGet would return.
    if ((seen & 1) === 0 && ieqAscii(n, 'branch')) { branch = prm.value; seen |= 1; }
    else if ((seen & 2) === 0 && ieqAscii(n, 'received')) { received = prm.value; seen |= 2; }
    else if ((seen & 4) === 0 && ieqAscii(n, 'rport')) { rport = prm.value === undefined ? true : smallInt(prm.value, 65535); seen |= 4; }
    else if ((seen & 8) === 0 && ieqAscii(n, 'maddr')) { maddr = prm.value; seen |= 8; }
    else if ((seen & 16) === 0 && ieqAscii(n, 'ttl')) { ttl = smallInt(prm.value, 255); seen |= 16; }
  }
  return { protocol, version, transport, host, port, params, branch, received, rport, maddr, ttl };
}

export interface ViaInit {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly branch: string;
  /** Ask the next hop for rport (RFC 3581 §3). */
  readonly rport?: boolean;
  readonly params?: Params;
}

/** Writes a via-parm for a Via this node adds (RFC 3261 §16.6 step 8). */
export function formatVia(v: ViaInit): string {
  let s = `SIP/2.0/${v.transport.toUpperCase()} ${v.host}`;
  if (v.port !== undefined) s += `:${v.port}`;
  s += `;branch=${v.branch}`;
  if (v.rport === true) s += ';rport';
  if (v.params !== undefined) s += formatParams(v.params);
  return s;
}
