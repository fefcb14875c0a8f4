import type { Result } from '../../lib/result.ts';
import { err, ok } from '../../lib/result.ts';
import { MAX_AUTH_PARAMS, MAX_CREDENTIALS_BYTES } from './limits.ts';

/** The fields of a Digest Authorization / Proxy-Authorization value (RFC 7616 §3.4, RFC 3261 §25.1 digest-response). */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  /** As sent (compare case-insensitively); "MD5" when absent (RFC 7616 §3.3). */
  readonly algorithm: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  /** "auth" or "auth-int"; absent for RFC 2069 clients. */
  readonly qop?: string;
  /** nonce-count as a number (RFC 7616: 8 hex digits); present exactly when qop is. */
  readonly nc?: number;
  readonly userhash: boolean;
}

export interface CredentialsError {
  readonly code: 'SIP_AUTH_MALFORMED' | 'SIP_AUTH_SCHEME';
  readonly message: string;
}

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;
const isTchar = (c: number): boolean => c < 128 && TCHAR[c] === 1;
/** LWS as SIP allows it around separators (RFC 3261 §25.1; folding is undone by the parser). */
const isWs = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

/** One auth-param as nextParam() read it: the name's range in the value, the unquoted value. */
interface ParamCursor {
  nameStart: number;
  nameEnd: number;
  value: string;
  /** Set when nextParam() returned -1. */
  error: string;
}

/**
 * Reads `auth-param *( "," auth-param )`'s next element at i (after the scheme, or after a comma):
 * token "=" ( token / quoted-string ), quoted-pair `\x` → `x`. Returns the index after it and its
 * separating comma, `value.length` at the end, or -1 with `cur.error` set.
 */
function nextParam(value: string, i: number, cur: ParamCursor): number {
  const n = value.length;
  const nameStart = i;
  while (i < n && isTchar(value.charCodeAt(i))) i++;
  if (i === nameStart) { cur.error = `unexpected character at ${i}`; return -1; }
  cur.nameStart = nameStart;
  cur.nameEnd = i;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  if (value.charCodeAt(i) !== 61 /* = */) { cur.error = `'=' expected after ${value.slice(nameStart, cur.nameEnd)}`; return -1; }
  i++;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  if (value.charCodeAt(i) === 34 /* " */) {
    i++;
    let out = '';
    let run = i;
    for (;;) {
      if (i >= n) { cur.error = `unterminated quoted-string in ${value.slice(nameStart, cur.nameEnd)}`; return -1; }
      const c = value.charCodeAt(i);
      if (c === 34) break;
      if (c === 92 /* \ */) {
        if (i + 1 >= n) { cur.error = `dangling escape in ${value.slice(nameStart, cur.nameEnd)}`; return -1; }
        out += value.slice(run, i);
        run = i + 1;
        i += 2;
        continue;
      }
      i++;
    }
    cur.value = out + value.slice(run, i);
    i++;
  } else {
    const start = i;
    while (i < n && isTchar(value.charCodeAt(i))) i++;
    if (i === start) { cur.error = `value expected for ${value.slice(nameStart, cur.nameEnd)}`; return -1; }
    cur.value = value.slice(start, i);
  }
  while (i < n && isWs(value.charCodeAt(i))) i++;
  if (i >= n) return n;
  if (value.charCodeAt(i) !== 44 /* , */) { cur.error = `',' expected at ${i}`; return -1; }
  i++;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  return i;
}

/** Skips leading LWS and the scheme token; returns the index of the first auth-param (or -1: no scheme). */
function afterScheme(value: string): number {
  let i = 0;
  const n = value.length;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isTchar(value.charCodeAt(i))) i++;
  if (i === schemeStart) return -1;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  return i;
}

/**
 * A malformed-credentials result. Module level on purpose: a closure made per parse costs an
 * Object.defineProperty under tsx (esbuild keepNames wraps it in __name), ~0.25 µs per request.
 */
