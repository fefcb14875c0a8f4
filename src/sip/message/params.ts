/**
 * Generic parameters (`;a=b;c`), for header values (RFC 3261 §25.1 generic-param, with SWS around
 * SEMI and EQUAL) and for URIs (uri-parameter, no white space). Values are kept as written (a quoted
 * value keeps its quotes) so that re-serializing does not change a byte; unquote() reads one.
 */
import { MAX_PARAMS } from './limits.ts';
import { invariant } from '../../lib/errors.ts';
import { TOKEN, DQUOTE, BACKSLASH, SEMI, EQUAL, isLws, skipLws, ieqAscii, sliceKnown, paramcharEnd } from './chars.ts';

export interface Param {
  readonly name: string;
  /** Undefined for a flag parameter (`;lr`); quotes are kept for quoted values. */
  readonly value: string | undefined;
}

export type Params = readonly Param[];

/** First parameter with this name (parameter names are case-insensitive, RFC 3261 §7.3.1). */
export function paramGet(params: Params, name: string): Param | undefined {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p !== undefined && ieqAscii(p.name, name)) return p;
  }
  return undefined;
}

export function paramValue(params: Params, name: string): string | undefined {
  return paramGet(params, name)?.value;
}

export function hasParam(params: Params, name: string): boolean {
  return paramGet(params, name) !== undefined;
}

