/**
 * Character classes of the RFC 3261 §25.1 grammar as lookup tables, so hot loops test one array
 * element per byte instead of running a regular expression (DESIGN §8).
 */

function table(chars: string, alnum: boolean): Uint8Array {
  const t = new Uint8Array(256);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", true);

/** word (Call-ID) = token characters plus the separators that RFC 3261 §25.1 allows in a word. */
export const WORD = table('-.!%*_+`\'~()<>:\\"/[]?{}', true);

/** unreserved / user-unreserved / escaped start: the characters allowed in a SIP URI user part. */
export const URI_USER = table("-_.!~*'()%&=+$,;?/", true);

/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const URI_PASSWORD = table("-_.!~*'()%&=+$,", true);

/** hostname characters; IPv6 references are handled separately. */
export const URI_HOST = table('-.', true);

/** paramchar = param-unreserved / unreserved / escaped */
export const URI_PARAM = table("[]/:&+$-_.!~*'()%", true);

/** hname / hvalue characters = hnv-unreserved / unreserved / escaped */
export const URI_HEADER = table("[]/?:+$-_.!~*'()%", true);

/**
 * What the one-pass checks of the usual forms (canonicalSipUriEnd, canonicalNameAddr) take without
 * asking the general parsers: subsets of the sets above with no `%` (escapes are the general
 * parser's), and for the user part none of `;` `?` `:` (they make its end ambiguous).
 */
export const URI_USER_PLAIN = table("-_.!~*'()&=+$,/", true);
/**
 * URI parameter names and values (RFC 3261 §25.1 pname = pvalue = 1*paramchar): URI_PARAM without
 * `%`. One table for both: `&` is param-unreserved, so it is a name character too (`;a&b=1`).
 */
export const URI_PARAM_PLAIN = table("[]/:&+$-_.!~*'()", true);

export function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * End of the run of URI_PARAM characters at s[i] (paramchar, RFC 3261 §25.1; RFC 3966 the same),
 * or -1 when a `%` in it does not start `escaped = "%" HEXDIG HEXDIG`: no other reading of a `%`
 * exists, so the URI is invalid. The escape test runs only at a `%`.
 */
export function paramcharEnd(s: string, i: number, end: number): number {
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || URI_PARAM[c] !== 1) break;
    if (c === 0x25) {
      if (i + 2 >= end || !isHexDigit(s.charCodeAt(i + 1)) || !isHexDigit(s.charCodeAt(i + 2))) return -1;
      i += 2;
    }
  }
  return i;
}

/** RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME = table('+-.', true);

export const SP = 0x20;
export const HTAB = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;
export const COLON = 0x3a;
export const SEMI = 0x3b;
export const COMMA = 0x2c;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LAQUOT = 0x3c;
export const RAQUOT = 0x3e;
export const EQUAL = 0x3d;
export const SLASH = 0x2f;

export function isWs(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * Linear white space inside a value as the parsers see it: SP and HTAB. A folded value is
 * unfolded first (decodeValue turns each CRLF and the white space after it into one SP), and an
 * unfolded line holds no CR or LF, so one found here is a bare CR (RFC 3261 §25.1: CR only in
 * CRLF) and refused, not taken as white space: `From: <sip:a@x>\r;tag=1` parsed, and the CR
 * travelled on in copies of the line and in the ACK built from it.
 */
export function isLws(c: number): boolean {
  return c === SP || c === HTAB;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** ASCII lower-casing of one code unit; non-letters pass through. */
export function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Index of the first non-LWS code unit of `s` at or after `i`. */
export function skipLws(s: string, i: number, end: number): number {
  while (i < end && isLws(s.charCodeAt(i))) i++;
  return i;
}

/** Index just after the last non-LWS code unit of `s` before `end`. */
export function trimLwsEnd(s: string, start: number, end: number): number {
  while (end > start && isLws(s.charCodeAt(end - 1))) end--;
  return end;
}

/** True when every code unit of s[start,end) is in the table (code units above 0xff never are). */
export function allIn(t: Uint8Array, s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || t[c] !== 1) return false;
  }
  return true;
}

/** ASCII case-insensitive equality without allocating lower-cased copies. */
export function ieqAscii(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && lower(x) !== lower(y)) return false;
  }
  return true;
}

/**
 * s.slice(start, end), but one of `known` (compared case-sensitively) when it matches: grammar
 * elements most messages repeat (`SIP`, `2.0`, `UDP`, `branch`, `tag`) are then shared constants
 * instead of a new string per message.
 */
export function sliceKnown(s: string, start: number, end: number, known: readonly string[]): string {
  const len = end - start;
  outer: for (let k = 0; k < known.length; k++) {
    const w = known[k] as string;
    if (w.length !== len) continue;
    for (let i = 0; i < len; i++) if (s.charCodeAt(start + i) !== w.charCodeAt(i)) continue outer;
    return w;
  }
  return s.slice(start, end);
}

/** A non-empty RFC 3261 §25.1 token (a method, a header name, a tag). */
export function isToken(s: string): boolean {
  return s.length > 0 && allIn(TOKEN, s, 0, s.length);
}
