/**
 * Responses built from a request (RFC 3261 §8.2.6): the Via, From, To, Call-ID and CSeq lines are
 * copied byte for byte from the request (Via values in the same order, §8.2.6.2), the To tag is added
 * when absent and the status is above 100, Content-Length is computed.
 */
import { H } from './header-names.ts';
import { HDR_STRIDE, HDR_LINE_START, HDR_VALUE_START, HDR_VALUE_END, type SipMessage } from './sip-message.ts';
import { headerLine, byteLength, writeAscii, writeString, copyBytes, lineSafeLength, lastWasAscii } from './serializer.ts';
import { latin1, listElement } from './header-values.ts';
import { isToken } from './chars.ts';
import { parseMessage } from './parser.ts';
import { MAX_LINE_BYTES } from './limits.ts';
import { isRfc3261Branch } from './via.ts';
import { canonicalName } from './header-names.ts';
import { SipclusterError, invariant } from '../../lib/errors.ts';

export interface ResponseOptions {
  /** To tag for a response that creates or confirms a dialog. Default: derived (see deriveToTag). */
  readonly toTag?: string | undefined;
  readonly headers?: ReadonlyArray<readonly [string, string]> | undefined;
  /** Header lines built once with prepareHeaders() (constant sets: Server, Allow…), after `headers`. */
  readonly prepared?: PreparedHeaders | undefined;
  readonly body?: Buffer | string | undefined;
  /**
   * The request's top Via value as the response carries it when the server completed it with
   * received/rport (RFC 3261 §18.2.1, RFC 3581 §4); the other Via values are copied as received.
   */
  readonly topVia?: string | undefined;
}

/** Header lines validated and encoded once, for the header sets a node sends with every reply. */
export interface PreparedHeaders {
  readonly bytes: Buffer;
}

export function prepareHeaders(headers: ReadonlyArray<readonly [string, string]>): PreparedHeaders {
  for (const [name] of headers) invariant(name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'l', 'Content-Length is computed');
  return { bytes: Buffer.from(headers.map(([n, v]) => headerLine(canonicalName(n), v)).join(''), 'utf8') };
}

const NO_BODY_TAIL = 'Content-Length: 0\r\n\r\n';
const NO_BODY_TAIL_BYTES = Buffer.from(NO_BODY_TAIL, 'latin1');
const NO_HEADERS: ReadonlyArray<readonly [string, string]> = [];
/** Canonical names of the extra headers of the reply being built (buildResponseBytes is synchronous). */
const EXTRA_NAMES: string[] = [];

/**
 * A To tag computed from the request, so that a retransmitted request answered statelessly gets the
 * same tag (RFC 3261 §16.3 / §8.2.6.2) without the pure message layer needing randomness: a hash of
 * the top Via branch when it is an RFC 3261 one (unique per transaction, §8.1.1.7; a CANCEL shares
 * its INVITE's branch and so gets the same tag, as §9.2 asks), else of Call-ID, From tag, branch and
 * CSeq number (RFC 2543 requests).
 */
export function deriveToTag(req: SipMessage): string {
  hashForTag(req);
  writeTagHex(TAG_SCRATCH, 0);
  return latin1(TAG_SCRATCH, 0, TAG_LENGTH);
}

/** Length of a derived To tag: two 32-bit hashes as 8 lower-case hex digits each. */
export const DERIVED_TAG_LENGTH = 16;
const TAG_LENGTH = DERIVED_TAG_LENGTH;
const TAG_SCRATCH = Buffer.alloc(TAG_LENGTH);
const HEX = Buffer.from('0123456789abcdef', 'latin1');

function hashForTag(req: SipMessage): void {
  // Two FNV-style hashes fed piece by piece: a concatenated key would be built, flattened and thrown
  // away for every reply. The branch alone when it identifies the transaction: a third of the
  // characters, and no From tag to slice.
  const h = SCRATCH;
  h[0] = 0x811c9dc5;
  h[1] = 0x01000193;
  const branch = req.topVia.branch;
  if (isRfc3261Branch(branch)) {
    mix(h, branch);
    return;
  }
  mix(h, req.callId);
  mix(h, req.from.tag ?? '');
  mix(h, branch ?? '');
  mixDecimal(h, req.cseq.seq);
}

/**
 * Writes the hashes in SCRATCH as hex at out[o]. Not Number#toString(16): for a value above 2**31
 * (not a small integer) V8 converts through a floating-point modulo per digit (`__fmod_finite`,
 * 1.6 % of the stateless OPTIONS profile).
 */
