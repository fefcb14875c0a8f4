/**
 * Copies of byte ranges that are kept for a long time, packed one after another into shared slabs.
 *
 * A Buffer that is a view keeps its whole backing store alive: a response relayed from a received
 * datagram is a view of the receive allocation (up to 64 KB per datagram in Node's dgram), and a
 * small `Buffer.allocUnsafe` is a view of an 8 KB pool slab shared with whatever was allocated next
 * to it. Kept for 32 s (a Completed transaction's final for timer J), such views held ~3 KB per call
 * and 39 of a node's 87 MB under 1 000 calls/s. Copies made here cost their own length plus a share
 * of a slab, and when the caller keeps them for one fixed lifetime (as CompactStates does) a slab is
 * freed soon after its last copy is: slabs fill in order and their copies expire in order.
 */
export class ByteSlabs {
  private slab: Buffer | undefined;
  private used = 0;

  constructor(private readonly slabBytes = 64 * 1024) {}

  /** A copy of `src` that holds no reference to `src`'s memory. */
  keep(src: Uint8Array): Buffer {
    const n = src.length;
    // A large copy gets its own store, rather than wasting a slab's tail or holding a slab alone.
    if (n > this.slabBytes >>> 3) {
      const own = Buffer.allocUnsafeSlow(n);
      own.set(src);
      return own;
    }
    let slab = this.slab;
    if (slab === undefined || this.used + n > slab.length) {
      slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.slab = slab;
      this.used = 0;
    }
    const out = slab.subarray(this.used, this.used + n);
    out.set(src);
    // 8-byte steps keep every copy aligned as a fresh allocation would be.
    this.used += (n + 7) & ~7;
    return out;
  }
}
