/**
 * A parsed SIP message: the received Buffer plus offsets. The scan (parser.ts) records, for every
 * header line, its name and value ranges; a header is decoded into a string or object only when read,
 * then cached (DESIGN §8). The essential headers a proxy always needs (RFC 3261 §8.1.1, §16.3) are
 * decoded and checked by parseMessage, so these getters never fail on a message it returned.
 */
import { H, CANONICAL_NAMES, headerIdOf, nameEqualsAt, type HeaderId } from './header-names.ts';
import { decodeValue, ownString, splitListOffsets, splitListInto, latin1 } from './header-values.ts';
import { parseVia, type Via } from './via.ts';
import { canonicalNameAddr, parseNameAddr, type NameAddr } from './name-addr.ts';
import { parseExpires, type CSeq } from './scalar-headers.ts';
import { parseError, type SipParseError } from './errors.ts';
import { MAX_LIST_VALUES, MAX_VIA_COUNT } from './limits.ts';
import { parseUri, schemeOf, type Uri } from './uri.ts';
import { allAscii } from '../../lib/ascii.ts';
import type { Result } from '../../lib/result.ts';
import { invariant } from '../../lib/errors.ts';

/** Layout of one header entry in SipMessage.table (stride HDR_STRIDE). */
export const HDR_ID = 0; // HeaderId, plus FOLDED_FLAG when the value spans continuation lines
export const HDR_LINE_START = 1; // also the start of the name
export const HDR_NAME_END = 2;
export const HDR_VALUE_START = 3;
export const HDR_VALUE_END = 4;
export const HDR_STRIDE = 5;
export const FOLDED_FLAG = 0x100;

const NO_HEADERS: number[] = [];

/** s[start,end) — the parser for a range that is just its text (parseRange of the Request-URI). */
const sliceRange = (s: string, start = 0, end = s.length): string => s.slice(start, end);

/**
 * Element offsets of one header line, reused by getList() and the list getters (synchronous, and the
 * element parsers they call never come back here). Room for the largest list a line may hold.
 */
const LIST_OFFS: number[] = new Array<number>(2 * (MAX_LIST_VALUES + 1)).fill(0);

export interface ContactList {
  /** `Contact: *` (RFC 3261 §10.2.2, REGISTER removing all bindings). */
  readonly star: boolean;
  readonly values: readonly NameAddr[];
}

export type SipKind = 'request' | 'response';

export class SipMessage {
  // Filled by parser.ts; treat as read-only outside this folder.
  kind: SipKind = 'request';
  buffer: Buffer;
  /** Offset of the start line (leading CRLFs skipped, RFC 3261 §7.5). */
  start = 0;
  startLineEnd = 0;
  /** Offset of the empty line that ends the headers. */
  headersEnd = 0;
  bodyStart = 0;
  bodyEnd = 0;
  method = '';
  /** Request-URI range in the buffer (requests). */
  uriStart = 0;
  uriEnd = 0;
  version = 'SIP/2.0';
  status = 0;
  reason = '';
  /** HDR_STRIDE numbers per header line; a plain SMI array, much cheaper to create than a typed array. */
  table: number[] = NO_HEADERS;
  headerCount = 0;
  /** Value of Content-Length, -1 when absent. */
  contentLengthValue = -1;

  // Caches, set by the parser's essential check or by the first read.
  requestUri: Uri | undefined = undefined;
  /** The Request-URI's scheme when parseMessage read it in passing (a plain sip:/sips: URI). */
  uriSchemeCache: string | undefined = undefined;
  private uriTextCache: string | undefined = undefined;
  /** The header block as Latin-1 when the datagram is ASCII, '' when not, undefined until needed. */
  private headText: string | undefined = undefined;
  topViaCache: Via | undefined = undefined;
  fromCache: NameAddr | undefined = undefined;
  toCache: NameAddr | undefined = undefined;
  callIdCache: string | undefined = undefined;
  cseqCache: CSeq | undefined = undefined;
  maxForwardsCache: number | undefined = undefined;
  private viasCache: Result<Via[], SipParseError> | undefined = undefined;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  get isRequest(): boolean {
    return this.kind === 'request';
  }

