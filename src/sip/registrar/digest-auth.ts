import type { Clock, Random } from '../../lib/time.ts';
import type { Result } from '../../lib/result.ts';
import { err, ok } from '../../lib/result.ts';
import type { DigestCredentials } from './digest-credentials.ts';
import { parseDigestCredentials } from './digest-credentials.ts';
import type { DigestAlgorithm } from './digest-response.ts';
import { algorithmInfo, computeDigestResponse, computeHa1, type AlgorithmInfo } from './digest-response.ts';
import { NonceCounts, type NonceId } from './nonce-counts.ts';
import { NonceService } from './nonce.ts';
import type { CredentialStore, Credentials } from './ports.ts';

/** 401 for a registrar/UAS (WWW-Authenticate), 407 for a proxy (Proxy-Authenticate), RFC 3261 §22.1/§22.3. */
export type ChallengeKind = 'www' | 'proxy';

export interface Challenge {
  readonly status: 401 | 407;
  readonly reason: 'Unauthorized' | 'Proxy Authentication Required';
  readonly headerName: 'WWW-Authenticate' | 'Proxy-Authenticate';
  /** One header value per algorithm, most preferred first (RFC 8760 §2.4). */
  readonly values: readonly string[];
}

export interface DigestAuthOptions {
  readonly secret: string | Uint8Array;
  readonly clock: Clock;
  readonly random: Random;
  readonly credentials: CredentialStore;
  /** Offered in this order; default SHA-256 then MD5 (RFC 8760 §2.4: strongest first, MD5 for old UAs). */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** Offer qop="auth" (default true); false sends RFC 2069-style challenges. */
  readonly qopAuth?: boolean;
  readonly nonceLifetimeSec?: number;
  readonly nonceTrackCapacity?: number;
}

export interface AuthRequest {
  /** The Authorization / Proxy-Authorization value to check. */
  readonly credentials: string;
  readonly method: string;
  /** Expected realm (OpenSIPS www_authorize("realm")); also the `subscriber` domain looked up. */
  readonly realm: string;
  /** When given, the digest `uri` must equal it (RFC 2617 §3.2.2.5) with this comparison. */
  readonly requestUri?: string;
  readonly uriEquals?: (a: string, b: string) => boolean;
  /** Entity body, for qop=auth-int. */
  readonly body?: string;
}

/**
 * What the caller should do on failure: `challenge` (401/407 with a fresh nonce), `stale`
 * (same, with stale=true so the UA retries without asking its user), or `bad-request` (400).
 */
export type AuthFailureAction = 'challenge' | 'stale' | 'bad-request';

export interface AuthFailure {
  readonly code: string;
  readonly message: string;
  readonly action: AuthFailureAction;
}

export interface AuthSuccess {
  readonly username: string;
  readonly realm: string;
  readonly algorithm: DigestAlgorithm;
}

const fail = (code: string, action: AuthFailureAction, message: string) => err<AuthFailure>({ code, message, action });

/**
 * Digest authentication for REGISTER and proxied requests: challenge building and verification
 * against the `subscriber` credentials, with stateless nonces and nonce-count replay checks.
 */
export class DigestAuthenticator {
  private readonly nonces: NonceService;
  private readonly counts: NonceCounts;
  private readonly algorithms: readonly DigestAlgorithm[];

  constructor(private readonly options: DigestAuthOptions) {
    this.nonces = new NonceService({
      secret: options.secret, clock: options.clock, random: options.random,
      ...(options.nonceLifetimeSec === undefined ? {} : { lifetimeSec: options.nonceLifetimeSec }),
    });
    this.counts = new NonceCounts(this.nonces.lifetimeSec, options.nonceTrackCapacity);
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
  }

  /** The 401/407 answer to send, with one challenge per configured algorithm sharing one nonce. */
  challenge(kind: ChallengeKind, realm: string, stale = false): Challenge {
    const nonce = this.nonces.issue(realm);
    const values = this.algorithms.map((algorithm) =>
      formatChallenge({ realm, nonce, algorithm, stale, qop: this.options.qopAuth === false ? undefined : 'auth' }));
    return kind === 'www'
      ? { status: 401, reason: 'Unauthorized', headerName: 'WWW-Authenticate', values }
      : { status: 407, reason: 'Proxy Authentication Required', headerName: 'Proxy-Authenticate', values };
  }