function bad(message: string): Result<never, CredentialsError> {
  return err<CredentialsError>({ code: 'SIP_AUTH_MALFORMED', message });
}

/**
 * Splits `scheme auth-param *( "," auth-param )` (RFC 7235 §2.1) into the scheme and a map of
 * lower-cased parameter names to values, unquoting quoted-strings (quoted-pair `\x` → `x`).
 * A repeated parameter is malformed (RFC 7616 §3.4: each parameter at most once).
 */
export function parseAuthParams(value: string): Result<{ scheme: string; params: Map<string, string> }, CredentialsError> {
  if (value.length > MAX_CREDENTIALS_BYTES) return bad(`credentials longer than ${MAX_CREDENTIALS_BYTES} bytes`);
  let i = afterScheme(value);
  if (i < 0) return bad('missing auth-scheme');
  const scheme = value.slice(0, i).trim();
  const params = new Map<string, string>();
  const cur: ParamCursor = { nameStart: 0, nameEnd: 0, value: '', error: '' };
  while (i < value.length) {
    i = nextParam(value, i, cur);
    if (i < 0) return bad(cur.error);
    const name = value.slice(cur.nameStart, cur.nameEnd).toLowerCase();
    if (params.has(name)) return bad(`parameter ${name} repeated`);
    if (params.size >= MAX_AUTH_PARAMS) return bad(`more than ${MAX_AUTH_PARAMS} parameters`);
    params.set(name, cur.value);
  }
  return ok({ scheme, params });
}

/** RFC 8187 ext-value (`UTF-8''%e2%82%ac`), used by RFC 7616 §3.4.4 `username*`. */
function decodeExtValue(v: string): string | undefined {
  const m = /^utf-8'[^']*'(.*)$/i.exec(v);
  if (m === null) return undefined;
  try { return decodeURIComponent(m[1] ?? ''); } catch { return undefined; }
}

/** JavaScript's \s as far as SIP text can carry it (ASCII whitespace, NBSP, and the rest of Unicode's spaces). */
const isJsSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
  || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

/** The first word of `value` when it is not "Digest" (any case), else undefined: no copy in the usual case. */
function schemeOf(value: string): string | undefined {
  let i = 0;
  const n = value.length;
  while (i < n && isJsSpace(value.charCodeAt(i))) i++;
  const start = i;
  while (i < n && !isJsSpace(value.charCodeAt(i))) i++;
  if (i === start) return undefined;
  if (i - start === 6) {
    let same = true;
    for (let k = 0; k < 6; k++) if ((value.charCodeAt(start + k) | 0x20) !== 'digest'.charCodeAt(k)) { same = false; break; }
    if (same) return undefined;
  }
  return value.slice(start, i);
}

/** The credentials parameters RFC 7616 §3.4 defines, by the index parseDigestCredentials files them under. */
const KNOWN = ['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'cnonce', 'opaque', 'qop', 'nc', 'userhash', 'username*'] as const;
const USERNAME = 0, REALM = 1, NONCE = 2, URI = 3, RESPONSE = 4, ALGORITHM = 5, CNONCE = 6, OPAQUE = 7, QOP = 8, NC = 9, USERHASH = 10, USERNAME_EXT = 11;

/** Index in KNOWN of value[start, end) compared case-insensitively, or -1. */
function knownParam(value: string, start: number, end: number): number {
  const len = end - start;
  for (let k = 0; k < KNOWN.length; k++) {
    const name = KNOWN[k] as string;
    if (name.length !== len) continue;
    let same = true;
    for (let j = 0; j < len; j++) {
      let c = value.charCodeAt(start + j);
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== name.charCodeAt(j)) { same = false; break; }
    }
    if (same) return k;
  }
  return -1;
}

/**
 * Parses a Digest credentials value and checks the parameters RFC 7616 §3.4 requires. The known
 * parameters go straight to their fields (no Map per request: a digest REGISTER parses one of these
 * on every authenticated request); unknown ones are only checked for repetition and counted.
 */