  /**
   * The Request-URI (requests). parseMessage checked it (validUri: nothing allocated); the object is
   * built on first read, as a stateless answer (OPTIONS, 501) never reads it.
   */
  get uri(): Uri {
    if (this.requestUri === undefined) {
      if (this.kind !== 'request') invariant(false, 'uri read on a response');
      const u = parseUri(this.uriText);
      if (u === undefined) invariant(false, 'uri read on a request parseMessage did not return');
      this.requestUri = u;
    }
    return this.requestUri;
  }

  get uriText(): string {
    return (this.uriTextCache ??= this.parseRange(sliceRange, this.uriStart, this.uriEnd, false));
  }

  /** The Request-URI's scheme, lower-cased, read without building the URI (RFC 3261 §8.2.2.1 checks it on every request). */
  get uriScheme(): string {
    return this.requestUri?.scheme ?? this.uriSchemeCache ?? schemeOf(this.uriText);
  }

  get topVia(): Via {
    return this.must(this.topViaCache, 'Via');
  }
  get from(): NameAddr {
    return this.must(this.fromCache, 'From');
  }
  get to(): NameAddr {
    return this.must(this.toCache, 'To');
  }
  get callId(): string {
    return this.must(this.callIdCache, 'Call-ID');
  }
  get cseq(): CSeq {
    return this.must(this.cseqCache, 'CSeq');
  }
  /** Undefined when the request has none (RFC 2543 peers, RFC 4475 inv2543). */
  get maxForwards(): number | undefined {
    return this.maxForwardsCache;
  }
  /** The Content-Length header value, undefined when absent (the body then ran to the datagram end). */
  get contentLength(): number | undefined {
    return this.contentLengthValue < 0 ? undefined : this.contentLengthValue;
  }
  get body(): Buffer {
    return this.buffer.subarray(this.bodyStart, this.bodyEnd);
  }
  /** The whole message as received (without bytes after the body that UDP framing discarded). */
  get bytes(): Buffer {
    return this.buffer.subarray(this.start, this.bodyEnd);
  }
  get contentType(): string | undefined {
    return this.get('Content-Type');
  }

  private must<T>(v: T | undefined, name: string): T {
    // Guarded: the message text is built only on failure (these getters run dozens of times a request).
    if (v === undefined) invariant(false, `${name} read on a message parseMessage did not return`);
    return v;
  }

  // ---- generic access -------------------------------------------------------------------------

  headerId(i: number): HeaderId {
    return ((this.table[i * HDR_STRIDE + HDR_ID] ?? 0) & 0xff) as HeaderId;
  }
  /** Just past the LF that ends header line i (continuation lines included). */
  lineEnd(i: number): number {
    return i + 1 < this.headerCount ? (this.table[(i + 1) * HDR_STRIDE + HDR_LINE_START] ?? 0) : this.headersEnd;
  }
  /** The header name as written (`v`, `MaX-fOrWaRdS`). */
  headerName(i: number): string {
    const b = i * HDR_STRIDE;
    return latin1(this.buffer, this.table[b + HDR_LINE_START] ?? 0, this.table[b + HDR_NAME_END] ?? 0);
  }
  /**
   * The start line and header block as one Latin-1 string when the datagram is all ASCII (nearly
   * always), else ''. parseMessage reads the essential headers (Request-URI, Via, From, To, Call-ID)
   * as ranges of it, offset by `start`: one native call per message instead of one per header, and
   * the parsers walk a flat string. A slice of it keeps the block alive, so a string kept for long
   * (a binding's Call-ID) is copied first (ownString).
   */
  headString(): string {
    if (this.headText === undefined) {
      this.headText = this.headersEnd > 0 && allAscii(this.buffer) ? latin1(this.buffer, this.start, this.headersEnd) : '';
    }
    return this.headText;
  }

