/**
 * Message boundaries on stream transports (TCP, TLS): RFC 3261 §18.3 frames a message by the empty
 * line after its headers plus Content-Length, which is mandatory there. The transport layer calls
 * frameStream on its receive buffer and hands each complete frame to parseMessage({ framing: 'stream' }).
 * RFC 5626 §3.5.1 keep-alives (CRLF CRLF, answered by CRLF) are reported separately.
 */
import { MAX_MESSAGE_BYTES, MAX_CONTENT_LENGTH_DIGITS } from './limits.ts';
import { CR, LF, SP, HTAB, COLON, TOKEN } from './chars.ts';
import { H, headerIdAt } from './header-names.ts';
import { contentLengthAt } from './scalar-headers.ts';
import { parseError, type SipParseError } from './errors.ts';

export type StreamFrame =
  /** buf[start, end) is one whole message. */
  | { readonly kind: 'message'; readonly start: number; readonly end: number }
  /** buf[start, end) held only CRLFs: a keep-alive ping ("\r\n\r\n") or pong ("\r\n"). */
  | { readonly kind: 'keepalive'; readonly start: number; readonly end: number }
  /** The message is not complete yet; call again when more bytes arrived. */
  | { readonly kind: 'need-more' }
  /** The stream cannot be framed any more: close the connection (RFC 3261 §18.3). */
  | { readonly kind: 'error'; readonly error: SipParseError };

const NEED_MORE: StreamFrame = { kind: 'need-more' };

function error(code: SipParseError['code'], message: string, offset: number): StreamFrame {
  return { kind: 'error', error: parseError(code, message, offset) };
}

/** Finds the next frame in buf starting at `offset`. */
export function frameStream(buf: Buffer, offset = 0): StreamFrame {
  const len = buf.length;
  let p = offset;
  while (p < len && (buf[p] === CR || buf[p] === LF)) p++;
  if (p > offset) return { kind: 'keepalive', start: offset, end: p };
  if (p >= len) return NEED_MORE;

  const start = p;
  const limit = Math.min(len, start + MAX_MESSAGE_BYTES);
  let contentLength = -1;
  let lineStart = -1;
  // Walk the lines until the empty one; look at each header line's name for Content-Length.
  while (p < limit) {
    if (buf[p] !== LF) {
      p++;
      continue;
    }
    const next = p + 1;
    if (next >= len) break;
    if (buf[next] === CR || buf[next] === LF) {
      const bodyStart = buf[next] === CR ? next + 2 : next + 1;
      if (buf[next] === CR && next + 1 >= len) break;
      if (contentLength < 0) return error('SIP_PARSE_MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports', next);
      const end = bodyStart + contentLength;
      if (end - start > MAX_MESSAGE_BYTES) return error('SIP_PARSE_TOO_LARGE', 'message larger than the limit', start);
      return end <= len ? { kind: 'message', start, end } : NEED_MORE;
    }
    lineStart = next;
    if (buf[lineStart] !== SP && buf[lineStart] !== HTAB) {
      let n = lineStart;
      while (n < len && TOKEN[buf[n] ?? 0] === 1) n++;
      if (headerIdAt(buf, lineStart, n) === H.contentLength) {
        let v = n;
        while (v < len && (buf[v] === SP || buf[v] === HTAB)) v++;
        if (buf[v] === COLON) {
          let e = buf.indexOf(LF, v);
          if (e < 0) return len - start > MAX_MESSAGE_BYTES ? error('SIP_PARSE_TOO_LARGE', 'message larger than the limit', start) : NEED_MORE;
          v++;
          while (v < e && (buf[v] === SP || buf[v] === HTAB)) v++;
          while (e > v && (buf[e - 1] === CR || buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
          const cl = contentLengthAt(buf, v, e, MAX_CONTENT_LENGTH_DIGITS);
          if (cl < 0) return error('SIP_PARSE_BAD_CONTENT_LENGTH', 'Content-Length is not 1*DIGIT (at most 5)', v);
          if (contentLength >= 0) return error('SIP_PARSE_MULTIPLE_CONTENT_LENGTH', 'more than one Content-Length', lineStart);
          contentLength = cl;
        }
      }
    }
    p = next;
  }
  return len - start >= MAX_MESSAGE_BYTES ? error('SIP_PARSE_TOO_LARGE', 'headers larger than the limit', start) : NEED_MORE;
}
