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

/**
 * Splits `scheme auth-param *( "," auth-param )` (RFC 7235 §2.1) into the scheme and a map of
 * lower-cased parameter names to values, unquoting quoted-strings (quoted-pair `\x` → `x`).
 * A repeated parameter is malformed (RFC 7616 §3.4: each parameter at most once).
 */
export function parseAuthParams(value: string): Result<{ scheme: string; params: Map<string, string> }, CredentialsError> {
  const bad = (message: string) => err<CredentialsError>({ code: 'SIP_AUTH_MALFORMED', message });
  if (value.length > MAX_CREDENTIALS_BYTES) return bad(`credentials longer than ${MAX_CREDENTIALS_BYTES} bytes`);
  let i = 0;
  const n = value.length;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isTchar(value.charCodeAt(i))) i++;
  if (i === schemeStart) return bad('missing auth-scheme');
  const scheme = value.slice(schemeStart, i);
  const params = new Map<string, string>();
  for (;;) {
    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && isTchar(value.charCodeAt(i))) i++;
    if (i === nameStart) return bad(`unexpected character at ${i}`);
    const name = value.slice(nameStart, i).toLowerCase();
    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (value.charCodeAt(i) !== 61 /* = */) return bad(`'=' expected after ${name}`);
    i++;
    while (i < n && isWs(value.charCodeAt(i))) i++;
    let v: string;
    if (value.charCodeAt(i) === 34 /* " */) {
      i++;
      let out = '';
      let run = i;
      for (;;) {
        if (i >= n) return bad(`unterminated quoted-string in ${name}`);
        const c = value.charCodeAt(i);
        if (c === 34) break;
        if (c === 92 /* \ */) {
          if (i + 1 >= n) return bad(`dangling escape in ${name}`);
          out += value.slice(run, i);
          run = i + 1;
          i += 2;
          continue;
        }
        i++;
      }
      v = out + value.slice(run, i);
      i++;
    } else {
      const start = i;
      while (i < n && isTchar(value.charCodeAt(i))) i++;
      if (i === start) return bad(`value expected for ${name}`);
      v = value.slice(start, i);
    }
    if (params.has(name)) return bad(`parameter ${name} repeated`);
    if (params.size >= MAX_AUTH_PARAMS) return bad(`more than ${MAX_AUTH_PARAMS} parameters`);
    params.set(name, v);
    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (i >= n) break;
    if (value.charCodeAt(i) !== 44 /* , */) return bad(`',' expected at ${i}`);
    i++;
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

/** Parses a Digest credentials value and checks the parameters RFC 7616 §3.4 requires. */
export function parseDigestCredentials(value: string): Result<DigestCredentials, CredentialsError> {
  // Check the scheme before the parameters: other schemes (Basic) carry token68, not auth-params.
  const head = schemeOf(value);
  if (head !== undefined) return err({ code: 'SIP_AUTH_SCHEME', message: `scheme ${head} is not Digest` });
  const parsed = parseAuthParams(value);
  if (!parsed.ok) return parsed;
  const { scheme, params } = parsed.value;
  if (scheme.toLowerCase() !== 'digest') return err({ code: 'SIP_AUTH_SCHEME', message: `scheme ${scheme} is not Digest` });
  const bad = (message: string) => err<CredentialsError>({ code: 'SIP_AUTH_MALFORMED', message });
  let username = params.get('username');
  const extUser = params.get('username*');
  if (extUser !== undefined) {
    // RFC 7616 §3.4.4: username and username* are exclusive.
    if (username !== undefined) return bad('both username and username* given');
    username = decodeExtValue(extUser);
    if (username === undefined) return bad('username* is not a UTF-8 ext-value');
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return bad('username, realm, nonce, uri and response are required');
  }
  const qop = params.get('qop');
  const ncText = params.get('nc');
  const cnonce = params.get('cnonce');
  let nc: number | undefined;
  if (qop !== undefined) {
    // RFC 7616 §3.4: with qop, cnonce and nc are mandatory; nc is exactly 8 hex digits.
    if (cnonce === undefined || ncText === undefined) return bad('qop given without cnonce and nc');
    if (!/^[0-9a-fA-F]{8}$/.test(ncText)) return bad('nc is not 8 hex digits');
    nc = parseInt(ncText, 16);
  } else if (ncText !== undefined) {
    return bad('nc given without qop');
  }
  const userhash = (params.get('userhash') ?? 'false').toLowerCase();
  if (userhash !== 'true' && userhash !== 'false') return bad('userhash is neither true nor false');
  const out: { -readonly [K in keyof DigestCredentials]: DigestCredentials[K] } = {
    username, realm, nonce, uri, response, algorithm: params.get('algorithm') ?? 'MD5', userhash: userhash === 'true',
  };
  if (cnonce !== undefined) out.cnonce = cnonce;
  const opaque = params.get('opaque');
  if (opaque !== undefined) out.opaque = opaque;
  if (qop !== undefined) out.qop = qop;
  if (nc !== undefined) out.nc = nc;
  return ok(out);
}
