import type { Binding } from './binding.ts';

/**
 * Bindings bucketed by their expiry second, so an expiry pass touches only what is due instead of
 * scanning a million contacts. Refreshing a binding replaces the object: the store takes the old
 * one out of its bucket (`remove`, O(1) with a Set per second), otherwise a phone re-registering
 * every second would leave an hour of stale copies behind. The pass still checks every entry it
 * hands out (an entry added as already due sits in another second's bucket). Permanent bindings
 * (expires 0) are never indexed.
 */
export class ExpiryIndex {
  private readonly buckets = new Map<number, Set<Binding>>();
  /** Last second drained: everything expiring at or before it has been handed out. */
  private drainedSec: number;
  private entries = 0;

  constructor(startSec: number) {
    this.drainedSec = Math.floor(startSec) - 1;
  }

  /** Entries held, stale ones included (for statistics and tests). */
  size(): number {
    return this.entries;
  }

  add(b: Binding): void {
    if (b.expiresSec === 0) return;
    // Already due (loaded from the database, or replicated late): hand it out on the next pass.
    const sec = Math.max(b.expiresSec, this.drainedSec + 1);
    const bucket = this.buckets.get(sec);
    if (bucket === undefined) this.buckets.set(sec, new Set([b]));
    else bucket.add(b);
    this.entries++;
  }

  /** Takes `b` out of its second's bucket (a refreshed or removed binding); false when it is not there. */
  remove(b: Binding): boolean {
    if (b.expiresSec === 0) return false;
    const bucket = this.buckets.get(b.expiresSec);
    if (bucket === undefined || !bucket.delete(b)) return false;
    this.entries--;
    if (bucket.size === 0) this.buckets.delete(b.expiresSec);
    return true;
  }

  /**
   * Hands every entry whose second is ≤ `nowSec` to `visit`, oldest second first. A binding is
   * due when `expiresSec <= now` (OpenSIPS VALID_CONTACT keeps it while `expires > now`).
   */
  drain(nowSec: number, visit: (b: Binding) => void): void {
    const target = Math.floor(nowSec);
    if (target <= this.drainedSec) return;
    if (target - this.drainedSec <= this.buckets.size * 4) {
      // Normal case (pass every second or so): walk the seconds in order.
      for (let s = this.drainedSec + 1; s <= target; s++) this.drainBucket(s, visit);
    } else {
      // A long gap (first pass after load, or a paused process): walk the buckets instead of the seconds.
      const due = [...this.buckets.keys()].filter((s) => s <= target).sort((a, b) => a - b);
      for (const s of due) this.drainBucket(s, visit);
    }
    this.drainedSec = target;
  }

  private drainBucket(sec: number, visit: (b: Binding) => void): void {
    const bucket = this.buckets.get(sec);
    if (bucket === undefined) return;
    this.buckets.delete(sec);
    this.entries -= bucket.size;
    for (const b of bucket) visit(b);
  }

  clear(): void {
    this.buckets.clear();
    this.entries = 0;
  }
}