  /**
   * Runs a parser that reads a range (`parseVia`, `parseNameAddr`, `parseCallId`…) on buf[start,end):
   * in place on headString() when there is one, else on the decoded value.
   */
  parseRange<T>(parse: (s: string, start?: number, end?: number) => T, start: number, end: number, folded: boolean): T {
    const head = folded ? '' : this.headString();
    return head === '' ? parse(decodeValue(this.buffer, start, end, folded)) : parse(head, start - this.start, end - this.start);
  }

  /**
   * The value of header line i, unfolded. From headString() when there is one (an all-ASCII
   * message: its Latin-1 and UTF-8 decodings agree), copied out (ownString) so that a value kept
   * for long (a binding's User-Agent, a script's map) does not hold the whole header block: a
   * quarter of a native UTF-8 decode per call.
   */
  headerValue(i: number): string {
    const b = i * HDR_STRIDE;
    const t = this.table;
    const start = t[b + HDR_VALUE_START] ?? 0;
    const end = t[b + HDR_VALUE_END] ?? 0;
    const folded = ((t[b + HDR_ID] ?? 0) & FOLDED_FLAG) !== 0;
    const head = folded ? '' : this.headString();
    return head === '' ? decodeValue(this.buffer, start, end, folded) : ownString(head.slice(start - this.start, end - this.start));
  }

  /** Index of the first header line at or after `from` with this name (any case, compact forms), or -1. */
  indexOf(name: string, from = 0): number {
    const id = headerIdOf(name);
    if (id !== H.other) return this.indexOfId(id, from);
    const l = name.toLowerCase();
    const t = this.table;
    for (let i = from; i < this.headerCount; i++) {
      const b = i * HDR_STRIDE;
      if (((t[b] ?? 0) & 0xff) === 0 && nameEqualsAt(this.buffer, t[b + HDR_LINE_START] ?? 0, t[b + HDR_NAME_END] ?? 0, l)) return i;
    }
    return -1;
  }

  indexOfId(id: HeaderId, from = 0): number {
    const t = this.table;
    for (let i = from; i < this.headerCount; i++) if (((t[i * HDR_STRIDE] ?? 0) & 0xff) === id) return i;
    return -1;
  }

  countId(id: HeaderId): number {
    let n = 0;
    for (let i = this.indexOfId(id); i >= 0; i = this.indexOfId(id, i + 1)) n++;
    return n;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** The value of the first header line with this name, unfolded; undefined when absent. */
  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.headerValue(i);
  }

