/**
 * parseMessage: one pass over the Buffer that frames the message (start line, header lines with
 * LWS continuation, empty line, body by Content-Length) and records offsets; then the essential
 * headers are decoded and checked (Via, CSeq, Call-ID, From, To, Max-Forwards; RFC 3261 §8.1.1,
 * §8.2, §16.3). Everything else stays bytes until read. Never throws on input: failures come back as
 * a SipParseError carrying whatever essential headers were readable (see partial.ts).
 */
import { MAX_MESSAGE_BYTES, MAX_HEADERS, MAX_LINE_BYTES, MAX_CONTENT_LENGTH_DIGITS } from './limits.ts';
import { TOKEN, CR, LF, SP, HTAB, COLON } from './chars.ts';
import { H, headerIdAt } from './header-names.ts';
import { hasLineBreak } from './header-values.ts';
import { contentLengthAt } from './scalar-headers.ts';
import { parseStartLine } from './start-line.ts';
import { checkEssentials, partialOf } from './essentials.ts';
import { SipMessage, FOLDED_FLAG, HDR_STRIDE, HDR_ID, HDR_LINE_START, HDR_NAME_END, HDR_VALUE_START, HDR_VALUE_END } from './sip-message.ts';
import { parseError, withPartial, type SipParseError } from './errors.ts';
import type { Result } from '../../lib/result.ts';

export interface ParseOptions {
  /**
   * 'datagram' (UDP, default): bytes after Content-Length are discarded, a missing Content-Length
   * means the body runs to the end (RFC 3261 §18.3). 'stream': the transport framed exactly one
   * message; Content-Length is mandatory.
   */
  readonly framing?: 'datagram' | 'stream';
}


type Fail = { ok: false; error: SipParseError };

function fail(msg: SipMessage | undefined, code: SipParseError['code'], message: string, offset: number): Fail {
  const e = parseError(code, message, offset);
  return { ok: false, error: msg === undefined ? e : withPartial(e, partialOf(msg)) };
}

/**
 * Index of the LF ending the line that starts at p, or -1 (no LF, or line longer than the limit).
 * Buffer#indexOf: on Node 20 a dozen calls per message cost less than half of a byte loop (120 ns
 * against 290 for a 420-byte OPTIONS); it may scan past the limit, at most to the datagram's end.
 */
function lineEnd(buf: Buffer, p: number): number {
  const lf = buf.indexOf(LF, p);
  return lf - p > MAX_LINE_BYTES + 1 ? -1 : lf;
}

