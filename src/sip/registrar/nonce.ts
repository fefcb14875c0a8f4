import { timingSafeEqual } from 'node:crypto';
import type { Clock, Random } from '../../lib/time.ts';
import { DEFAULT_NONCE_LIFETIME_SEC, NONCE_FUTURE_SKEW_SEC } from './limits.ts';
import type { NonceId } from './nonce-counts.ts';
import { HmacSha256 } from './one-shot-hash.ts';

export type NonceCheck = 'valid' | 'stale' | 'invalid';

export interface NonceOptions {
  /** Shared by every node of the cluster (config), so a nonce issued by one verifies on another. */
  readonly secret: string | Uint8Array;
  readonly clock: Clock;
  /** The salt comes from here (pure folder: no Math.random, no crypto.randomBytes). */
  readonly random: Random;
  readonly lifetimeSec?: number;
}

const TS_BYTES = 4;
const INDEX_BYTES = 4;
const SALT_BYTES = 4;
/** timestamp ‖ index ‖ salt: what the MAC covers (with the realm). */
const HEAD_BYTES = TS_BYTES + INDEX_BYTES + SALT_BYTES;
const MAC_BYTES = 16;
const NONCE_BYTES = HEAD_BYTES + MAC_BYTES;
/** Nonces this node issued last, kept whole so that their answers need no MAC (a power of two). */
const RECENT_NONCES = 8192;

/**
 * Stateless nonces: base64url(timestamp ‖ index ‖ salt ‖ HMAC-SHA256(secret, timestamp ‖ index ‖
 * salt ‖ realm)). The server keeps nothing per challenge, so a flood of unauthenticated REGISTERs
 * costs no memory, and any node with the secret can verify (RFC 7616 §3.3 leaves the nonce format
 * to the server; §5.5 suggests a timestamp and a keyed hash). The timestamp is wall-clock seconds
 * so that nodes agree on age; an expired nonce is `stale` (RFC 7616 §3.3 stale=true: the client
 * retries with the same password without asking the user), a forged or mangled one `invalid`.
 * Binding the realm stops a nonce of one realm from being used in another. The index counts this
 * node's challenges (from a random start) and places the nonce's nonce-count state
 * (nonce-counts.ts, as Kamailio's nonce id does); the salt is random per nonce. The MAC covers the
 * same 12 bytes as the earlier timestamp ‖ 8-byte-salt layout, so nonces verify across versions.
 */
export class NonceService {
  private readonly hmac: HmacSha256;
  readonly lifetimeSec: number;
  /** Scratch for a decoded nonce and the MAC it should carry (calls are synchronous). */
  private readonly decoded = Buffer.alloc(NONCE_BYTES);
  private readonly expected = Buffer.alloc(MAC_BYTES);
  /**
   * The last RECENT_NONCES nonces issued here, decoded, in the slot their index gives, with the
   * realm each was issued for. A nonce that comes back byte for byte equal to the one its slot
   * holds, for the same realm, is one we issued: its MAC is known to be right without computing
   * it (two SHA-256 runs per authenticated request saved; clients answer a challenge within
   * milliseconds). Anything else — another node's nonce, an older one, a mangled one — is checked
   * by its MAC as before. The table holds what we sent in the clear, so it reveals nothing.
   */
  private readonly recent = Buffer.alloc(RECENT_NONCES * NONCE_BYTES);
  private readonly recentRealm: string[] = new Array<string>(RECENT_NONCES).fill('');
  private macs = 0;
  private nextIndex: number;

  constructor(private readonly options: NonceOptions) {
    const secret = Buffer.from(options.secret);
    if (secret.length < 16) throw new Error('nonce secret must have at least 16 bytes');
    this.hmac = new HmacSha256(secret);
    this.lifetimeSec = options.lifetimeSec ?? DEFAULT_NONCE_LIFETIME_SEC;
    this.nextIndex = Buffer.from(options.random.bytes(INDEX_BYTES)).readUInt32BE(0);
  }

  private nowSec(): number {
    return Math.floor(this.options.clock.wallMs() / 1000);
  }

  issue(realm: string): string {
    const buf = Buffer.allocUnsafe(NONCE_BYTES);
    const index = this.nextIndex;
    this.nextIndex = (index + 1) >>> 0;
    buf.writeUInt32BE(this.nowSec() >>> 0, 0);
    buf.writeUInt32BE(index, TS_BYTES);
    buf.set(this.options.random.bytes(SALT_BYTES), TS_BYTES + INDEX_BYTES);
    this.hmac.macInto(buf.subarray(0, HEAD_BYTES), realm, buf.subarray(HEAD_BYTES));
    this.macs++;
    const slot = index & (RECENT_NONCES - 1);
    buf.copy(this.recent, slot * NONCE_BYTES);
    // The realm string of the slot is kept when equal: no new string retained per challenge.
    if (this.recentRealm[slot] !== realm) this.recentRealm[slot] = realm;
    return buf.toString('base64url');
  }

  /** MACs computed so far, issued and checked (statistics and tests: recent nonces are checked without one). */
  get macsComputed(): number {
    return this.macs;
  }

  /** `valid`, `stale` (authentic but past its lifetime) or `invalid` (not ours, or from the future). */
  check(nonce: string, realm: string): NonceCheck {
    return this.stateOf(this.identify(nonce, realm));
  }

  /** check() for what identify() already returned: one MAC per verification, not two. */
  stateOf(id: NonceId | undefined): NonceCheck {
    if (id === undefined) return 'invalid';
    const age = this.nowSec() - id.issuedSec;
    if (age < -NONCE_FUTURE_SKEW_SEC) return 'invalid';
    return age >= this.lifetimeSec ? 'stale' : 'valid';
  }

  /** The issue time of an authentic nonce, undefined otherwise. */
  issuedSec(nonce: string, realm: string): number | undefined {
    return this.identify(nonce, realm)?.issuedSec;
  }

  /** Issue time, index and salt of an authentic nonce (for the nonce-count bookkeeping), undefined otherwise. */
  identify(nonce: string, realm: string): NonceId | undefined {
    // base64url of 28 bytes is 38 characters; check before decoding untrusted input.
    if (nonce.length !== 38 || !isBase64Url(nonce)) return undefined;
    const buf = this.decoded;
    if (buf.write(nonce, 'base64url') !== NONCE_BYTES) return undefined;
    if (!this.issuedRecently(buf, realm)) {
      this.hmac.macInto(buf.subarray(0, HEAD_BYTES), realm, this.expected);
      this.macs++;
      if (!timingSafeEqual(this.expected, buf.subarray(HEAD_BYTES))) return undefined;
    }
    return { issuedSec: buf.readUInt32BE(0), index: buf.readUInt32BE(TS_BYTES), salt: buf.readUInt32BE(TS_BYTES + INDEX_BYTES) };
  }

  /** Is `decoded` (a whole nonce) the one this node issued last for its slot, for `realm`? */
  private issuedRecently(decoded: Buffer, realm: string): boolean {
    const slot = decoded.readUInt32BE(TS_BYTES) & (RECENT_NONCES - 1);
    if (this.recentRealm[slot] !== realm) return false;
    const recent = this.recent;
    const at = slot * NONCE_BYTES;
    for (let i = 0; i < NONCE_BYTES; i++) if (decoded[i] !== recent[at + i]) return false;
    return true;
  }
}

/** [A-Za-z0-9_-]+ without a regular expression. */
function isBase64Url(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45)) return false;
  }
  return true;
}
