/**
 * The headers every request and response must carry, decoded right after the scan (RFC 3261 §8.1.1
 * for requests, §8.2 and §16.3 for what a UAS or proxy checks): Request-URI, Via, CSeq, Call-ID,
 * From, To exactly once (RFC 4475 multi01, insuf), and Max-Forwards when present. Also what a failed
 * parse could still read, so the node can answer 400 with a reason.
 */
import { H, CANONICAL_NAMES, type HeaderId } from './header-names.ts';
import { parseCSeq, parseCallId, parseMaxForwards, cseqAt, maxForwardsAt, validCallIdAt, type CSeq } from './scalar-headers.ts';
import { methodAt } from './start-line.ts';
import { canonicalNameAddr, hasQuotedTag, hasTagWithoutValue, parseNameAddr, type NameAddr } from './name-addr.ts';
import { canonicalVia, parseVia } from './via.ts';
import { canonicalSipUriEnd, parseUri, validUri } from './uri.ts';
import { splitListInto } from './header-values.ts';
import { MAX_VIA_COUNT } from './limits.ts';
import { parseError, type SipParseError, type PartialMessage } from './errors.ts';
import { HDR_STRIDE, HDR_VALUE_START, HDR_VALUE_END, FOLDED_FLAG, type SipMessage } from './sip-message.ts';
import type { Result } from '../../lib/result.ts';

/** First line index of each essential header and which of them appear twice, in one table pass. */
interface Seen {
  first: number[];
  dup: number;
}

/** Reused by every check (checkEssentials is synchronous): no arrays or objects per message. */
const SEEN: Seen = { first: [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1], dup: 0 };

function scanEssentials(msg: SipMessage): Seen {
  const first = SEEN.first;
  for (let k = 0; k < first.length; k++) first[k] = -1;
  let dup = 0;
  const t = msg.table;
  for (let i = 0; i < msg.headerCount; i++) {
    const id = (t[i * HDR_STRIDE] ?? 0) & 0xff;
    if (id === 0 || id > H.maxForwards) continue;
    if ((first[id] ?? -1) < 0) first[id] = i;
    else dup |= 1 << id;
  }
  SEEN.dup = dup;
  return SEEN;
}

function single(id: HeaderId, seen: Seen): number | SipParseError {
  const i = seen.first[id] ?? -1;
  const name = CANONICAL_NAMES[id] ?? '';
  if (i < 0) return parseError('SIP_PARSE_MISSING_HEADER', `Missing ${name}`);
  if ((seen.dup & (1 << id)) !== 0) return parseError('SIP_PARSE_DUPLICATE_HEADER', `More than one ${name}`);
  return i;
}

function decodeSingle<T>(msg: SipMessage, seen: Seen, id: HeaderId, parse: (s: string, start?: number, end?: number) => Result<T, SipParseError>): T | SipParseError {
  const i = single(id, seen);
  if (typeof i !== 'number') return i;
  const b = i * HDR_STRIDE;
  const t = msg.table;
  const r = msg.parseRange(parse, t[b + HDR_VALUE_START] ?? 0, t[b + HDR_VALUE_END] ?? 0, ((t[b] ?? 0) & FOLDED_FLAG) !== 0);
  return r.ok ? r.value : r.error;
}

/**
 * CSeq or Max-Forwards read from the bytes when the line is single and unfolded (the usual case);
 * undefined sends the caller to the string parser (a folded value, or the missing/duplicate error).
 */
function fromBytes(msg: SipMessage, seen: Seen, id: typeof H.cseq): CSeq | SipParseError | undefined;
function fromBytes(msg: SipMessage, seen: Seen, id: typeof H.maxForwards): number | SipParseError | undefined;
function fromBytes(msg: SipMessage, seen: Seen, id: HeaderId): CSeq | number | SipParseError | undefined {
  const i = seen.first[id] ?? -1;
  if (i < 0 || (seen.dup & (1 << id)) !== 0) return undefined;
  const b = i * HDR_STRIDE;
  const t = msg.table;
  if (((t[b] ?? 0) & FOLDED_FLAG) !== 0) return undefined;
  const vs = t[b + HDR_VALUE_START] ?? 0;
  const ve = t[b + HDR_VALUE_END] ?? 0;
  if (id === H.cseq) return cseqAt(msg.buffer, vs, ve, methodAt);
  const n = maxForwardsAt(msg.buffer, vs, ve);
  return n >= 0 ? n : undefined;
}

