import type { Binding } from './binding.ts';

/** Stale entries tolerated before a compaction pass (and at least as many as live ones). */
const DEFAULT_COMPACT_MIN = 4096;

/**
 * Bindings bucketed by their expiry second, so an expiry pass touches only what is due instead of
 * scanning a million contacts. A bucket is a plain array: refreshing a binding replaces the object
 * and the old one is only marked (its `indexedSec` cleared), not spliced out; a Set per second did
 * the same in O(1) but grew, shrank and rehashed its table on nearly every REGISTER (3–4 % of a
 * REGISTER's CPU). The marked entries are dropped when their second is drained, or by a compaction
 * pass once they outnumber the live ones (amortised O(1) per removal), so a phone re-registering
 * every second cannot leave an hour of stale copies behind. The pass still checks every binding it
 * hands out (one added as already due sits in another second's bucket). Permanent bindings
 * (expires 0) are never indexed.
 */
export class ExpiryIndex {
  private readonly buckets = new Map<number, Binding[]>();
  /** Last second drained: everything expiring at or before it has been handed out. */
  private drainedSec: number;
  private live = 0;
  private stale = 0;

  constructor(startSec: number, private readonly compactMin = DEFAULT_COMPACT_MIN) {
    this.drainedSec = Math.floor(startSec) - 1;
  }

  /** Bindings indexed (for statistics and tests). */
  size(): number {
    return this.live;
  }

  /** Entries the buckets hold, marked ones included (bounded by compaction; for tests). */
  held(): number {
    return this.live + this.stale;
  }

  add(b: Binding): void {
    if (b.expiresSec === 0 || b.indexedSec !== 0) return;
    // Already due (loaded from the database, or replicated late): hand it out on the next pass.
    const sec = Math.max(b.expiresSec, this.drainedSec + 1);
    const bucket = this.buckets.get(sec);
    if (bucket === undefined) this.buckets.set(sec, [b]);
    else bucket.push(b);
    b.indexedSec = sec;
    this.live++;
  }

  /** Takes `b` out of the index (a refreshed or removed binding); false when it was not in it. */
  remove(b: Binding): boolean {
    if (b.indexedSec === 0) return false;
    b.indexedSec = 0;
    this.live--;
    if (++this.stale > this.compactMin && this.stale > this.live) this.compact();
    return true;
  }

  /**
   * Hands every binding filed at a second ≤ `nowSec` to `visit`, oldest second first. A binding is
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
    for (let i = 0; i < bucket.length; i++) {
      const b = bucket[i] as Binding;
      if (b.indexedSec !== sec) {
        // Marked (refreshed or removed since), or filed again under another second.
        if (this.stale > 0) this.stale--;
        continue;
      }
      b.indexedSec = 0;
      this.live--;
      visit(b);
    }
  }

  /** Drops every marked entry: O(entries), run when they outnumber the live ones. */
  private compact(): void {
    for (const [sec, bucket] of this.buckets) {
      let n = 0;
      for (let i = 0; i < bucket.length; i++) {
        const b = bucket[i] as Binding;
        if (b.indexedSec === sec) bucket[n++] = b;
      }
      if (n === 0) this.buckets.delete(sec);
      else bucket.length = n;
    }
    this.stale = 0;
  }

  clear(): void {
    for (const bucket of this.buckets.values()) for (const b of bucket) b.indexedSec = 0;
    this.buckets.clear();
    this.live = 0;
    this.stale = 0;
  }
}
