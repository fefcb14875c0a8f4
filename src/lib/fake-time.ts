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
    this.pending.push(p);
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
      this.pending = this.pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.pending) {
        if (p.atMs <= target && (next === undefined || p.atMs < next.atMs || (p.atMs === next.atMs && p.seq < next.seq))) next = p;
      }
      if (next === undefined) break;
      next.cancelled = true;
      this.now = Math.max(this.now, next.atMs);
      next.fn();
    }
    this.now = target;
  }
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