  /**
   * Checks credentials. Synchronous when the credential store answers synchronously (a cache hit),
   * so a digest REGISTER pays for no promise; a promise when the store has to be asked.
   */
  verify(req: AuthRequest): Result<AuthSuccess, AuthFailure> | Promise<Result<AuthSuccess, AuthFailure>> {
    const parsed = parseDigestCredentials(req.credentials);
    if (!parsed.ok) return fail(parsed.error.code, parsed.error.code === 'SIP_AUTH_SCHEME' ? 'challenge' : 'bad-request', parsed.error.message);
    const c = parsed.value;
    // RFC 3261 §22.4: credentials for another realm are not ours to check; challenge for ours.
    if (c.realm !== req.realm) return fail('SIP_AUTH_REALM', 'challenge', `realm ${c.realm} is not ${req.realm}`);
    const algo = algorithmInfo(c.algorithm);
    if (algo === undefined || !this.offers(algo.name)) {
      return fail('SIP_AUTH_UNSUPPORTED', 'challenge', `algorithm ${c.algorithm} not offered`);
    }
    if (c.userhash) return fail('SIP_AUTH_UNSUPPORTED', 'challenge', 'userhash is not offered');
    // RFC 7616 §3.4 / RFC 2617 §3.2.2: qop "MUST be one of the alternatives the server indicated it
    // supports": the challenge offers qop="auth" (or none, with qopAuth false). Without qop, the
    // RFC 2069 compatible form of RFC 2617 §3.2.2.1 is accepted.
    if (c.qop !== undefined && (c.qop !== 'auth' || this.options.qopAuth === false)) return fail('SIP_AUTH_UNSUPPORTED', 'challenge', `qop ${c.qop} not offered`);
    if (req.requestUri !== undefined) {
      const same = req.uriEquals ?? ((a: string, b: string) => a === b);
      if (!same(c.uri, req.requestUri)) return fail('SIP_AUTH_URI_MISMATCH', 'bad-request', 'digest uri differs from the Request-URI');
    }
    // One MAC check per request: the issue time is kept for the nonce-count bookkeeping below.
    const issued = this.nonces.identify(c.nonce, req.realm);
    const nonceState = this.nonces.stateOf(issued);
    if (nonceState === 'invalid') return fail('SIP_AUTH_NONCE_INVALID', 'challenge', 'nonce not issued by this cluster');
    // An expired nonce is told apart only once the response proved the password (verifyWith).

    const creds = this.options.credentials.get(c.username, req.realm);
    if (creds !== undefined && typeof (creds as Promise<unknown>).then === 'function') {
      return (creds as Promise<Credentials | undefined>).then((found) => this.verifyWith(found, c, algo, issued as NonceId, req));
    }
    return this.verifyWith(creds as Credentials | undefined, c, algo, issued as NonceId, req);
  }