export function formatParams(params: Params): string {
  let out = '';
  for (const p of params) out += p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`;
  return out;
}

/**
 * Index just past the closing quote of the quoted-string opening at s[i], or -1 when it never closes
 * (RFC 4475 quotbal.dat). quoted-pair escapes any octet but CR and LF (RFC 3261 §25.1).
 */
export function skipQuoted(s: string, i: number, end: number): number {
  if (s.charCodeAt(i) !== DQUOTE) return -1;
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    // RFC 3261 §25.1: neither qdtext nor quoted-pair holds CR or LF (folding is unfolded before
    // this runs). A bare CR in a display name was accepted, copied into the ACK of a non-2xx, and
    // the request builder refused it by throwing inside the receive path.
    if (c === CR_CODE || c === LF_CODE) return -1;
    if (c === BACKSLASH) {
      j++;
      const e = s.charCodeAt(j);
      if (e === CR_CODE || e === LF_CODE) return -1;
      continue;
    }
    if (c === DQUOTE) return j + 1;
  }
  return -1;
}

const CR_CODE = 0x0d;
const LF_CODE = 0x0a;

/** The text of a quoted-string with the quotes removed and quoted-pairs resolved. */
export function unquote(raw: string): string {
  if (raw.length < 2 || raw.charCodeAt(0) !== DQUOTE) return raw;
  const inner = raw.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] ?? '';
    if (ch === '\\' && i + 1 < inner.length) {
      out += inner[i + 1] ?? '';
      i++;
    } else out += ch;
  }
  return out;
}

/** The empty parameter list every parameterless value shares (never mutated). */
export const NO_PARAMS: Param[] = Object.freeze([]) as unknown as Param[];

/**
 * Where parseHeaderParams/parseUriParams leave their result: the parameters (an exact-size array, or
 * NO_PARAMS) and where parsing stopped, at `end` or at the first character that is not part of a
 * parameter. A holder instead of an object per call: both are on every message's path and synchronous.
 */
export const parsedParams = { params: NO_PARAMS, next: 0, tagStart: -1, tagEnd: -1, quotedSlots: 0 };

/** Parameter names most messages carry (Via, From/To, Contact, Route), shared instead of sliced. */
/** Parameter names shared as constants instead of sliced per message (sliceKnown). */
export const COMMON_NAMES = ['branch', 'tag', 'rport', 'received', 'lr', 'transport', 'expires', 'maddr', 'ttl', 'user', 'q'];

const HEADER_SCRATCH: Param[] = [];
const URI_SCRATCH: Param[] = [];

function finish(scratch: Param[], n: number, next: number): boolean {
  parsedParams.params = n === 0 ? NO_PARAMS : scratch.slice(0, n);
  parsedParams.next = next;
  return true;
}

/** Header-value characters allowed in an unquoted gen-value: token, plus host (IPv6 `[...]`, `:`); a character code or a byte. */
export function isGenValueChar(c: number): boolean {
  return c <= 0xff && (TOKEN[c] === 1 || c === 0x3a || c === 0x5b || c === 0x5d);
}

/** Where canonicalParamAt() found its parameter: name range, value range (-2, -2 for a flag). A holder: the checks are synchronous. */
export const canonicalParam = { nameStart: 0, nameEnd: 0, valueStart: -2, valueEnd: -2 };

/**
 * One `;name[=value]` at buf[i] in the usual form of a header parameter (RFC 3261 §25.1
 * generic-param without white space or a quoted value), for the one-pass checks of Via, From, To
 * and Contact: the index after it, its ranges in canonicalParam; -1 for anything else, which the
 * general parser (headerParams) then decides.
 */
export function canonicalParamAt(buf: Uint8Array, i: number, end: number): number {
  if (buf[i] !== SEMI) return -1;
  const name = ++i;
  while (i < end && TOKEN[buf[i] as number] === 1) i++;
  if (i === name) return -1;
  const p = canonicalParam;
  p.nameStart = name;
  p.nameEnd = i;
  p.valueStart = -2;
  p.valueEnd = -2;
  if (i < end && buf[i] === EQUAL) {
    const value = ++i;
    while (i < end && isGenValueChar(buf[i] as number)) i++;
    if (i === value) return -1;
    p.valueStart = value;
    p.valueEnd = i;
  }
  return i;
}

/**
 * Parses `*( SEMI generic-param )` starting at s[i] in a header value (SWS allowed) into parsedParams.
 * Returns false on a malformed parameter (empty name `;;`, `=` with no value, too many).
 */
export function parseHeaderParams(s: string, i: number, end: number): boolean {
  return headerParams(s, i, end, true);
}

/**
 * Parameters whose value range checkHeaderParams() records, by slot: the From/To `tag` (RFC 3261
 * §19.3) and the Via parameters the transaction and transport layers read (§18.2.1, §8.1.1.7,
 * RFC 3581). Names compare case-insensitively (§7.3.1); the first occurrence wins, as paramGet().
 */
export const SLOT_TAG = 0;
export const SLOT_BRANCH = 1;
export const SLOT_RECEIVED = 2;
export const SLOT_RPORT = 3;
export const SLOT_MADDR = 4;
export const SLOT_TTL = 5;
const SLOT_NAMES = ['tag', 'branch', 'received', 'rport', 'maddr', 'ttl'];
const SLOT_COUNT = SLOT_NAMES.length;
/** Value start of each slot's parameter: -1 absent, -2 present without a value (a flag). */
export const slotStart = new Int32Array(SLOT_COUNT);
/** Value end of each slot's parameter (meaningful when slotStart >= 0). */
export const slotEnd = new Int32Array(SLOT_COUNT);
/**
 * Bit `1 << slot` set when any occurrence of that slot's parameter has a quoted-string value: the
 * generic-param grammar takes one, but tag (RFC 3261 §25.1 tag-param = "tag" EQUAL token), branch
 * (via-branch = "branch" EQUAL token), received, rport, maddr and ttl have their own grammar, which
 * has none. The callers that know which header they check refuse it (checkHeaderParams leaves it in
 * parsedParams.quotedSlots).
 */
let quotedSlots = 0;

/** The slot of the parameter name s[start,end), or -1 (any case, RFC 3261 §7.3.1). */
function slotOf(s: string, start: number, end: number): number {
  const len = end - start;
  for (let k = 0; k < SLOT_COUNT; k++) {
    const w = SLOT_NAMES[k] as string;
    if (w.length !== len) continue;
    let i = 0;
    while (i < len && (s.charCodeAt(start + i) | 0x20) === w.charCodeAt(i)) i++;
    if (i === len) return k;
  }
  return -1;
}

/**
 * parseHeaderParams() without building anything: true when the parameters are well formed, with
 * parsedParams.next set (parsedParams.params is left empty) and the value range of the first of each
 * known parameter in slotStart/slotEnd (also the tag's in parsedParams.tagStart/tagEnd: -1 without
 * one, -2 for a `tag` without value). From/To and Via are checked on every message but their
 * parameter lists are read far less often (name-addr.ts and via.ts build them on first read); the
 * values a proxy reads on every message are slices.
 */
export function checkHeaderParams(s: string, i: number, end: number): boolean {
  // Stores, not fill(): TypedArray#fill is a C++ builtin call, this runs for every Via, From and To.
  for (let k = 0; k < SLOT_COUNT; k++) slotStart[k] = -1;
  quotedSlots = 0;
  const ok = headerParams(s, i, end, false);
  parsedParams.tagStart = slotStart[SLOT_TAG] as number;
  parsedParams.tagEnd = slotEnd[SLOT_TAG] as number;
  parsedParams.quotedSlots = quotedSlots;
  return ok;
}

function headerParams(s: string, i: number, end: number, build: boolean): boolean {
  const params = HEADER_SCRATCH;
  let n = 0;
  for (;;) {
    const semi = skipLws(s, i, end);
    if (semi >= end || s.charCodeAt(semi) !== SEMI) return finish(params, build ? n : 0, semi);
    if (n >= MAX_PARAMS) return false;
    let j = skipLws(s, semi + 1, end);
    const nameStart = j;
    while (j < end && s.charCodeAt(j) <= 0xff && TOKEN[s.charCodeAt(j)] === 1) j++;
    if (j === nameStart) return false;
    const afterName = skipLws(s, j, end);
    if (afterName < end && s.charCodeAt(afterName) === EQUAL) {
      let v = skipLws(s, afterName + 1, end);
      const vStart = v;
      const quoted = v < end && s.charCodeAt(v) === DQUOTE;
      if (quoted) {
        v = skipQuoted(s, v, end);
        if (v < 0) return false;
      } else {
        while (v < end && isGenValueChar(s.charCodeAt(v))) v++;
        if (v === vStart) return false;
      }
      if (build) params[n] = { name: sliceKnown(s, nameStart, j, COMMON_NAMES), value: s.slice(vStart, v) };
      else {
        const k = slotOf(s, nameStart, j);
        if (k >= 0 && slotStart[k] === -1) {
          slotStart[k] = vStart;
          slotEnd[k] = v;
        }
        if (k >= 0 && quoted) quotedSlots |= 1 << k;
      }
      n++;
      i = v;
    } else {
      if (build) params[n] = { name: sliceKnown(s, nameStart, j, COMMON_NAMES), value: undefined };
      else {
        const k = slotOf(s, nameStart, j);
        if (k >= 0 && slotStart[k] === -1) slotStart[k] = -2;
      }
      n++;
      i = j;
    }
    if (i < end && !isLws(s.charCodeAt(i)) && s.charCodeAt(i) !== SEMI) return finish(params, build ? n : 0, i);
  }
}

/**
 * The parameter list of s[start,end), which checkHeaderParams() already accepted (the lazy `params`
 * of a parsed Via or name-addr); a failure here is a programming error.
 */
export function checkedHeaderParams(s: string, start: number, end: number): Params {
  if (!parseHeaderParams(s, start, end)) invariant(false, 'parameters checkHeaderParams() accepted do not parse');
  return parsedParams.params;
}

/** Parses URI parameters (`;name[=value]`, paramchar only, no white space) at s[i] into parsedParams. */
export function parseUriParams(s: string, i: number, end: number): boolean {
  const params = URI_SCRATCH;
  let n = 0;
  while (i < end && s.charCodeAt(i) === SEMI) {
    if (n >= MAX_PARAMS) return false;
    const nameStart = i + 1;
    // paramchar includes `escaped = "%" HEXDIG HEXDIG` (RFC 3261 §25.1): a bad escape is no URI.
    let j = paramcharEnd(s, nameStart, end);
    if (j <= nameStart) return false;
    const name = sliceKnown(s, nameStart, j, COMMON_NAMES);
    if (j < end && s.charCodeAt(j) === EQUAL) {
      const vStart = ++j;
      j = paramcharEnd(s, vStart, end);
      if (j <= vStart) return false;
      params[n++] = { name, value: s.slice(vStart, j) };
    } else params[n++] = { name, value: undefined };
    i = j;
  }
  return finish(params, n, i);
}