export function parseDigestCredentials(value: string): Result<DigestCredentials, CredentialsError> {
  // Check the scheme before the parameters: other schemes (Basic) carry token68, not auth-params.
  const head = schemeOf(value);
  if (head !== undefined) return err({ code: 'SIP_AUTH_SCHEME', message: `scheme ${head} is not Digest` });
  if (value.length > MAX_CREDENTIALS_BYTES) return bad(`credentials longer than ${MAX_CREDENTIALS_BYTES} bytes`);
  let i = afterScheme(value);
  if (i < 0) return bad('missing auth-scheme');
  // schemeOf() accepted the first word as "Digest" (JavaScript whitespace); the token must be exactly that.
  if (value.slice(0, i).trim().toLowerCase() !== 'digest') return err({ code: 'SIP_AUTH_SCHEME', message: `scheme ${value.slice(0, i).trim()} is not Digest` });
  const got: Array<string | undefined> = new Array<string | undefined>(KNOWN.length).fill(undefined);
  let others: string[] | undefined;
  let count = 0;
  const cur: ParamCursor = { nameStart: 0, nameEnd: 0, value: '', error: '' };
  while (i < value.length) {
    i = nextParam(value, i, cur);
    if (i < 0) return bad(cur.error);
    if (++count > MAX_AUTH_PARAMS) return bad(`more than ${MAX_AUTH_PARAMS} parameters`);
    const k = knownParam(value, cur.nameStart, cur.nameEnd);
    if (k >= 0) {
      if (got[k] !== undefined) return bad(`parameter ${KNOWN[k]} repeated`);
      got[k] = cur.value;
      continue;
    }
    const name = value.slice(cur.nameStart, cur.nameEnd).toLowerCase();
    others ??= [];
    if (others.includes(name)) return bad(`parameter ${name} repeated`);
    others.push(name);
  }
  let username = got[USERNAME];
  const extUser = got[USERNAME_EXT];
  if (extUser !== undefined) {
    // RFC 7616 §3.4.4: username and username* are exclusive.
    if (username !== undefined) return bad('both username and username* given');
    username = decodeExtValue(extUser);
    if (username === undefined) return bad('username* is not a UTF-8 ext-value');
  }
  const realm = got[REALM];
  const nonce = got[NONCE];
  const uri = got[URI];
  const response = got[RESPONSE];
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return bad('username, realm, nonce, uri and response are required');
  }
  const qop = got[QOP];
  const ncText = got[NC];
  const cnonce = got[CNONCE];
  let nc: number | undefined;
  if (qop !== undefined) {
    // RFC 7616 §3.4: with qop, cnonce and nc are mandatory; nc is exactly 8 hex digits.
    if (cnonce === undefined || ncText === undefined) return bad('qop given without cnonce and nc');
    if (!isHex8(ncText)) return bad('nc is not 8 hex digits');
    nc = parseInt(ncText, 16);
  } else if (ncText !== undefined) {
    return bad('nc given without qop');
  }
  const userhashText = got[USERHASH];
  const userhash = userhashText === undefined ? false : userhashText.toLowerCase() === 'true' ? true : userhashText.toLowerCase() === 'false' ? false : undefined;
  if (userhash === undefined) return bad('userhash is neither true nor false');
  const out: { -readonly [K in keyof DigestCredentials]: DigestCredentials[K] } = {
    username, realm, nonce, uri, response, algorithm: got[ALGORITHM] ?? 'MD5', userhash,
  };
  if (cnonce !== undefined) out.cnonce = cnonce;
  const opaque = got[OPAQUE];
  if (opaque !== undefined) out.opaque = opaque;
  if (qop !== undefined) out.qop = qop;
  if (nc !== undefined) out.nc = nc;
  return ok(out);
}

/** Exactly 8 hex digits (RFC 7616 nc-value), without a regular expression. */
function isHex8(s: string): boolean {
  if (s.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return true;
}
