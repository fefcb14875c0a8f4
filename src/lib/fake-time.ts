import type { Clock, Random, TimerHandle, Timers } from './time.ts';

interface Pending {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic clock and timer queue for tests and simulations. `advance(ms)` fires due
 * timers in time order (ties in the order they were set), moving `nowMs` to each timer's time.
 */
export class FakeClock implements Clock, Timers {
  private now: number;
  private readonly wallOffsetMs: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(startMs = 0, wallOffsetMs = 1_700_000_000_000) {
    this.now = startMs;
    this.wallOffsetMs = wallOffsetMs;
  }

  nowMs(): number {
    return this.now;
  }

  wallMs(): number {
    return this.wallOffsetMs + this.now;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    const p: Pending = { atMs: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(p);
    return { cancel: () => { p.cancelled = true; } };
  }

  /** Number of timers still waiting to fire. */
  pendingCount(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const next = this.pending[0];
      if (next === undefined || next.atMs > target) break;
      this.pop();
      if (next.cancelled) continue;
      next.cancelled = true;
      this.now = Math.max(this.now, next.atMs);
      next.fn();
    }
    this.now = target;
  }

  // A binary heap ordered by (atMs, seq): simulations keep tens of thousands of packets in
  // flight, and a linear scan per fired timer made a 16-node bootstrap quadratic.
  private push(p: Pending): void {
    const h = this.pending;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as Pending, h[parent] as Pending)) break;
      [h[i], h[parent]] = [h[parent] as Pending, h[i] as Pending];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.pending;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l] as Pending, h[m] as Pending)) m = l;
      if (r < h.length && before(h[r] as Pending, h[m] as Pending)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as Pending, h[i] as Pending];
      i = m;
    }
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** A seeded pseudo-random source (mulberry32), so simulations can be replayed from a seed. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}