/** Call-ID checked on the bytes and sliced from the header string when plain; parseCallId otherwise (and for every error). */
function callIdOf(msg: SipMessage, seen: Seen): string | SipParseError {
  const i = seen.first[H.callId] ?? -1;
  if (i >= 0 && (seen.dup & (1 << H.callId)) === 0) {
    const b = i * HDR_STRIDE;
    const t = msg.table;
    const vs = t[b + HDR_VALUE_START] ?? 0;
    const ve = t[b + HDR_VALUE_END] ?? 0;
    const head = ((t[b] ?? 0) & FOLDED_FLAG) !== 0 ? '' : msg.headString();
    if (head !== '' && validCallIdAt(msg.buffer, vs, ve)) return head.slice(vs - msg.start, ve - msg.start);
  }
  return decodeSingle(msg, seen, H.callId, parseCallId);
}

/** From or To: the usual form on the bytes (canonicalNameAddr), parseNameAddr for the rest. */
function nameAddrOf(msg: SipMessage, seen: Seen, id: typeof H.from | typeof H.to): NameAddr | SipParseError {
  const i = seen.first[id] ?? -1;
  if (i >= 0 && (seen.dup & (1 << id)) === 0) {
    const b = i * HDR_STRIDE;
    const t = msg.table;
    const head = ((t[b] ?? 0) & FOLDED_FLAG) !== 0 ? '' : msg.headString();
    const na = head === '' ? undefined : canonicalNameAddr(msg.buffer, t[b + HDR_VALUE_START] ?? 0, t[b + HDR_VALUE_END] ?? 0, head, msg.start);
    // The canonical form has no quoted parameter values: only the tag's value is checked.
    if (na !== undefined) return withTagValue(na, id, false);
  }
  const r = decodeSingle(msg, seen, id, parseNameAddr);
  return 'code' in r ? r : withTagValue(r, id, true);
}

/**
 * A From or To whose tag has no value is refused: read as "no tag", it made us add one after it
 * (`To: <sip:b@y>;tag;tag=…`), and the response's To tag read back as absent again.
 */
function withTagValue(na: NameAddr, id: typeof H.from | typeof H.to, mayBeQuoted: boolean): NameAddr | SipParseError {
  if (hasTagWithoutValue(na)) return parseError('SIP_PARSE_BAD_NAME_ADDR', `${id === H.from ? 'From' : 'To'} tag without a value (RFC 3261 §19.3)`);
  // tag-param = "tag" EQUAL token (§25.1): a quoted tag would compare unequal to the same tag
  // unquoted in a later request of the dialog, and we would echo the quotes into To tags we build.
  if (mayBeQuoted && hasQuotedTag(na)) return parseError('SIP_PARSE_BAD_NAME_ADDR', `${id === H.from ? 'From' : 'To'} tag is a quoted-string, not a token (RFC 3261 §25.1 tag-param)`);
  return na;
}

function hasByte(buf: Uint8Array, start: number, end: number, byte: number): boolean {
  for (let k = start; k < end; k++) if (buf[k] === byte) return true;
  return false;
}

/** Element offsets of a first Via line holding a comma (topVia is synchronous): no array per message. */
const VIA_OFFS: number[] = new Array<number>(2 * (MAX_VIA_COUNT + 1)).fill(0);

function topVia(msg: SipMessage, i: number): SipParseError | undefined {
  if (i < 0) return parseError('SIP_PARSE_MISSING_HEADER', 'Missing Via');
  const b = i * HDR_STRIDE;
  const vs = msg.table[b + HDR_VALUE_START] ?? 0;
  const ve = msg.table[b + HDR_VALUE_END] ?? 0;
  const folded = ((msg.table[b] ?? 0) & FOLDED_FLAG) !== 0;
  // The usual form first, on the bytes (it refuses a comma, so it only ever sees one value).
  const head = folded ? '' : msg.headString();
  const canonical = head === '' ? undefined : canonicalVia(msg.buffer, vs, ve, head, msg.start);
  if (canonical !== undefined) {
    msg.topViaCache = canonical;
    return undefined;
  }
  if (!hasByte(msg.buffer, vs, ve, 0x2c)) {
    // One value on the line (the usual case): no split needed.
    const r = msg.parseRange(parseVia, vs, ve, folded);
    if (!r.ok) return r.error;
    msg.topViaCache = r.value;
    return undefined;
  }
  const offs = VIA_OFFS;
  // At most MAX_VIA_COUNT values, as vias() reads them: the line is bounded by MAX_LINE_BYTES, but
  // ~8 KB of short values is still hundreds of them, each parsed here.
  const count = splitListInto(msg.buffer, vs, ve, offs, 0, MAX_VIA_COUNT);
  // Every element of the first line must parse (RFC 4475 badinv01: `;;,;,,`), the top one is kept
  // (also when there are too many: the 400 goes to it).
  for (let k = 0; k < 2 * (count > MAX_VIA_COUNT ? MAX_VIA_COUNT : count); k += 2) {
    const r = msg.parseRange(parseVia, offs[k] ?? 0, offs[k + 1] ?? 0, folded);
    if (!r.ok) return r.error;
    if (k === 0) msg.topViaCache = r.value;
  }
  return count > MAX_VIA_COUNT ? parseError('SIP_PARSE_TOO_MANY_VIAS', `more than ${MAX_VIA_COUNT} Via values`) : undefined;
}