function writeTagHex(out: Buffer, o: number): void {
  for (let w = 0; w < 2; w++) {
    const v = SCRATCH[w] as number;
    for (let k = 0; k < 8; k++) out[o + w * 8 + k] = HEX[(v >>> (28 - 4 * k)) & 0xf] as number;
  }
}

const SCRATCH = new Uint32Array(2);
const DIGITS = new Uint8Array(10);

function mix(h: Uint32Array, s: string): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  // A separator, so ("ab", "c") and ("a", "bc") differ.
  h[0] = Math.imul(h1, 0x01000193);
  h[1] = Math.imul(h2, 0x5bd1e995);
}

/** mix(h, String(n)) for an integer 0 <= n < 2**32, without building the string. */
function mixDecimal(h: Uint32Array, n: number): void {
  let len = 0;
  do {
    const q = Math.floor(n / 10);
    DIGITS[len++] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  for (let i = len - 1; i >= 0; i--) {
    const c = DIGITS[i] as number;
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  h[0] = Math.imul(h1, 0x01000193);
  h[1] = Math.imul(h2, 0x5bd1e995);
}

function validReason(reason: string): boolean {
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return false;
  }
  return true;
}

/**
 * The bytes of the response to `req`, without parsing them back: what a proxy sends on the hot
 * path (a stateless 200 to OPTIONS, a 100 Trying). Throws (programming error) on a bad status or header.
 * Sized first, then written into one Buffer: no list of pieces, no views on the request.
 */
export function buildResponseBytes(req: SipMessage, status: number, reason: string, opts: ResponseOptions = {}): Buffer {
  invariant(req.kind === 'request', 'buildResponse needs a request');
  if (!Number.isInteger(status) || status < 100 || status > 699) invariant(false, `bad status ${status}`);
  invariant(validReason(reason), 'reason phrase must not contain CR or LF');
  const buf = req.buffer;
  const t = req.table;
  const needTag = status > 100 && req.to.tag === undefined;
  const toTag = opts.toTag;
  // RFC 3261 §25.1 tag-param = "tag" EQUAL token: anything else (a CR/LF) would end the To line.
  if (toTag !== undefined) invariant(isToken(toTag), 'toTag must be a token');
  // `SIP/2.0 NNN reason CRLF`
  let total = 12 + byteLength(reason) + 2;
  // The first Via line, rewritten: `Via: ` topVia, then the line's other values (`, ` rest).
  const topVia = opts.topVia;
  let viaLine = -1;
  let viaRest = 0;
  let viaEnd = 0;
  if (topVia !== undefined) {
    invariant(lineSafeLength(topVia) === topVia.length && lastWasAscii, 'topVia must be one line of ASCII');
    viaLine = req.indexOfId(H.via);
    invariant(viaLine >= 0, 'a request without Via');
    const b = viaLine * HDR_STRIDE;
    viaEnd = t[b + HDR_VALUE_END] ?? 0;
    viaRest = listElement(buf, t[b + HDR_VALUE_START] ?? 0, viaEnd, 1);
    const line = 5 + topVia.length + (viaRest < viaEnd ? 2 + viaEnd - viaRest : 0);
    // A Via already at the line limit stays as received: a response no parser takes helps nobody.
    if (line > MAX_LINE_BYTES - 2) viaLine = -1;
    else total += line + 2;
  }
  for (let i = 0; i < req.headerCount; i++) {
    if (!copied(req.headerId(i)) || i === viaLine) continue;
    const b = i * HDR_STRIDE;
    total += (t[b + HDR_VALUE_END] ?? 0) - (t[b + HDR_LINE_START] ?? 0) + 2;
  }
  if (needTag) total += 5 + (toTag === undefined ? TAG_LENGTH : byteLength(toTag));
  // Extra headers are written as name, ': ', value, CRLF straight into the output: no line string
  // per header (a concatenation to flatten, scan and throw away).
  const extra = opts.headers ?? NO_HEADERS;
  const names = EXTRA_NAMES;
  let extraAscii = true;
  for (let k = 0; k < extra.length; k++) {
    const h = extra[k] as readonly [string, string];
    const name = h[0];
    const value = h[1];
    const canon = canonicalName(name);
    names[k] = canon;
    invariant(canon !== 'Content-Length', 'Content-Length is computed');
    // One scan each for CR/LF, ASCII and length; the message is built only when it fails.
    const nameBytes = lineSafeLength(canon);
    if (!lastWasAscii) extraAscii = false;
    const valueBytes = lineSafeLength(value);
    if (!lastWasAscii) extraAscii = false;
    if (nameBytes < 0 || valueBytes < 0) invariant(false, `header ${name}: CR or LF in name or value`);
    total += nameBytes + valueBytes + 4;
  }
  const prepared = opts.prepared?.bytes;
  if (prepared !== undefined) total += prepared.length;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body;
  const bodyLength = body === undefined ? 0 : body.length;
  const clText = bodyLength === 0 ? NO_BODY_TAIL : `Content-Length: ${bodyLength}\r\n\r\n`;
  total += clText.length + bodyLength;

  const out = Buffer.allocUnsafe(total);
  let o = writeString(out, 'SIP/2.0 ', 0);
  out[o] = 0x30 + Math.floor(status / 100);
  out[o + 1] = 0x30 + (Math.floor(status / 10) - Math.floor(status / 100) * 10);
  out[o + 2] = 0x30 + (status - Math.floor(status / 10) * 10);
  out[o + 3] = 0x20;
  o = writeString(out, reason, o + 4);
  o = writeCrlf(out, o);
  // Adjacent copied lines (Via, From, To, Call-ID and CSeq usually follow each other) are copied as
  // one range when only a CRLF separates them: one copy instead of a loop per line.
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < req.headerCount; i++) {
    const id = req.headerId(i);
    if (!copied(id)) continue;
    if (i === viaLine) {
      if (runStart >= 0) o = writeCrlf(out, copyBytes(buf, runStart, runEnd, out, o));
      runStart = -1;
      o = writeString(out, topVia as string, writeString(out, 'Via: ', o));
      if (viaRest < viaEnd) o = copyBytes(buf, viaRest, viaEnd, out, writeString(out, ', ', o));
      o = writeCrlf(out, o);
      continue;
    }
    const b = i * HDR_STRIDE;
    const ls = t[b + HDR_LINE_START] ?? 0;
    const ve = t[b + HDR_VALUE_END] ?? 0;
    if (runStart >= 0 && ls === runEnd + 2 && buf[runEnd] === 0x0d && buf[runEnd + 1] === 0x0a) runEnd = ve;
    else {
      if (runStart >= 0) o = writeCrlf(out, copyBytes(buf, runStart, runEnd, out, o));
      runStart = ls;
      runEnd = ve;
    }
    if (id === H.to && needTag) {
      o = writeString(out, ';tag=', copyBytes(buf, runStart, runEnd, out, o));
      if (toTag !== undefined) o = writeString(out, toTag, o);
      else {
        hashForTag(req);
        writeTagHex(out, o);
        o += TAG_LENGTH;
      }
      o = writeCrlf(out, o);
      runStart = -1;
    }
  }
  if (runStart >= 0) o = writeCrlf(out, copyBytes(buf, runStart, runEnd, out, o));
  const write = extraAscii ? writeAscii : writeString;
  for (let k = 0; k < extra.length; k++) {
    const h = extra[k] as readonly [string, string];
    o = write(out, names[k] as string, o);
    out[o] = 0x3a;
    out[o + 1] = 0x20;
    o = writeCrlf(out, write(out, h[1], o + 2));
  }
  if (prepared !== undefined) o = copyBytes(prepared, 0, prepared.length, out, o);
  o = bodyLength === 0 ? copyBytes(NO_BODY_TAIL_BYTES, 0, NO_BODY_TAIL_BYTES.length, out, o) : writeAscii(out, clText, o);
  if (body !== undefined) o = copyBytes(body, 0, body.length, out, o);
  invariant(o === total, 'response size mismatch');
  return out;
}

/** §8.2.6.2: the header lines a response copies from its request. */
function copied(id: number): boolean {
  return id === H.via || id === H.from || id === H.to || id === H.callId || id === H.cseq;
}

function writeCrlf(out: Buffer, o: number): number {
  out[o] = 0x0d;
  out[o + 1] = 0x0a;
  return o + 2;
}

/** Builds the response to `req` as a parsed message; throws (programming error) on a bad status or header. */
export function buildResponse(req: SipMessage, status: number, reason: string, opts: ResponseOptions = {}): SipMessage {
  const r = parseMessage(buildResponseBytes(req, status, reason, opts), { framing: 'stream' });
  if (!r.ok) throw new SipclusterError('INTERNAL_INVARIANT', `built response does not parse: ${r.error.code} ${r.error.message}`);
  return r.value;
}