  /** The value of every header line with this name, in order (lines are not comma-split). */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) out.push(this.headerValue(i));
    return out;
  }

  /** Every element of a comma-separated header across all its lines (commas in quotes or <> kept). */
  getList(name: string): string[] {
    const out: string[] = [];
    const offs = LIST_OFFS;
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) {
      const n = this.splitLineInto(i, offs, MAX_LIST_VALUES);
      for (let k = 0; k < 2 * (n > MAX_LIST_VALUES ? MAX_LIST_VALUES : n); k += 2) out.push(this.decodeRange(i, offs[k] ?? 0, offs[k + 1] ?? 0));
    }
    return out;
  }

  /** Canonical name and value of every header line, in order. */
  headers(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.headerCount; i++) {
      const id = this.headerId(i);
      out.push([id === H.other ? this.headerName(i) : (CANONICAL_NAMES[id] ?? ''), this.headerValue(i)]);
    }
    return out;
  }

  /** Element offsets of header line i (pairs appended to `out`); false when there are more than `max`. */
  splitLine(i: number, out: number[], max: number): boolean {
    const b = i * HDR_STRIDE;
    return splitListOffsets(this.buffer, this.table[b + HDR_VALUE_START] ?? 0, this.table[b + HDR_VALUE_END] ?? 0, out, max);
  }

  /** splitLine into a reused scratch by index (see splitListInto): pair count, or max + 1 when over. */
  private splitLineInto(i: number, out: number[], max: number): number {
    const b = i * HDR_STRIDE;
    return splitListInto(this.buffer, this.table[b + HDR_VALUE_START] ?? 0, this.table[b + HDR_VALUE_END] ?? 0, out, 0, max);
  }

  private decodeRange(i: number, s: number, e: number): string {
    return decodeValue(this.buffer, s, e, ((this.table[i * HDR_STRIDE] ?? 0) & FOLDED_FLAG) !== 0);
  }

  /**
   * Parses every element of every line with this id using `parse`; with `canonical`, an element in
   * the usual form is first read from the bytes (its result then reads the header string, like the
   * essential headers': a value kept for long must be copied, see ownString).
   */
  private listOf<T>(
    id: HeaderId, max: number, parse: (s: string) => Result<T, SipParseError>,
    canonical?: (buf: Uint8Array, start: number, end: number, text: string, base: number) => T | undefined,
  ): Result<T[], SipParseError> {
    const out: T[] = [];
    const offs = LIST_OFFS;
    for (let i = this.indexOfId(id); i >= 0; i = this.indexOfId(id, i + 1)) {
      const room = max - out.length;
      const n = this.splitLineInto(i, offs, room);
      if (n > room) return { ok: false, error: parseError(id === H.via ? 'SIP_PARSE_TOO_MANY_VIAS' : 'SIP_PARSE_TOO_MANY_VALUES', `more than ${max} ${CANONICAL_NAMES[id] ?? ''} values`) };
      const head = canonical === undefined || ((this.table[i * HDR_STRIDE] ?? 0) & FOLDED_FLAG) !== 0 ? '' : this.headString();
      for (let k = 0; k < 2 * n; k += 2) {
        const s = offs[k] ?? 0;
        const e = offs[k + 1] ?? 0;
        const fast = head === '' || canonical === undefined ? undefined : canonical(this.buffer, s, e, head, this.start);
        if (fast !== undefined) {
          out.push(fast);
          continue;
        }
        const r = parse(this.decodeRange(i, s, e));
        if (!r.ok) return r;
        out.push(r.value);
      }
    }
    return { ok: true, value: out };
  }

  // ---- typed lazy access ----------------------------------------------------------------------

  /** All Via values, top first, across lines (RFC 3261 §7.3.1 combining rule). */
  vias(): Result<Via[], SipParseError> {
    return (this.viasCache ??= this.listOf(H.via, MAX_VIA_COUNT, parseVia));
  }
  routes(): Result<NameAddr[], SipParseError> {
    return this.listOf(H.route, MAX_LIST_VALUES, parseNameAddr);
  }
  recordRoutes(): Result<NameAddr[], SipParseError> {
    return this.listOf(H.recordRoute, MAX_LIST_VALUES, parseNameAddr);
  }
  /** Contact values, or `star` for `Contact: *`, which must then be the only value (RFC 3261 §10.3 step 6). */
  contacts(): Result<ContactList, SipParseError> {
    const i = this.indexOfId(H.contact);
    // The value range starts at its first non-LWS byte: a value that is not '*' is decided there,
    // without decoding the value (every REGISTER asks).
    if (i >= 0 && this.buffer[this.table[i * HDR_STRIDE + HDR_VALUE_START] ?? 0] === 0x2a && this.headerValue(i).trim() === '*') {
      if (this.countId(H.contact) !== 1) return { ok: false, error: parseError('SIP_PARSE_BAD_NAME_ADDR', 'Contact: * mixed with other contacts') };
      return { ok: true, value: { star: true, values: [] } };
    }
    const r = this.listOf(H.contact, MAX_LIST_VALUES, parseNameAddr, canonicalNameAddr);
    return r.ok ? { ok: true, value: { star: false, values: r.value } } : r;
  }
  /** The Expires header, undefined when absent. */
  expires(): Result<number | undefined, SipParseError> {
    const i = this.indexOfId(H.expires);
    return i < 0 ? { ok: true, value: undefined } : parseExpires(this.headerValue(i));
  }
}
