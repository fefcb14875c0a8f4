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
  private buf: Buffer = EMPTY;
  /**
   * Where a partial message accumulates: grown by doubling, so a message trickled in byte by byte
   * costs O(size) copies, not O(size²) (one Buffer.concat per chunk did). `buf` is a view of it.
   */
  private store: Buffer | undefined;
  private storeUsed = 0;
  /** Where the CRLFCRLF search resumes, so a slow trickle of bytes is not rescanned. */
  private scanFrom = 0;
  /** Size of the message at the start of `buf` once its headers were read (-1: not yet), so a trickled body does not re-read Content-Length per chunk. */
  private expected = -1;
  private failed = false;

  constructor(private readonly maxMessageBytes = MAX_SIP_MESSAGE_BYTES) {}

  /** Bytes held waiting for the rest of a message. */
  bufferedBytes(): number {
    return this.buf.length;
  }

  /** Part of a message is held (not only a CRLF that may still become a keep-alive ping). */
  holdsPartialMessage(): boolean {
    const b = this.buf;
    return b.length > 0 && !(b.length < 4 && isCrlfPrefix(b));
  }

  push(chunk: Buffer, out: FramerEvent[]): void {
    if (this.failed) return;
    this.append(chunk);
    for (;;) {
      const ev = this.next();
      if (ev === undefined) return;
      out.push(ev);
      if (ev.kind === 'error') {
        this.failed = true;
        this.buf = EMPTY;
        this.store = undefined;
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
    let total = this.expected;
    if (total < 0) {
      const end = this.findHeaderEnd();
      if (end < 0) {
        if (b.length > MAX_STREAM_HEADER_BYTES) return fail(`no end of headers within ${MAX_STREAM_HEADER_BYTES} bytes`);
        return undefined;
      }
      const cl = contentLengthOf(b, end);
      if (typeof cl === 'string') return fail(cl);
      total = end + 4 + cl;
      if (total > this.maxMessageBytes) return fail(`message of ${total} bytes exceeds ${this.maxMessageBytes}`);
      this.expected = total;
    }
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
    this.expected = -1;
    // Nothing partial left: an idle connection keeps no store (messages handed out are views of it
    // and keep it alive themselves as long as they need it).
    if (this.buf.length === 0) {
      this.buf = EMPTY;
      this.store = undefined;
    }
  }

  /** Appends a chunk: kept as is when nothing is buffered (whole messages stay views of it), else copied into the store. */
  private append(chunk: Buffer): void {
    const b = this.buf;
    if (b.length === 0) {
      this.buf = chunk;
      return;
    }
    const store = this.store;
    // The bytes held end where the store's used part ends: the chunk goes right after them.
    if (store !== undefined && b.buffer === store.buffer && b.byteOffset + b.length === store.byteOffset + this.storeUsed
      && this.storeUsed + chunk.length <= store.length) {
      chunk.copy(store, this.storeUsed);
      this.storeUsed += chunk.length;
      this.buf = store.subarray(b.byteOffset - store.byteOffset, this.storeUsed);
      return;
    }
    const need = b.length + chunk.length;
    const next = Buffer.allocUnsafe(Math.max(2 * need, MIN_STORE_BYTES));
    b.copy(next, 0);
    chunk.copy(next, b.length);
    this.store = next;
    this.storeUsed = need;
    this.buf = next.subarray(0, need);
  }
}

const EMPTY = Buffer.alloc(0);
/** First store for a partial message: most fit, and a second chunk then costs no allocation. */
const MIN_STORE_BYTES = 4096;

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
    // RFC 3261 §7.3.1: a line starting with SP or HTAB continues the header above it.
    while (lineEnd + 2 < end && (b[lineEnd + 2] === 32 || b[lineEnd + 2] === 9)) {
      const next = b.indexOf(CR, lineEnd + 2);
      lineEnd = next < 0 || next > end ? end : next;
    }
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
  while (p < e && isLws(b[p])) p++;
  if (b[p] !== 58 /* : */) return undefined;
  p++;
  while (p < e && isLws(b[p])) p++;
  let n = 0;
  let digits = 0;
  let any = false;
  while (p < e && (b[p] as number) >= 48 && (b[p] as number) <= 57) {
    n = n * 10 + ((b[p] as number) - 48);
    // Leading zeros are 1*DIGIT too (RFC 3261 §20.14) and do not count towards the limit.
    if (n > 0) digits++;
    any = true;
    p++;
  }
  while (p < e && isLws(b[p])) p++;
  if (!any || p !== e) return 'Content-Length is not a number';
  if (digits > MAX_CONTENT_LENGTH_DIGITS) return 'Content-Length has too many digits';
  return n;
}

/** SP, HTAB, or the CRLF of a continuation line (the logical line spans it, RFC 3261 §7.3.1). */
function isLws(c: number | undefined): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

function isTokenChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}