export function parseMessage(buf: Buffer, options?: ParseOptions): Result<SipMessage, SipParseError> {
  const len = buf.length;
  if (len > MAX_MESSAGE_BYTES) return fail(undefined, 'SIP_PARSE_TOO_LARGE', `message of ${len} bytes exceeds ${MAX_MESSAGE_BYTES}`, 0);
  let p = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored (also keep-alives on streams).
  while (p < len && (buf[p] === CR || buf[p] === LF)) p++;
  if (p >= len) return fail(undefined, 'SIP_PARSE_EMPTY', 'no message', 0);

  const msg = new SipMessage(buf);
  msg.start = p;
  let lf = lineEnd(buf, p);
  if (lf < 0) return fail(undefined, buf.indexOf(LF, p) < 0 ? 'SIP_PARSE_UNTERMINATED_HEADERS' : 'SIP_PARSE_LINE_TOO_LONG', 'start line not terminated', p);
  // A bad start line still gets its headers scanned, so the error can carry Via/Call-ID/CSeq for a 400.
  const startLineError = parseStartLine(buf, p, buf[lf - 1] === CR ? lf - 1 : lf, msg);
  msg.startLineEnd = lf + 1;
  p = lf + 1;

  // Header lines, recorded in a scratch table that grows once and is reused by every parse;
  // finishScan() gives the message an exact-size copy (pushing into a fresh array per message
  // reallocated its backing store three times for a dozen headers).
  const t = SCRATCH_TABLE;
  const stream = options?.framing === 'stream';
  let n = 0;
  let clSeen = false;
  for (;;) {
    if (p >= len) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_UNTERMINATED_HEADERS', 'no empty line after the headers', p);
    const c = buf[p];
    if (c === CR && buf[p + 1] === LF) {
      msg.headersEnd = p;
      msg.bodyStart = p + 2;
      break;
    }
    if (c === LF) {
      // On a stream the framer cuts at CRLF CRLF; an LF-only end here would put the body elsewhere.
      if (stream) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_STREAM_FRAMING', 'header section not ended by CRLF CRLF on a stream', p);
      msg.headersEnd = p;
      msg.bodyStart = p + 1;
      break;
    }
    if (n >= MAX_HEADERS) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_TOO_MANY_HEADERS', `more than ${MAX_HEADERS} header lines`, p);
    const lineStart = p;
    while (p < len && TOKEN[buf[p] ?? 0] === 1) p++;
    const nameEnd = p;
    while (p < len && (buf[p] === SP || buf[p] === HTAB)) p++;
    if (nameEnd === lineStart || buf[p] !== COLON) {
      return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_BAD_HEADER', 'header line without "name:"', lineStart);
    }
    const colon = p;
    lf = lineEnd(buf, p);
    if (lf < 0) return finishScan(msg, n), stop(msg, startLineError, buf.indexOf(LF, p) < 0 ? 'SIP_PARSE_UNTERMINATED_HEADERS' : 'SIP_PARSE_LINE_TOO_LONG', 'header line not terminated or too long', lineStart);
    // The framer reads lines by CRLF (its Content-Length among them): an LF-only line on a stream
    // could hide a header from one of the two.
    if (stream && buf[lf - 1] !== CR) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_STREAM_FRAMING', 'header line not ended by CRLF on a stream', lineStart);
    // RFC 3261 §7.3.1: a line starting with SP or HTAB continues the previous header value.
    let continued = false;
    while (buf[lf + 1] === SP || buf[lf + 1] === HTAB) {
      continued = true;
      const next = lineEnd(buf, lf + 1);
      if (next < 0) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_UNTERMINATED_HEADERS', 'continuation line not terminated or too long', lf + 1);
      lf = next;
      // The limit is the header's, folded or not (measured from the colon, as lineEnd does for one
      // line): continuation lines of 8 KB each made a top Via of ~51 KB that the essential checks
      // parsed element by element (15 ms for one datagram).
      if (lf - colon > MAX_LINE_BYTES + 1) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_LINE_TOO_LONG', `header longer than ${MAX_LINE_BYTES} bytes with its continuation lines`, lineStart);
    }
    // The end is trimmed first, so an empty value sits right after the colon: trimmed from the
    // front first, it sat after the line's CR, and a copy of the line up to its value kept a bare CR.
    let ve = lf;
    while (ve > colon + 1 && (buf[ve - 1] === SP || buf[ve - 1] === HTAB || buf[ve - 1] === CR || buf[ve - 1] === LF)) ve--;
    let vs = colon + 1;
    while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB || buf[vs] === CR || buf[vs] === LF)) vs++;
    const id = headerIdAt(buf, lineStart, nameEnd);
    // Layout: HDR_ID, HDR_LINE_START, HDR_NAME_END, HDR_VALUE_START, HDR_VALUE_END.
    const b = n * HDR_STRIDE;
    t[b + HDR_ID] = continued && hasLineBreak(buf, vs, ve) ? id | FOLDED_FLAG : id;
    t[b + HDR_LINE_START] = lineStart;
    t[b + HDR_NAME_END] = nameEnd;
    t[b + HDR_VALUE_START] = vs;
    t[b + HDR_VALUE_END] = ve;
    n++;
    if (id === H.contentLength) {
      const cl = contentLengthAt(buf, vs, ve, MAX_CONTENT_LENGTH_DIGITS);
      if (cl < 0) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_BAD_CONTENT_LENGTH', 'Content-Length is not 1*DIGIT (at most 5)', vs);
      // RFC 4475 mcl01: two Content-Length headers make the framing ambiguous.
      if (clSeen) return finishScan(msg, n), stop(msg, startLineError, 'SIP_PARSE_MULTIPLE_CONTENT_LENGTH', 'more than one Content-Length', lineStart);
      clSeen = true;
      msg.contentLengthValue = cl;
    }
    p = lf + 1;
  }
  finishScan(msg, n);
  if (startLineError !== undefined) return { ok: false, error: withPartial(startLineError, partialOf(msg)) };

  // Body (RFC 3261 §18.3).
  const avail = len - msg.bodyStart;
  if (msg.contentLengthValue >= 0) {
    if (msg.contentLengthValue > avail) {
      return fail(msg, 'SIP_PARSE_CONTENT_LENGTH_EXCEEDS_DATAGRAM', `Content-Length ${msg.contentLengthValue} but ${avail} body bytes`, msg.bodyStart);
    }
    msg.bodyEnd = msg.bodyStart + msg.contentLengthValue;
    // The framer handed exactly one message: bytes after its body mean the two disagree on framing.
    if (stream && msg.bodyEnd !== len) {
      return fail(msg, 'SIP_PARSE_STREAM_FRAMING', `${len - msg.bodyEnd} bytes after the body on a stream`, msg.bodyEnd);
    }
  } else if (options?.framing === 'stream') {
    return fail(msg, 'SIP_PARSE_MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports', msg.headersEnd);
  } else msg.bodyEnd = len;

  const e = checkEssentials(msg);
  return e === undefined ? { ok: true, value: msg } : { ok: false, error: withPartial(e, partialOf(msg)) };
}

/** A scan error, unless the start line already failed: that error is the one reported. */
function stop(msg: SipMessage, startLineError: SipParseError | undefined, code: SipParseError['code'], message: string, offset: number): Fail {
  return startLineError === undefined ? fail(msg, code, message, offset) : { ok: false, error: withPartial(startLineError, partialOf(msg)) };
}

/** Scratch header table (parseMessage is synchronous, so one is enough), preallocated as SMIs. */
const SCRATCH_TABLE: number[] = new Array<number>(MAX_HEADERS * HDR_STRIDE).fill(0);

function finishScan(msg: SipMessage, n: number): void {
  msg.headerCount = n;
  msg.table = SCRATCH_TABLE.slice(0, n * HDR_STRIDE);
}

/** Bytes after the message that datagram framing discarded (RFC 4475 dblreq: a second request). */
export function trailingBytes(msg: SipMessage): number {
  return msg.buffer.length - msg.bodyEnd;
}
