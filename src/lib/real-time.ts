import { randomBytes } from 'node:crypto';
import type { Clock, Random, TimerHandle, Timers } from './time.ts';

/** The process clock: performance.now for monotonic time, Date.now for wall time. */
export const realClock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** Real timers. Timers are unref'd: a pending timer never keeps a stopping process alive. */
export const realTimers: Timers = {
  after(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Bytes from the CSPRNG, fetched 4 KiB at a time: one `randomBytes` call per nonce or branch is
 * a getrandom() system call each (17 % of a digest REGISTER's CPU in a profile). A refill takes a
 * new buffer, so the views handed out earlier never change under their holder.
 */
class PooledRandomBytes {
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly size: number) {}

  take(n: number): Uint8Array {
    if (n > this.size / 4) return randomBytes(n);
    if (this.offset + n > this.pool.length) {
      this.pool = randomBytes(this.size);
      this.offset = 0;
    }
    const out = this.pool.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

const RANDOM_POOL_BYTES = 4096;
const pooled = new PooledRandomBytes(RANDOM_POOL_BYTES);

export const realRandom: Random = {
  next: () => Math.random(),
  bytes: (n: number) => pooled.take(n),
};