  /** The checks that need the subscriber's secret (verify's second half). */
  private verifyWith(creds: Credentials | undefined, c: DigestCredentials, algo: AlgorithmInfo, issued: NonceId, req: AuthRequest): Result<AuthSuccess, AuthFailure> {
    if (creds === undefined) return fail('SIP_AUTH_UNKNOWN_USER', 'challenge', `no subscriber ${c.username}@${req.realm}`);
    const ha1 = ha1For(creds, algo.hash, c.username, req.realm);
    if (ha1 === undefined) return fail('SIP_AUTH_NO_SECRET', 'challenge', `subscriber has no ${algo.hash} secret`);

    const expected = computeDigestResponse({
      algorithm: algo.name, ha1, nonce: c.nonce, method: req.method, uri: c.uri,
      qop: c.qop as 'auth' | 'auth-int' | undefined, ncText: ncText(c), cnonce: c.cnonce, body: req.body,
    });
    if (!hexEquals(expected, c.response)) return fail('SIP_AUTH_BAD_RESPONSE', 'challenge', 'digest response does not match');
    // RFC 2617 §3.2.1 (RFC 3261 §22.4 builds on it): stale=true only "if it receives a request for
    // which the nonce is invalid but with a valid digest for that nonce" — a wrong password on an
    // old nonce is a plain challenge, so stale=true never tells a guesser anything.
    if (this.nonces.stateOf(issued) === 'stale') return fail('SIP_AUTH_NONCE_STALE', 'stale', 'nonce expired');

    // Only now, with a proven password, spend the nonce-count: an attacker cannot burn them.
    const used = this.counts.use(issued, c.nc ?? 1, Math.floor(this.options.clock.wallMs() / 1000));
    if (used === 'replay') return fail('SIP_AUTH_NC_REPLAY', 'challenge', `nonce-count ${c.nc ?? 1} already used`);
    if (used === 'unknown') return fail('SIP_AUTH_NONCE_STALE', 'stale', 'nonce no longer tracked');
    return ok({ username: c.username, realm: req.realm, algorithm: algo.name });
  }

  /** Was `name` offered? RFC 7616 §3.4: the algorithm of the credentials is one the challenge named (MD5-sess only when configured). */
  private offers(name: DigestAlgorithm): boolean {
    return this.algorithms.includes(name);
  }
}

function ncText(c: DigestCredentials): string | undefined {
  return c.nc === undefined ? undefined : c.nc.toString(16).padStart(8, '0');
}

/** The stored H(A1) for `hash`, computing it from a plain password when that is what is kept. */
function ha1For(creds: Credentials, hash: 'MD5' | 'SHA-256' | 'SHA-512-256', user: string, realm: string): string | undefined {
  const stored = hash === 'MD5' ? creds.ha1 : hash === 'SHA-256' ? creds.ha1Sha256 : creds.ha1Sha512t256;
  if (stored !== undefined && stored.length > 0) return stored.toLowerCase();
  const password = creds.password;
  if (password === undefined) return undefined;
  const memo = derivedHa1.get(creds);
  if (memo !== undefined && memo.hash === hash && memo.user === user && memo.realm === realm) return memo.ha1;
  const ha1 = computeHa1(hash, user, realm, password);
  derivedHa1.set(creds, { hash, user, realm, ha1 });
  return ha1;
}

/**
 * H(A1) computed from a plain password, kept with the credentials object it came from: the
 * credential cache hands out the same object until its entry expires, so a subscriber's REGISTERs
 * hash the password once per cache lifetime instead of once each. Weakly held: the memo goes with
 * the cache entry, and holds nothing the entry does not already (the password itself).
 */
const derivedHa1 = new WeakMap<Credentials, { readonly hash: string; readonly user: string; readonly realm: string; readonly ha1: string }>();

/** Constant-time comparison of hex digests; clients may send upper-case hex. */
function hexEquals(expected: string, given: string): boolean {
  if (expected.length !== given.length) return false;
  // Every character is compared whatever the earlier ones were (no early exit), as timingSafeEqual does.
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    let c = given.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    diff |= c ^ expected.charCodeAt(i);
  }
  return diff === 0;
}

export interface ChallengeParams {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  readonly stale?: boolean;
  readonly qop?: 'auth' | 'auth,auth-int' | undefined;
  readonly opaque?: string;
}

/** A WWW-/Proxy-Authenticate value (RFC 7616 §3.3 syntax; realm/nonce/qop/opaque quoted, algorithm and stale tokens). */
export function formatChallenge(p: ChallengeParams): string {
  let v = `Digest realm="${quote(p.realm)}", nonce="${p.nonce}"`;
  if (p.qop !== undefined) v += `, qop="${p.qop}"`;
  v += `, algorithm=${p.algorithm}`;
  if (p.opaque !== undefined) v += `, opaque="${quote(p.opaque)}"`;
  if (p.stale === true) v += ', stale=true';
  return v;
}

function quote(s: string): string {
  if (s.indexOf('"') < 0 && s.indexOf('\\') < 0) return s;
  return s.replace(/["\\]/g, (m) => `\\${m}`);
}
