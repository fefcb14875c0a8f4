import { MAX_CONTENT_LENGTH_DIGITS, MAX_SIP_MESSAGE_BYTES, MAX_STREAM_HEADER_BYTES } from './limits.ts';

export type FramerEvent =
  | { readonly kind: 'message'; readonly data: Buffer }
  /** RFC 5626 §4.4.1: a CRLFCRLF ping; the transport answers with a single CRLF pong. */
  | { readonly kind: 'keepalive-ping' }
  | { readonly kind: 'error'; readonly code: 'SIP_TRANSPORT_FRAMING'; readonly message: string };

const CR = 13;
const LF = 10;

/**
 * Splits a SIP byte stream into messages (RFC 3261 §18.3): the header section ends at the first
 * CRLFCRLF and Content-Length, mandatory on streams, gives the body size. CRLFs between messages
 * are keep-alives (RFC 5626 §3.5.1). A stream that breaks the rules yields one error, after which
 * the connection must be closed: once framing is lost there is no way to find the next message.
 * Pure: no sockets; whole messages are sub-arrays of the received chunk when they fit in one.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the CRLFCRLF search resumes, so a slow trickle of bytes is not rescanned. */
  private scanFrom = 0;
  private failed = false;

  constructor(private readonly maxMessageBytes = MAX_SIP_MESSAGE_BYTES) {}

  /** Bytes held waiting for the rest of a message. */
  bufferedBytes(): number {
    return this.buf.length;
  }

  push(chunk: Buffer, out: FramerEvent[]): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const ev = this.next();
      if (ev === undefined) return;
      out.push(ev);
      if (ev.kind === 'error') {
        this.failed = true;
        this.buf = Buffer.alloc(0);
        return;
      }
    }
  }

  private next(): FramerEvent | undefined {
    // Leading CRLFs: CRLFCRLF is a ping; a lone CRLF (a pong, or padding) is skipped. A prefix
    // of CRLFCRLF waits for more bytes, since it may still become a ping.
    for (;;) {
      const b = this.buf;
      if (b.length === 0 || b[0] !== CR) break;
      if (b.length < 4 && isCrlfPrefix(b)) return undefined;
      if (b[1] !== LF) break;
      if (b[2] === CR && b[3] === LF) {
        this.consume(4);
        return { kind: 'keepalive-ping' };
      }
      this.consume(2);
    }
    const b = this.buf;
    const end = this.findHeaderEnd();
    if (end < 0) {
      if (b.length > MAX_STREAM_HEADER_BYTES) return fail(`no end of headers within ${MAX_STREAM_HEADER_BYTES} bytes`);
      return undefined;
    }
    const cl = contentLengthOf(b, end);
    if (typeof cl === 'string') return fail(cl);
    const total = end + 4 + cl;
    if (total > this.maxMessageBytes) return fail(`message of ${total} bytes exceeds ${this.maxMessageBytes}`);
    if (b.length < total) return undefined;
    const data = b.subarray(0, total);
    this.consume(total);
    return { kind: 'message', data };
  }

  private findHeaderEnd(): number {
    const b = this.buf;
    for (let i = Math.max(0, this.scanFrom - 3); i + 3 < b.length; i++) {
      if (b[i] === CR && b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return i;
    }
    this.scanFrom = b.length;
    return -1;
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.scanFrom = 0;
  }
}

function isCrlfPrefix(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== (i % 2 === 0 ? CR : LF)) return false;
  return true;
}

function fail(message: string): FramerEvent {
  return { kind: 'error', code: 'SIP_TRANSPORT_FRAMING', message };
}

/**
 * Content-Length (or its compact form `l`, RFC 3261 §7.3.3) of the header section b[0..end).
 * Returns the length, or a reason string when it is missing, repeated with other values or bad.
 */
export function contentLengthOf(b: Buffer, end: number): number | string {
  let found: number | undefined;
  let lineStart = 0;
  while (lineStart < end) {
    let lineEnd = b.indexOf(CR, lineStart);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    const v = headerValueIfContentLength(b, lineStart, lineEnd);
    if (v !== undefined) {
      if (typeof v === 'string') return v;
      if (found !== undefined && found !== v) return 'conflicting Content-Length headers';
      found = v;
    }
    lineStart = lineEnd + 2;
  }
  return found ?? 'Content-Length is mandatory on stream transports (RFC 3261 §18.3)';
}

function headerValueIfContentLength(b: Buffer, s: number, e: number): number | string | undefined {
  // Name: "content-length" or "l", case-insensitive, then optional whitespace and a colon.
  let p = s;
  const first = b[p] ?? 0;
  if ((first | 0x20) === 0x6c /* l */ && !isTokenChar(b[p + 1] ?? 0)) {
    p += 1;
  } else if (e - s >= 14 && b.toString('latin1', s, s + 14).toLowerCase() === 'content-length') {
    p += 14;
  } else {
    return undefined;
  }
  while (p < e && (b[p] === 32 || b[p] === 9)) p++;
  if (b[p] !== 58 /* : */) return undefined;
  p++;
  while (p < e && (b[p] === 32 || b[p] === 9)) p++;
  let n = 0;
  let digits = 0;
  while (p < e && (b[p] as number) >= 48 && (b[p] as number) <= 57) {
    n = n * 10 + ((b[p] as number) - 48);
    digits++;
    p++;
  }
  while (p < e && (b[p] === 32 || b[p] === 9)) p++;
  if (digits === 0 || p !== e) return 'Content-Length is not a number';
  if (digits > MAX_CONTENT_LENGTH_DIGITS) return 'Content-Length has too many digits';
  return n;
}

function isTokenChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}
