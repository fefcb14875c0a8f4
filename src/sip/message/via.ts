/**
 * Via (RFC 3261 §20.42, §25.1 via-parm): sent-protocol with LWS allowed around the slashes
 * (RFC 4475 wsinv), sent-by with IPv6 references, and the parameters the transaction and proxy
 * layers read: branch (§8.1.1.7), received (§18.2.1), rport (RFC 3581), maddr, ttl.
 */
import { TOKEN, SLASH, skipLws, trimLwsEnd, isDigit, sliceKnown } from './chars.ts';
import { MAX_PARAMS } from './limits.ts';
import {
  canonicalParam, canonicalParamAt, checkedHeaderParams, checkHeaderParams, parsedParams, formatParams, slotStart, slotEnd, SLOT_BRANCH, SLOT_RECEIVED, SLOT_RPORT, SLOT_MADDR, SLOT_TTL, type Params,
} from './params.ts';
import { canonicalHost, canonicalHostPortEnd, parseHost, parsedHost } from './uri.ts';
import { isHost, isViaReceived } from './host-grammar.ts';
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

/** s[start,end) as a decimal integer of at most `maxDigits` digits and at most `max`, else undefined. */
function smallInt(s: string, start: number, end: number, max: number, maxDigits = 10): number | undefined {
  const len = end - start;
  if (len <= 0 || len > maxDigits) return undefined;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n <= max ? n : undefined;
}

/** `SIP/2.0/` at s[i], as nearly every Via writes it: the sent-protocol without three token reads. */
function plainSipSlash(s: string, i: number, end: number): boolean {
  return i + 8 <= end && s.charCodeAt(i) === 0x53 && s.charCodeAt(i + 1) === 0x49 && s.charCodeAt(i + 2) === 0x50 && s.charCodeAt(i + 3) === SLASH &&
    s.charCodeAt(i + 4) === 0x32 && s.charCodeAt(i + 5) === 0x2e && s.charCodeAt(i + 6) === 0x30 && s.charCodeAt(i + 7) === SLASH;
}

/**
 * Parses one via-parm (one element of a possibly comma-separated Via value): all of `s`, or
 * s[start,stop) (the parser passes ranges of the message's header block, read without copying).
 */
export function parseVia(s: string, start = 0, stop = s.length): Result<Via, SipParseError> {
  const end = trimLwsEnd(s, start, stop);
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SWS around each SLASH.
  let i = skipLws(s, start, end);
  let protocol = PROTOCOLS[0] as string;
  let version = VERSIONS[0] as string;
  let t: number;
  // SLASH = SWS "/" SWS (RFC 3261 §25.1): white space may still follow the last slash.
  if (plainSipSlash(s, i, end)) i = skipLws(s, i + 8, end);
  else {
    t = readToken(s, i, end);
    if (t === i) return fail('empty sent-protocol name');
    protocol = sliceKnown(s, i, t, PROTOCOLS);
    i = skipLws(s, t, end);
    if (s.charCodeAt(i) !== SLASH) return fail('sent-protocol needs name/version/transport');
    i = skipLws(s, i + 1, end);
    t = readToken(s, i, end);
    if (t === i) return fail('empty sent-protocol version');
    version = sliceKnown(s, i, t, VERSIONS);
    i = skipLws(s, t, end);
    if (s.charCodeAt(i) !== SLASH) return fail('sent-protocol needs name/version/transport');
    i = skipLws(s, i + 1, end);
  }
  t = readToken(s, i, end);
  if (t === i) return fail('empty sent-protocol transport');
  const tr = sliceKnown(s, i, t, TRANSPORTS);
  const afterProto = skipLws(s, t, end);
  if (afterProto === t) return fail('no white space before sent-by');
  const hostEnd = parseHost(s, afterProto, end, true, true);
  if (hostEnd < 0) return fail('bad sent-by host');
  const host = parsedHost.host;
  const port = parsedHost.port;
  // Checked without building: the parameter list is made on first read of `params`.
  if (!checkHeaderParams(s, hostEnd, end)) return fail('malformed Via parameter');
  if (skipLws(s, parsedParams.next, end) !== end) return fail('unexpected characters after Via parameters');
  if ((parsedParams.quotedSlots & VIA_UNQUOTED) !== 0) return fail('quoted branch, received, rport, maddr or ttl (RFC 3261 §25.1 via-params take none)');
  if (slotStart[SLOT_BRANCH] === -2 || slotStart[SLOT_RECEIVED] === -2 || slotStart[SLOT_MADDR] === -2 || slotStart[SLOT_TTL] === -2) {
    return fail('branch, received, maddr or ttl without a value (RFC 3261 §25.1: "name" EQUAL value)');
  }
  const rp = slotStart[SLOT_RPORT] as number;
  const rport = rp === -1 ? undefined : rp === -2 ? true : smallInt(s, rp, slotEnd[SLOT_RPORT] as number, 65535);
  // Read as absent, a bad rport or ttl made the response go to the sent-by port or the multicast
  // default without a word: RFC 3581 response-port = "rport" [EQUAL 1*DIGIT], §25.1 ttl = 1*3DIGIT (0-255).
  if (rp >= 0 && rport === undefined) return fail('rport is not a port number (RFC 3581 response-port)');
  const ts = slotStart[SLOT_TTL] as number;
  const ttl = ts < 0 ? undefined : smallInt(s, ts, slotEnd[SLOT_TTL] as number, 255, 3);
  if (ts >= 0 && ttl === undefined) return fail('ttl is not 1*3DIGIT 0-255 (RFC 3261 §25.1 ttl)');
  // A received or maddr that is no address is refused like a bad rport or ttl, not ignored: §25.1
  // via-received = "received" EQUAL (IPv4address / IPv6address), via-maddr = "maddr" EQUAL host.
  // Both name where responses go (§18.2.2 sends to maddr; a stateless proxy relays a response to the
  // next Via's received), and the generic-param grammar alone lets `maddr=a:b` or
  // `received=evil.example` through. Refusing with 400 is what RFC 4475 §3.1.2 asks of a message
  // that breaks the grammar of a header the element must read, and what branch, rport and ttl get.
  const rs = slotStart[SLOT_RECEIVED] as number;
  if (rs >= 0 && !isViaReceived(s, rs, slotEnd[SLOT_RECEIVED] as number)) return fail('received is not an IP address (RFC 3261 §25.1 via-received)');
  const ms = slotStart[SLOT_MADDR] as number;
  if (ms >= 0 && !isHost(s, ms, slotEnd[SLOT_MADDR] as number)) return fail('maddr is not a host (RFC 3261 §25.1 via-maddr)');
  return {
    ok: true,
    value: new ParsedVia(
      protocol, version, isUpper(tr) ? tr : tr.toUpperCase(), host, port, s, hostEnd, end,
      slotValue(s, SLOT_BRANCH), slotValue(s, SLOT_RECEIVED), rport, slotValue(s, SLOT_MADDR), ttl,
    ),
  };
}

