/**
 * Writing messages. A received message is written back as the bytes it came in (no copy). Edited and
 * built messages are a list of pieces — untouched byte ranges of the received Buffer and the few new
 * strings — joined with one allocation (DESIGN §8: copy ranges, splice edits, no concatenation of whole
 * messages as strings).
 */
import type { SipMessage } from './sip-message.ts';
import { invariant } from '../../lib/errors.ts';

export type Piece = Buffer | string;

/** The message as received: a view on the datagram, excluding bytes discarded after the body. */
export function serialize(msg: SipMessage): Buffer {
  return msg.bytes;
}

/** Joins pieces into one Buffer: byte ranges are copied, strings written as UTF-8. */
export function joinPieces(pieces: readonly Piece[]): Buffer {
  let total = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as Piece;
    total += typeof p !== 'string' ? p.length : byteLength(p);
  }
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as Piece;
    if (typeof p !== 'string') o = copyBytes(p, 0, p.length, out, o);
    else o = writeString(out, p, o);
  }
  return out;
}

/** Above this length writeAscii()/writeString() hand the string to Buffer#write (one native copy). */
const SHORT_ASCII = 24;
const SHORT_COPY = 32;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** UTF-8 length of s; short ASCII strings (most header pieces) without a native call. */
export function byteLength(s: string): number {
  return s.length <= SHORT_ASCII && isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/**
 * writeString for a string the caller already knows is ASCII (its byteLength() equalled its
 * length): no second scan for non-ASCII characters.
 */
export function writeAscii(out: Buffer, s: string, o: number): number {
  if (s.length <= SHORT_ASCII) {
    for (let k = 0; k < s.length; k++) out[o + k] = s.charCodeAt(k);
    return o + s.length;
  }
  return o + out.write(s, o, 'latin1');
}

/** Writes s as UTF-8 at out[o]; returns the offset after it. The caller sized `out` with byteLength(). */
export function writeString(out: Buffer, s: string, o: number): number {
  if (s.length <= SHORT_ASCII && isAscii(s)) {
    // Many pieces are a few ASCII characters ("\r\n", ": ", ";tag="): a plain loop beats
    // Buffer#write's argument handling for them; a longer one (a Via, a Record-Route) is copied
    // natively, which the loop's ~2 ns a character (twice on a rope) loses to past a few dozen.
    for (let k = 0; k < s.length; k++) out[o + k] = s.charCodeAt(k);
    return o + s.length;
  }
  return o + out.write(s, o, 'utf8');
}

/**
 * Copies src[start,end) to out[o]; returns the offset after it. Ranges of up to 32 bytes by a plain
 * loop, which beats TypedArray#set(subarray) there and allocates no view; longer ones natively (at
 * ~2 ns a byte the loop lost past ~32: a call through the proxy 2.5 % cheaper than with 64).
 */
export function copyBytes(src: Uint8Array, start: number, end: number, out: Buffer, o: number): number {
  const n = end - start;
  if (n <= SHORT_COPY) {
    for (let k = 0; k < n; k++) out[o + k] = src[start + k] as number;
  } else out.set(start === 0 && end === src.length ? src : src.subarray(start, end), o);
  return o + n;
}

/**
 * One pass for what a header line written by this node needs to know of a name or value: its
 * UTF-8 length when it is single-line (no CR or LF), -1 when it is not. `lastWasAscii` tells
 * whether that length equals s.length (every character ASCII: written without another scan).
 * Three separate scans (CR/LF, ASCII, length) cost ~3 ns a character each on the reply path.
 */
export function lineSafeLength(s: string): number {
  // A longer string (a Contact, an authentication challenge) is checked by one regular expression,
  // which runs as native code over the flattened string: a charCodeAt loop costs ~2 ns a character
  // on a flat string and twice that on the concatenation a template literal makes.
  if (s.length > SCAN_BY_REGEX && !CR_LF_OR_NON_ASCII.test(s)) {
    lastWasAscii = true;
    return s.length;
  }
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) {
      lastWasAscii = false;
      return -1;
    }
    if (c > 0x7f) ascii = false;
  }
  lastWasAscii = ascii;
  return ascii ? s.length : Buffer.byteLength(s, 'utf8');
}

/** Above this length lineSafeLength() tries CR_LF_OR_NON_ASCII first (measured: a loop wins below). */
const SCAN_BY_REGEX = 24;
const CR_LF_OR_NON_ASCII = /[\r\n\u0080-\uffff]/;

/** Set by lineSafeLength(): its last string was all ASCII. */
export let lastWasAscii = true;

/** True when s holds no CR or LF (a value that cannot smuggle in another header line). */
export function isSingleLine(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return false;
  }
  return true;
}

/** One header line as written by this node: `Name: value` CRLF. Refuses CR/LF in name or value. */
export function headerLine(name: string, value: string): string {
  if (!isSingleLine(name) || !isSingleLine(value)) invariant(false, `header ${name}: CR or LF in name or value`);
  return `${name}: ${value}\r\n`;
}

export interface MessageInit {
  /** `INVITE sip:bob@example.com SIP/2.0` or `SIP/2.0 200 OK` (without CRLF). */
  readonly startLine: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer | string;
}

/**
 * Writes a message from parts; Content-Length is computed and appended (RFC 3261 §20.14: always
 * present, mandatory on streams), so `headers` must not contain one.
 */
export function formatMessage(init: MessageInit): Buffer {
  const pieces: Piece[] = [init.startLine, '\r\n'];
  for (const [name, value] of init.headers) pieces.push(headerLine(name, value));
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
  pieces.push(headerLine('Content-Length', String(body?.length ?? 0)), '\r\n');
  if (body !== undefined) pieces.push(body);
  return joinPieces(pieces);
}
