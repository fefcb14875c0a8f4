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

export const realRandom: Random = {
  next: () => Math.random(),
  bytes: (n: number) => randomBytes(n),
};