/** The Via parameters whose grammar has no quoted-string (RFC 3261 §25.1 via-params, RFC 3581). */
const VIA_UNQUOTED = (1 << SLOT_BRANCH) | (1 << SLOT_RECEIVED) | (1 << SLOT_RPORT) | (1 << SLOT_MADDR) | (1 << SLOT_TTL);

/**
 * The top Via in the form nearly every element writes it — `SIP/2.0/UDP host[:port];name=value;flag`
 * with an upper-case transport of TRANSPORTS, a host name or IPv4 address, and no white space,
 * quoted value or comma after the sent-by — checked in one pass over the message's bytes
 * buf[start,end) (a value range: no LWS at either end). Undefined for anything else, which parseVia
 * then decides, errors included. For what it accepts it builds the ParsedVia parseVia would
 * (canonical-forms.property.test.ts compares them field by field), its strings sliced from `text`,
 * the header block as a string, whose first character is buf[base]. parseVia's general grammar
 * (SWS around every separator, quoted values, IPv6 references) cost ~0.5 µs of a SIPp OPTIONS'
 * ~2.5 µs parse; this takes ~0.2 of it.
 */
export function canonicalVia(buf: Uint8Array, start: number, end: number, text: string, base: number): Via | undefined {
  let i = start;
  if (end - i < 10 || buf[i] !== 0x53 || buf[i + 1] !== 0x49 || buf[i + 2] !== 0x50 || buf[i + 3] !== SLASH
    || buf[i + 4] !== 0x32 || buf[i + 5] !== 0x2e || buf[i + 6] !== 0x30 || buf[i + 7] !== SLASH) return undefined;
  i += 8;
  const transport = canonicalTransport(buf, i, end);
  if (transport === undefined) return undefined;
  // canonicalTransport saw SP or HTAB after the name: the sent-by follows that white space.
  i += transport.length;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  const hostStart = i;
  i = canonicalHostPortEnd(buf, i, end);
  if (i < 0) return undefined;
  const hostEnd = canonicalHost.hostEnd;
  const port = canonicalHost.port;
  const paramsStart = i;
  // Value ranges of the parameters the Via getters read, first occurrence (any case) wins: -1 absent, -2 a flag.
  let branchS = -1, branchE = -1, receivedS = -1, receivedE = -1, rportS = -1, rportE = -1, maddrS = -1, maddrE = -1, ttlS = -1, ttlE = -1;
  for (let n = 0; i < end; n++) {
    if (n >= MAX_PARAMS) return undefined;
    i = canonicalParamAt(buf, i, end);
    if (i < 0) return undefined;
    const vs = canonicalParam.valueStart;
    const ve = canonicalParam.valueEnd;
    const slot = viaSlot(buf, canonicalParam.nameStart, canonicalParam.nameEnd);
    // A flag where the grammar wants a value (all but rport): parseVia says why it is refused.
    if (vs === -2 && slot >= 0 && slot !== SLOT_RPORT) return undefined;
    switch (slot) {
      case SLOT_BRANCH: if (branchS === -1) { branchS = vs; branchE = ve; } break;
      case SLOT_RECEIVED: if (receivedS === -1) { receivedS = vs; receivedE = ve; } break;
      case SLOT_RPORT: if (rportS === -1) { rportS = vs; rportE = ve; } break;
      case SLOT_MADDR: if (maddrS === -1) { maddrS = vs; maddrE = ve; } break;
      case SLOT_TTL: if (ttlS === -1) { ttlS = vs; ttlE = ve; } break;
      default:
    }
  }
  const rport = rportS === -1 ? undefined : rportS === -2 ? true : smallInt(text, rportS - base, rportE - base, 65535);
  const ttl = ttlS < 0 ? undefined : smallInt(text, ttlS - base, ttlE - base, 255, 3);
  if ((rportS >= 0 && rport === undefined) || (ttlS >= 0 && ttl === undefined)) return undefined;
  // parseVia's received and maddr grammar (it says why it refuses); a scan of the value only when present.
  if (receivedS >= 0 && !isViaReceived(text, receivedS - base, receivedE - base)) return undefined;
  if (maddrS >= 0 && !isHost(text, maddrS - base, maddrE - base)) return undefined;
  return new ParsedVia(
    PROTOCOLS[0] as string, VERSIONS[0] as string, transport, text.slice(hostStart - base, hostEnd - base), port, text, paramsStart - base, end - base,
    branchS < 0 ? undefined : text.slice(branchS - base, branchE - base), receivedS < 0 ? undefined : text.slice(receivedS - base, receivedE - base),
    rport, maddrS < 0 ? undefined : text.slice(maddrS - base, maddrE - base), ttl,
  );
}

