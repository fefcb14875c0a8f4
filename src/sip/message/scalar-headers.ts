/**
 * Single-valued headers with scalar grammar: CSeq (RFC 3261 §20.16), Max-Forwards (§20.22),
 * Expires (§20.19), Call-ID (§20.8), Content-Length (§20.14). Values outside their legal range are
 * errors, not clamps (RFC 4475 scalar02/scalarlg).
 */
import { MAX_CSEQ, MAX_MAX_FORWARDS, MAX_EXPIRES, MAX_METHOD_BYTES } from './limits.ts';
import { TOKEN, WORD, isDigit, isLws, skipLws, trimLwsEnd } from './chars.ts';
import { parseError, type SipParseError, type SipParseErrorCode } from './errors.ts';
import type { Result } from '../../lib/result.ts';

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/**
 * Reads 1*DIGIT from s[i,end) as a number no larger than `max`. Leading zeros are allowed (RFC 4475
 * wsinv `0068`, `0009`). Returns [value, next] or undefined.
 */
export function readUint(s: string, i: number, end: number, max: number): [number, number] | undefined {
  const start = i;
  let n = 0;
  while (i < end && isDigit(s.charCodeAt(i))) {
    n = n * 10 + (s.charCodeAt(i) - 0x30);
    if (n > max) return undefined;
    i++;
  }
  return i === start ? undefined : [n, i];
}

function bad(code: SipParseErrorCode, message: string): { ok: false; error: SipParseError } {
  return { ok: false, error: parseError(code, message) };
}

/** CSeq = 1*DIGIT LWS Method, the number at most 2**32-1. */
export function parseCSeq(s: string, start = 0, stop = s.length): Result<CSeq, SipParseError> {
  const end = trimLwsEnd(s, start, stop);
  const i = skipLws(s, start, end);
  const n = readUint(s, i, end, MAX_CSEQ);
  if (n === undefined) return bad('SIP_PARSE_BAD_CSEQ', 'CSeq number missing or above 2**32-1');
  const [seq, next] = n;
  if (next >= end || !isLws(s.charCodeAt(next))) return bad('SIP_PARSE_BAD_CSEQ', 'CSeq needs a method after the number');
  const m = skipLws(s, next, end);
  let j = m;
  while (j < end && s.charCodeAt(j) <= 0xff && TOKEN[s.charCodeAt(j)] === 1) j++;
  if (j === m || j !== end || j - m > MAX_METHOD_BYTES) return bad('SIP_PARSE_BAD_CSEQ', 'CSeq method is not a token');
  return { ok: true, value: { seq, method: s.slice(m, j) } };
}

/**
 * parseCSeq() read straight from the received bytes buf[start,end) (a header value the scan already
 * trimmed and that has no continuation lines): no string for the value, a shared constant for a
 * known method. Same results and errors as parseCSeq on the decoded value: the grammar is ASCII, so a
 * byte above 0x7f fails here where its UTF-8 character fails there.
 */
export function cseqAt(buf: Buffer, start: number, end: number, methodAt: (buf: Buffer, s: number, e: number) => string): CSeq | SipParseError {
  let i = start;
  let n = 0;
  while (i < end && isDigit(buf[i] as number)) {
    n = n * 10 + ((buf[i] as number) - 0x30);
    if (n > MAX_CSEQ) break;
    i++;
  }
  if (i === start || n > MAX_CSEQ) return parseError('SIP_PARSE_BAD_CSEQ', 'CSeq number missing or above 2**32-1');
  if (i >= end || !isLws(buf[i] as number)) return parseError('SIP_PARSE_BAD_CSEQ', 'CSeq needs a method after the number');
  while (i < end && isLws(buf[i] as number)) i++;
  const m = i;
  while (i < end && TOKEN[buf[i] as number] === 1) i++;
  if (i === m || i !== end || i - m > MAX_METHOD_BYTES) return parseError('SIP_PARSE_BAD_CSEQ', 'CSeq method is not a token');
  return { seq: n, method: methodAt(buf, m, i) };
}

/** parseMaxForwards() read straight from trimmed, unfolded bytes (see cseqAt); -1 when malformed. */
export function maxForwardsAt(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  let i = start;
  while (i < end && isDigit(buf[i] as number)) {
    n = n * 10 + ((buf[i] as number) - 0x30);
    if (n > MAX_MAX_FORWARDS) return -1;
    i++;
  }
  return i === start || i !== end ? -1 : n;
}

/** Max-Forwards = 1*DIGIT, 0..255. */
export function parseMaxForwards(s: string, start = 0, stop = s.length): Result<number, SipParseError> {
  const end = trimLwsEnd(s, start, stop);
  const i = skipLws(s, start, end);
  const n = readUint(s, i, end, MAX_MAX_FORWARDS);
  if (n === undefined || n[1] !== end) return bad('SIP_PARSE_BAD_MAX_FORWARDS', 'Max-Forwards is not a number 0..255');
  return { ok: true, value: n[0] };
}

/** Expires = delta-seconds (32 bits). */
export function parseExpires(s: string): Result<number, SipParseError> {
  const end = trimLwsEnd(s, 0, s.length);
  const i = skipLws(s, 0, end);
  const n = readUint(s, i, end, MAX_EXPIRES);
  if (n === undefined || n[1] !== end) return bad('SIP_PARSE_BAD_NUMBER', 'Expires is not delta-seconds below 2**32');
  return { ok: true, value: n[0] };
}

/** parseCallId's verdict on bytes buf[start,end) (a value range: no LWS at either end), without a string. */
export function validCallIdAt(buf: Uint8Array, start: number, end: number): boolean {
  if (start >= end) return false;
  let at = -1;
  for (let j = start; j < end; j++) {
    const c = buf[j] as number;
    if (c === 0x40 && at < 0 && j > start) at = j;
    else if (WORD[c] !== 1) return false;
  }
  return at !== end - 1;
}

/**
 * Call-ID = word [ "@" word ] (RFC 4475 intmeth uses most word characters). Like parseCSeq and
 * parseMaxForwards, reads all of `s` or the range s[start,stop).
 */
export function parseCallId(s: string, start = 0, stop = s.length): Result<string, SipParseError> {
  const end = trimLwsEnd(s, start, stop);
  const i = skipLws(s, start, end);
  let at = -1;
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x40 && at < 0 && j > i) at = j;
    else if (c > 0xff || WORD[c] !== 1) return bad('SIP_PARSE_BAD_CALL_ID', 'Call-ID has a character outside word');
  }
  if (i === end || at === end - 1) return bad('SIP_PARSE_BAD_CALL_ID', 'empty Call-ID or word');
  return { ok: true, value: i === 0 && end === s.length ? s : s.slice(i, end) };
}

/**
 * Content-Length from the raw bytes (read during the scan, since framing depends on it):
 * 1*DIGIT, at most `maxDigits` digits, surrounding white space allowed. -1 when malformed.
 */
export function contentLengthAt(buf: Uint8Array, start: number, end: number, maxDigits: number): number {
  // 1*DIGIT (RFC 3261 §20.14): leading zeros are allowed and do not count towards the limit.
  while (end - start > 1 && buf[start] === 0x30) start++;
  if (start >= end || end - start > maxDigits) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}
