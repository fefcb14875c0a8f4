import { hexDigest } from './one-shot-hash.ts';

/**
 * The digest computations of RFC 7616 §3.4.1–3.4.3 (and RFC 2617 §3.2.2, RFC 2069 for the no-qop
 * form), for the algorithms RFC 8760 brings to SIP. Pure functions over strings: the RFC example
 * values are unit-tested against them.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
export type DigestHash = 'MD5' | 'SHA-256' | 'SHA-512-256';

export interface AlgorithmInfo {
  readonly name: DigestAlgorithm;
  readonly hash: DigestHash;
  readonly nodeName: string;
  readonly sess: boolean;
}

const ALGORITHMS: readonly AlgorithmInfo[] = [
  { name: 'MD5', hash: 'MD5', nodeName: 'md5', sess: false },
  { name: 'MD5-sess', hash: 'MD5', nodeName: 'md5', sess: true },
  { name: 'SHA-256', hash: 'SHA-256', nodeName: 'sha256', sess: false },
  { name: 'SHA-256-sess', hash: 'SHA-256', nodeName: 'sha256', sess: true },
  { name: 'SHA-512-256', hash: 'SHA-512-256', nodeName: 'sha512-256', sess: false },
  { name: 'SHA-512-256-sess', hash: 'SHA-512-256', nodeName: 'sha512-256', sess: true },
];

/** The algorithm an `algorithm=` token names (case-insensitive, RFC 7616 §3.3), or undefined. */
export function algorithmInfo(token: string): AlgorithmInfo | undefined {
  // Exact spellings first (what every client sends): no upper-cased copy per request.
  for (const a of ALGORITHMS) if (a.name === token) return a;
  const t = token.toUpperCase();
  for (const a of ALGORITHMS) if (a.name.toUpperCase() === t) return a;
  return undefined;
}

/** Node's name for each digest hash. */
const NODE_NAME: Readonly<Record<DigestHash, string>> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Lower-case hex digest of `data` (UTF-8) with the named hash. */
export function hexHash(hash: DigestHash, data: string): string {
  return hexDigest(NODE_NAME[hash], data);
}

/** H(A1) for the non-session form: H(username ":" realm ":" password) — what `ha1` columns hold. */
export function computeHa1(hash: DigestHash, username: string, realm: string, password: string): string {
  return hexHash(hash, `${username}:${realm}:${password}`);
}

export interface DigestInput {
  readonly algorithm: DigestAlgorithm;
  /** H(username:realm:password), lower-case hex, for the algorithm's hash. */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  /** The `uri` parameter exactly as the client sent it (RFC 7616 §3.4.6). */
  readonly uri: string;
  readonly qop?: 'auth' | 'auth-int' | undefined;
  /** nonce-count as sent: 8 hex digits. */
  readonly ncText?: string | undefined;
  readonly cnonce?: string | undefined;
  /** Entity body for qop=auth-int (empty when absent). */
  readonly body?: string | undefined;
}

/** The expected `response` value (lower-case hex) for `input`. */
export function computeDigestResponse(input: DigestInput): string {
  const info = algorithmInfo(input.algorithm) as AlgorithmInfo;
  // hexDigest(node, …) each time, not a local `H` closure: under tsx every closure made per call
  // pays an Object.defineProperty (esbuild keepNames' __name), ~0.25 µs per digest check.
  const node = info.nodeName;
  // RFC 7616 §3.4.2: the -sess A1 folds nonce and cnonce into the stored H(A1).
  const ha1 = info.sess ? hexDigest(node, `${input.ha1}:${input.nonce}:${input.cnonce ?? ''}`) : input.ha1;
  // RFC 7616 §3.4.3: auth-int adds H(entity-body) to A2.
  const a2 = input.qop === 'auth-int' ? `${input.method}:${input.uri}:${hexDigest(node, input.body ?? '')}` : `${input.method}:${input.uri}`;
  const ha2 = input.qop === 'auth-int' ? hexDigest(node, a2) : ha2Of(info, a2);
  if (input.qop === undefined) return hexDigest(node, `${ha1}:${input.nonce}:${ha2}`); // RFC 2069 / RFC 2617 §3.2.2.1 without qop
  return hexDigest(node, `${ha1}:${input.nonce}:${input.ncText ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}

/**
 * H(A2) for `method:uri` (no body): the same few values over and over — every REGISTER a phone
 * sends to its registrar names the same URI — so they are remembered (RFC 7616 §3.4.3 makes A2
 * depend on nothing else). Bounded: short A2s only, and the table is emptied when full, so a
 * client cycling URIs costs a hash each, as before, and no memory.
 */
const HA2_MEMO_ENTRIES = 1024;
const HA2_MEMO_MAX_A2 = 256;
const ha2Memo: ReadonlyArray<Map<string, string>> = ALGORITHMS.map(() => new Map());

function ha2Of(info: AlgorithmInfo, a2: string): string {
  if (a2.length > HA2_MEMO_MAX_A2) return hexDigest(info.nodeName, a2);
  const memo = ha2Memo[ALGORITHMS.indexOf(info)] as Map<string, string>;
  const known = memo.get(a2);
  if (known !== undefined) return known;
  const ha2 = hexDigest(info.nodeName, a2);
  if (memo.size >= HA2_MEMO_ENTRIES) memo.clear();
  memo.set(a2, ha2);
  return ha2;
}
