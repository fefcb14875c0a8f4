import { DEFAULT_NONCE_TRACK_CAPACITY, NC_WINDOW } from './limits.ts';

export type NonceCountCheck = 'ok' | 'replay' | 'unknown';

/** Which nonce a slot tracks: the index and salt carried in the nonce (nonce.ts), and its issue time. */
export interface NonceId {
  readonly index: number;
  readonly salt: number;
  readonly issuedSec: number;
}

/**
 * Remembers which nonce-counts were used with each nonce, so a captured request cannot be
 * replayed while its nonce is still fresh (RFC 7616 §3.4 / §5.2: the server should check that nc
 * increases). As Kamailio's auth module does (`nc_enabled`: an array indexed by the nonce's id), the
 * state lives in fixed arrays indexed by the index the nonce carries, modulo `capacity`: no Map, no
 * string hashed, nothing allocated per nonce (a Map keyed by the nonce text was ~8 % of a digest
 * REGISTER's CPU: lookups, inserts and rehashes of a 100 000-entry table).
 *
 * Bounded by construction: a slot is taken over by the next nonce that maps to it, which for this
 * node's own nonces (consecutive indexes) is the one issued `capacity` challenges later — the
 * oldest is forgotten first. A forgotten nonce is `unknown`, whatever its nc (a newer nonce holds
 * its slot, see `replaces`): the caller answers stale=true, which an honest client follows with a
 * fresh nonce and nc=1. The state is this node's: a request verified here could be replayed to
 * another node of the cluster within the nonce's lifetime (OpenSIPS's and Kamailio's nonce-count
 * state is per instance too; sharing it is a later issue's). A nonce past its
 * lifetime is never valid here (the caller refuses it as stale before asking). Nonces issued by
 * another node land on the slot their index gives; the salt and issue time tell them apart, so a
 * collision only makes one of them `unknown` early. Without qop there is no nc; the caller passes
 * 1, which makes such a nonce single-use.
 */
export class NonceCounts {
  private readonly index: Uint32Array;
  private readonly salt: Uint32Array;
  private readonly issued: Float64Array;
  /** Highest nonce-count accepted; 0 marks a free slot. */
  private readonly max: Uint32Array;
  /** Bit k set: nc = max - 1 - k was accepted too (a sliding window, as IPsec does for sequence numbers). */
  private readonly seen: Uint32Array;

  constructor(
    private readonly lifetimeSec: number,
    readonly capacity = DEFAULT_NONCE_TRACK_CAPACITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('nonce track capacity must be a positive integer');
    this.index = new Uint32Array(capacity);
    this.salt = new Uint32Array(capacity);
    this.issued = new Float64Array(capacity);
    this.max = new Uint32Array(capacity);
    this.seen = new Uint32Array(capacity);
  }

  /** Slots holding a nonce still inside its lifetime at `nowSec`. */
  size(nowSec: number): number {
    let n = 0;
    for (let s = 0; s < this.capacity; s++) if (this.max[s] !== 0 && nowSec - (this.issued[s] as number) < this.lifetimeSec) n++;
    return n;
  }

  /** Records `nc` for nonce `id` if it was not used before. Call only after the response verified. */
  use(id: NonceId, nc: number, nowSec: number): NonceCountCheck {
    if (nc < 1) return 'replay'; // RFC 7616 §3.4: the count starts at 00000001
    const s = id.index % this.capacity;
    const max = this.max[s] as number;
    const same = max !== 0 && this.index[s] === id.index && this.salt[s] === id.salt && this.issued[s] === id.issuedSec
      && nowSec - id.issuedSec < this.lifetimeSec;
    if (!same) {
      // A nonce seen for the first time takes the slot over, but never from a newer one: the nonce
      // it pushed out (or that pushed it out) would otherwise be new again, and its nc=1 replayable.
      if (nc !== 1 || (max !== 0 && !this.replaces(s, id, nowSec))) return 'unknown';
      this.index[s] = id.index;
      this.salt[s] = id.salt;
      this.issued[s] = id.issuedSec;
      this.max[s] = 1;
      this.seen[s] = 0;
      return 'ok';
    }
    if (nc > max) {
      const shift = nc - max;
      // Slide the window: the old max becomes bit (shift - 1), still remembered up to bit 31
      // (NC_WINDOW back); a 32-bit shift is no shift in JavaScript, hence the two cases.
      if (shift > NC_WINDOW) this.seen[s] = 0;
      else if (shift === NC_WINDOW) this.seen[s] = (1 << (NC_WINDOW - 1)) >>> 0;
      else this.seen[s] = (((this.seen[s] as number) << shift) | (1 << (shift - 1))) >>> 0;
      this.max[s] = nc;
      return 'ok';
    }
    const back = max - nc; // ≥ 0
    if (back === 0 || back > NC_WINDOW) return 'replay';
    const bit = 1 << (back - 1);
    const seen = this.seen[s] as number;
    if ((seen & bit) !== 0) return 'replay';
    this.seen[s] = (seen | bit) >>> 0;
    return 'ok';
  }

  /**
   * May nonce `id` take slot `s` over? When the slot's nonce has expired (it can never verify
   * again), or `id` is newer: issued in a later second, or in the same second with an index after
   * the slot's (this node's indexes count up, modulo 2^32). Older nonces get `unknown` (stale=true:
   * the client asks for a fresh one), so a pair of nonces sharing a slot cannot take it back and
   * forth, each turning new again.
   */
  private replaces(s: number, id: NonceId, nowSec: number): boolean {
    const issued = this.issued[s] as number;
    if (nowSec - issued >= this.lifetimeSec || id.issuedSec > issued) return true;
    if (id.issuedSec < issued) return false;
    const ahead = (id.index - (this.index[s] as number)) >>> 0;
    return ahead !== 0 && ahead < 0x8000_0000;
  }
}
