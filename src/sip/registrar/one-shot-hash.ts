import * as crypto from 'node:crypto';

/**
 * Hashes without a Hash/Hmac object per call. Node ≥ 20.12 has the one-shot `crypto.hash()`
 * (a third of `createHash().update().digest()`'s cost, and no object for the GC); on older Node
 * (package.json allows ≥ 20.6) the same values come from `createHash`/`createHmac`.
 */
type OneShot = (algorithm: string, data: string | Uint8Array, outputEncoding: 'hex' | 'latin1') => string;
const oneShot: OneShot | undefined = typeof (crypto as { hash?: unknown }).hash === 'function'
  ? (crypto as unknown as { hash: OneShot }).hash
  : undefined;

/** Lower-case hex digest of `data` (a string is hashed as UTF-8) with a Node hash name (`md5`, `sha256`…). */
export function hexDigest(nodeName: string, data: string): string {
  return oneShot !== undefined ? oneShot(nodeName, data, 'hex') : crypto.createHash(nodeName).update(data, 'utf8').digest('hex');
}

/** SHA-256's block size: RFC 2104 pads the key to it. */
const BLOCK = 64;

/**
 * HMAC-SHA256 with a fixed key (RFC 2104: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))), computed as two
 * one-shot hashes over buffers prepared once: the same bytes `createHmac('sha256', key)` gives,
 * at a quarter of its cost (no Hmac object and no key import per call). The message is written
 * into a scratch buffer after the padded key, so one instance must not be used re-entrantly
 * (it is not: the calls are synchronous).
 */
export class HmacSha256 {
  private readonly key: Buffer;
  private readonly inner: Buffer;
  private readonly outer: Buffer;

  constructor(secret: Uint8Array) {
    // RFC 2104 §2: a key longer than the block is hashed first; a shorter one is zero-padded.
    this.key = Buffer.from(secret.length > BLOCK ? crypto.createHash('sha256').update(secret).digest() : secret);
    const k = Buffer.alloc(BLOCK);
    this.key.copy(k);
    this.inner = Buffer.alloc(BLOCK + 256);
    this.outer = Buffer.alloc(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      this.inner[i] = (k[i] as number) ^ 0x36;
      this.outer[i] = (k[i] as number) ^ 0x5c;
    }
  }

  /** The MAC of `head ‖ UTF-8(tail)`, its first `out.length` bytes written into `out` (at most 32). */
  macInto(head: Uint8Array, tail: string, out: Uint8Array): void {
    if (oneShot === undefined || head.length + Buffer.byteLength(tail, 'utf8') > this.inner.length - BLOCK) {
      const d = crypto.createHmac('sha256', this.key).update(head).update(tail, 'utf8').digest();
      out.set(d.subarray(0, out.length));
      return;
    }
    this.inner.set(head, BLOCK);
    const end = BLOCK + head.length + this.inner.write(tail, BLOCK + head.length, 'utf8');
    this.outer.write(oneShot('sha256', this.inner.subarray(0, end), 'latin1'), BLOCK, 'latin1');
    const mac = oneShot('sha256', this.outer, 'latin1');
    for (let i = 0; i < out.length; i++) out[i] = mac.charCodeAt(i);
  }
}
