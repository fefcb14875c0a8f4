import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, Random } from '../../lib/time.ts';
import { DEFAULT_NONCE_LIFETIME_SEC, NONCE_FUTURE_SKEW_SEC } from './limits.ts';

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
const SALT_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TS_BYTES + SALT_BYTES + MAC_BYTES;

/**
 * Stateless nonces: base64url(timestamp ‖ salt ‖ HMAC-SHA256(secret, timestamp ‖ salt ‖ realm)).
 * The server keeps nothing per challenge, so a flood of unauthenticated REGISTERs costs no
 * memory, and any node with the secret can verify (RFC 7616 §3.3 leaves the nonce format to the
 * server; §5.5 suggests a timestamp and a keyed hash). The timestamp is wall-clock seconds so that
 * nodes agree on age; an expired nonce is `stale` (RFC 7616 §3.3 stale=true: the client retries
 * with the same password without asking the user), a forged or mangled one `invalid`. Binding the
 * realm stops a nonce of one realm from being used in another.
 */
export class NonceService {
  private readonly secret: Buffer;
  readonly lifetimeSec: number;

  constructor(private readonly options: NonceOptions) {
    this.secret = Buffer.from(options.secret);
    if (this.secret.length < 16) throw new Error('nonce secret must have at least 16 bytes');
    this.lifetimeSec = options.lifetimeSec ?? DEFAULT_NONCE_LIFETIME_SEC;
  }

  private nowSec(): number {
    return Math.floor(this.options.clock.wallMs() / 1000);
  }

  issue(realm: string): string {
    const buf = Buffer.alloc(NONCE_BYTES);
    buf.writeUInt32BE(this.nowSec() >>> 0, 0);
    buf.set(this.options.random.bytes(SALT_BYTES), TS_BYTES);
    this.mac(buf.subarray(0, TS_BYTES + SALT_BYTES), realm).copy(buf, TS_BYTES + SALT_BYTES);
    return buf.toString('base64url');
  }

  /** `valid`, `stale` (authentic but past its lifetime) or `invalid` (not ours, or from the future). */
  check(nonce: string, realm: string): NonceCheck {
    const issued = this.issuedSec(nonce, realm);
    if (issued === undefined) return 'invalid';
    const age = this.nowSec() - issued;
    if (age < -NONCE_FUTURE_SKEW_SEC) return 'invalid';
    return age >= this.lifetimeSec ? 'stale' : 'valid';
  }

  /** The issue time of an authentic nonce (for replay bookkeeping), undefined otherwise. */
  issuedSec(nonce: string, realm: string): number | undefined {
    // base64url of 28 bytes is 38 characters; check before decoding untrusted input.
    if (nonce.length !== 38 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return undefined;
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== NONCE_BYTES) return undefined;
    const expected = this.mac(buf.subarray(0, TS_BYTES + SALT_BYTES), realm);
    if (!timingSafeEqual(expected, buf.subarray(TS_BYTES + SALT_BYTES))) return undefined;
    return buf.readUInt32BE(0);
  }

  private mac(data: Uint8Array, realm: string): Buffer {
    return createHmac('sha256', this.secret).update(data).update(realm, 'utf8').digest().subarray(0, MAC_BYTES);
  }
}