/** The transport at buf[i] when it is one of TRANSPORTS in upper case followed by SP or HTAB before `end`. */
function canonicalTransport(buf: Uint8Array, i: number, end: number): string | undefined {
  for (let k = 0; k < TRANSPORTS.length; k++) {
    const t = TRANSPORTS[k] as string;
    if (i + t.length >= end) continue;
    let j = 0;
    while (j < t.length && buf[i + j] === t.charCodeAt(j)) j++;
    if (j === t.length && (buf[i + j] === 0x20 || buf[i + j] === 0x09)) return t;
  }
  return undefined;
}

const VIA_SLOT_NAMES = ['branch', 'received', 'rport', 'maddr', 'ttl'];
const VIA_SLOTS = [SLOT_BRANCH, SLOT_RECEIVED, SLOT_RPORT, SLOT_MADDR, SLOT_TTL];

/** The slot of the parameter name buf[start,end) (any case, RFC 3261 §7.3.1), or -1. */
function viaSlot(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  for (let k = 0; k < VIA_SLOT_NAMES.length; k++) {
    const w = VIA_SLOT_NAMES[k] as string;
    if (w.length !== len) continue;
    let j = 0;
    while (j < len && ((buf[start + j] as number) | 0x20) === w.charCodeAt(j)) j++;
    if (j === len) return VIA_SLOTS[k] as number;
  }
  return -1;
}

/** The value of the slot's parameter as written, undefined when absent or a flag (paramValue()). */
function slotValue(s: string, slot: number): string | undefined {
  const vs = slotStart[slot] as number;
  return vs < 0 ? undefined : s.slice(vs, slotEnd[slot] as number);
}

function isUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return false;
  }
  return true;
}

/**
 * A parsed via-parm: the parameters were validated by parseVia, the ones the transaction and proxy
 * layers read on every message were sliced then; the full list is built on first read of `params`
 * (the editor and partial responses use it, the hot path does not).
 */
class ParsedVia implements Via {
  private paramsCache: Params | undefined = undefined;
  /** The text parsed (the message's header block): #private, so logging a Via does not print it. */
  readonly #text: string;

  constructor(
    readonly protocol: string,
    readonly version: string,
    readonly transport: string,
    readonly host: string,
    readonly port: number | undefined,
    text: string,
    private readonly paramsStart: number,
    private readonly paramsEnd: number,
    readonly branch: string | undefined,
    readonly received: string | undefined,
    readonly rport: number | true | undefined,
    readonly maddr: string | undefined,
    readonly ttl: number | undefined,
  ) {
    this.#text = text;
  }

  get params(): Params {
    return (this.paramsCache ??= checkedHeaderParams(this.#text, this.paramsStart, this.paramsEnd));
  }

  /** What JSON.stringify (and loggers) show: the Via fields, `params` included, not the internals. */
  toJSON(): Via {
    const { protocol, version, transport, host, port, params, branch, received, rport, maddr, ttl } = this;
    return { protocol, version, transport, host, port, params, branch, received, rport, maddr, ttl };
  }
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
