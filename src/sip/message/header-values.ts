/**
 * Header value bytes: splitting a comma-separated value into elements by offsets (commas inside
 * quoted strings and angle brackets do not split, RFC 3261 §7.3.1), and decoding one byte range to a
 * string with folded lines replaced by a single space (RFC 3261 §7.3.1: LWS is equivalent to SP).
 */
import { CR, LF, SP, HTAB, DQUOTE, BACKSLASH, LAQUOT, RAQUOT, COMMA } from './chars.ts';

/** Node's native slice methods: they skip Buffer#toString's argument handling (measurable per header). */
interface NativeSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** buf[start,end) as Latin-1 (for ASCII grammar elements: methods, URIs, names). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as NativeSlices).latin1Slice(start, end);
}

/** buf[start,end) as UTF-8 (header values and reason phrases, RFC 3261 §25.1 TEXT-UTF8). */
export function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as NativeSlices).utf8Slice(start, end);
}

function isLwsByte(c: number | undefined): boolean {
  return c === SP || c === HTAB || c === CR || c === LF;
}

/**
 * Appends [start,end) pairs of the comma-separated elements of buf[start,end) to `out`, each trimmed
 * of LWS. Empty elements are kept (as zero-length ranges) so callers can reject `a,,b`.
 * Returns false when more than `max` elements are found.
 */
export function splitListOffsets(buf: Uint8Array, start: number, end: number, out: number[], max: number): boolean {
  const base = out.length;
  const n = splitListInto(buf, start, end, out, base, max);
  out.length = base + 2 * (n > max ? max : n);
  return n <= max;
}

/**
 * Index of the comma ending the list element that starts at i in buf[i,end), or `end`: commas inside
 * quoted strings (with quoted-pairs) and angle brackets do not split (RFC 3261 §7.3.1). An element
 * whose quoted string never closes (a quoted-pair's backslash as the last byte, say) runs to `end`
 * and is handed to its parser like any other, which refuses it: dropped from the list, it left a
 * line that parsed as valid with no top Via at all.
 */
function elementEnd(buf: Uint8Array, i: number, end: number): number {
  let inQuote = false;
  let angle = false;
  for (; i < end; i++) {
    const c = buf[i];
    if (inQuote) {
      if (c === BACKSLASH && ++i >= end) return end;
      if (c === DQUOTE) inQuote = false;
      continue;
    }
    if (c === DQUOTE) inQuote = true;
    else if (c === LAQUOT) angle = true;
    else if (c === RAQUOT) angle = false;
    else if (c === COMMA && !angle) return i;
  }
  return end;
}

/**
 * splitListOffsets writing the pairs at out[at], out[at+1]... by index (a caller's reused scratch
 * keeps its backing store; `length = 0` and push would allocate a new one per line). Returns the
 * number of pairs written, or max + 1 (after writing max pairs) when there are more than `max`.
 */
export function splitListInto(buf: Uint8Array, start: number, end: number, out: number[], at: number, max: number): number {
  let count = 0;
  for (let elStart = start; elStart <= end; count++) {
    const i = elementEnd(buf, elStart, end);
    if (count >= max) return max + 1;
    let s = elStart;
    let e = i;
    while (s < e && isLwsByte(buf[s])) s++;
    while (e > s && isLwsByte(buf[e - 1])) e--;
    out[at + 2 * count] = s;
    out[at + 2 * count + 1] = e;
    elStart = i + 1;
  }
  return count;
}

/**
 * The value buf[start,end) as a string: UTF-8 (RFC 3261 §25.1 TEXT-UTF8), with each CRLF and the
 * white space after it collapsed into one SP when the header was folded.
 */
export function decodeValue(buf: Buffer, start: number, end: number, folded: boolean): string {
  if (!folded) return utf8(buf, start, end);
  let out = '';
  let runStart = start;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === CR || c === LF) {
      let j = i;
      let k = i;
      while (k > runStart && (buf[k - 1] === SP || buf[k - 1] === HTAB)) k--;
      out += utf8(buf, runStart, k) + ' ';
      while (j < end && isLwsByte(buf[j])) j++;
      runStart = j;
      i = j - 1;
    }
  }
  return out + utf8(buf, runStart, end);
}

/** True when buf[start,end) contains a line break (the header used LWS continuation lines). */
export function hasLineBreak(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === LF || buf[i] === CR) return true;
  return false;
}

/**
 * Walks the comma-separated elements of buf[start,end) as splitListOffsets does, without recording
 * them: returns the number of elements when `k` < 0, else the (LWS-trimmed) start of element k, or
 * `end` when there are fewer. For the editor, which pops the top value of a Via/Route line.
 */
export function listElement(buf: Uint8Array, start: number, end: number, k: number): number {
  let count = 0;
  for (let elStart = start; elStart <= end; count++) {
    const i = elementEnd(buf, elStart, end);
    if (count === k) {
      let s = elStart;
      while (s < i && isLwsByte(buf[s])) s++;
      return s;
    }
    elStart = i + 1;
  }
  return k < 0 ? count : end;
}

/**
 * A copy of `s` that does not keep a message alive. The essential headers (Call-ID, tags, URIs) are
 * slices of the message's header block (SipMessage.headString), and V8 keeps the whole block for a
 * slice of 13 characters or more; a string stored for long (a binding's Call-ID, for hours) should
 * not hold ~500 bytes of REGISTER. Concatenating forces a new flat string, which the slice then
 * refers to instead: in JavaScript only, no native call.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
