import { DEFAULT_NONCE_TRACK_CAPACITY, NC_WINDOW } from './limits.ts';

export type NonceCountCheck = 'ok' | 'replay' | 'unknown';

interface Tracked {
  issuedSec: number;
  /** Highest nonce-count accepted. */
  max: number;
  /** Bit k set: nc = max - 1 - k was accepted too (a sliding window, as IPsec does for sequence numbers). */
  seen: number;
}

/**
 * Remembers which nonce-counts were used with each nonce, so a captured request cannot be
 * replayed while its nonce is still fresh (RFC 7616 §3.4 / §5.2: the server should check that nc
 * increases). Bounded: at most `capacity` nonces, oldest forgotten first, and nonces past their
 * lifetime are dropped as they reach the front. A forgotten nonce with nc > 1 is `unknown`: the
 * caller answers stale=true, which an honest client follows with a fresh nonce and nc=1.
 * Without qop there is no nc; the caller passes 1, which makes such a nonce single-use.
 */
export class NonceCounts {
  private readonly map = new Map<string, Tracked>();

  constructor(
    private readonly lifetimeSec: number,
    private readonly capacity = DEFAULT_NONCE_TRACK_CAPACITY,
  ) {}

  size(): number {
    return this.map.size;
  }

  /** Records `nc` for `nonce` if it was not used before. Call only after the response verified. */
  use(nonce: string, nc: number, issuedSec: number, nowSec: number): NonceCountCheck {
    this.prune(nowSec);
    const t = this.map.get(nonce);
    if (t === undefined) {
      if (nc !== 1) return 'unknown';
      if (this.map.size >= this.capacity) this.evictOldest();
      this.map.set(nonce, { issuedSec, max: 1, seen: 0 });
      return 'ok';
    }
    if (nc > t.max) {
      const shift = nc - t.max;
      // Slide the window: the old max becomes bit (shift - 1).
      t.seen = shift >= NC_WINDOW ? 0 : ((t.seen << shift) | (1 << (shift - 1))) >>> 0;
      t.max = nc;
      return 'ok';
    }
    const back = t.max - nc; // ≥ 0
    if (back === 0 || back > NC_WINDOW) return 'replay';
    const bit = 1 << (back - 1);
    if ((t.seen & bit) !== 0) return 'replay';
    t.seen = (t.seen | bit) >>> 0;
    return 'ok';
  }

  private prune(nowSec: number): void {
    // Insertion order is issue order closely enough (a nonce is first used soon after issue).
    for (const [nonce, t] of this.map) {
      if (nowSec - t.issuedSec < this.lifetimeSec) break;
      this.map.delete(nonce);
    }
  }

  private evictOldest(): void {
    const first = this.map.keys().next();
    if (first.done !== true) this.map.delete(first.value);
  }
}
