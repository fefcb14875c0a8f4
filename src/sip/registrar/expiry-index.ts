import type { Binding } from './binding.ts';

/**
 * Bindings bucketed by their expiry second, so an expiry pass touches only what is due instead of
 * scanning a million contacts. Refreshing a binding replaces the object, so the old one stays in
 * its bucket as a stale entry; the pass hands every entry to the caller, which drops the ones no
 * longer current (cheaper than finding and deleting them at refresh time). Permanent bindings
 * (expires 0) are never indexed.
 */
export class ExpiryIndex {
  private readonly buckets = new Map<number, Binding[]>();
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
    if (bucket === undefined) this.buckets.set(sec, [b]);
    else bucket.push(b);
    this.entries++;
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
    this.entries -= bucket.length;
    for (let i = 0; i < bucket.length; i++) visit(bucket[i] as Binding);
  }

  clear(): void {
    this.buckets.clear();
    this.entries = 0;
  }
}