/** Decodes and caches the essential headers; returns the first problem found. */
export function checkEssentials(msg: SipMessage): SipParseError | undefined {
  // The usual Request-URI is known valid (and without headers) after one pass over its bytes.
  if (msg.kind === 'request' && canonicalSipUriEnd(msg.buffer, msg.uriStart, msg.uriEnd) === msg.uriEnd) {
    msg.uriSchemeCache = msg.buffer[msg.uriStart + 3] === 0x73 ? 'sips' : 'sip';
  } else if (msg.kind === 'request') {
    // Checked here, built when read (SipMessage.uri): a stateless answer never reads it.
    const text = msg.uriText;
    if (!validUri(text, 0, text.length)) return parseError('SIP_PARSE_BAD_REQUEST_URI', 'Request-URI is not a URI', msg.uriStart);
    // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 escruri). A `?` may
    // also sit in a user part; only then is the URI built to tell.
    if (text.indexOf('?') >= 0) {
      const uri = parseUri(text);
      if (uri !== undefined && uri.kind === 'sip' && uri.headers.length > 0) return parseError('SIP_PARSE_BAD_REQUEST_URI', 'headers in Request-URI', msg.uriStart);
    }
  }
  const seen = scanEssentials(msg);
  const v = topVia(msg, seen.first[H.via] ?? -1);
  if (v !== undefined) return v;
  const cseq = fromBytes(msg, seen, H.cseq) ?? decodeSingle(msg, seen, H.cseq, parseCSeq);
  if ('code' in cseq) return cseq;
  msg.cseqCache = cseq;
  const callId = callIdOf(msg, seen);
  if (typeof callId !== 'string') return callId;
  msg.callIdCache = callId;
  const from = nameAddrOf(msg, seen, H.from);
  if ('code' in from) return prefix(from, 'From');
  msg.fromCache = from;
  const to = nameAddrOf(msg, seen, H.to);
  if ('code' in to) return prefix(to, 'To');
  msg.toCache = to;
  if ((seen.first[H.maxForwards] ?? -1) >= 0) {
    const mf = fromBytes(msg, seen, H.maxForwards) ?? decodeSingle(msg, seen, H.maxForwards, parseMaxForwards);
    if (typeof mf !== 'number') return mf;
    msg.maxForwardsCache = mf;
  }
  return undefined;
}

function prefix(e: SipParseError, name: string): SipParseError {
  return e.message.startsWith('M') ? e : { ...e, message: `${name}: ${e.message}` };
}

/** Whatever essential header can be read from a message whose parse failed. */
export function partialOf(msg: SipMessage): PartialMessage {
  if (msg.topViaCache === undefined && msg.indexOfId(H.via) >= 0) topVia(msg, msg.indexOfId(H.via));
  const via = msg.topViaCache;
  const get = <T>(id: HeaderId, parse: (s: string) => Result<T, SipParseError>): T | undefined => {
    const i = msg.indexOfId(id);
    if (i < 0) return undefined;
    const r = parse(msg.headerValue(i));
    return r.ok ? r.value : undefined;
  };
  return {
    kind: msg.kind,
    method: msg.kind === 'request' ? msg.method || undefined : undefined,
    status: msg.kind === 'response' ? msg.status : undefined,
    topVia: via,
    callId: get(H.callId, parseCallId),
    cseq: get(H.cseq, parseCSeq),
    from: get(H.from, parseNameAddr),
    to: get(H.to, parseNameAddr),
  };
}
