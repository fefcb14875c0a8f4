/**
 * Time and randomness as injected capabilities. Pure folders (DESIGN.md §2) never touch the
 * global clock, timers or Math.random: they receive these interfaces, so tests can drive them
 * with a fake clock and simulations can replay a seed.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional allowed). Only differences are meaningful. */
  nowMs(): number;
  /** Wall-clock milliseconds since the Unix epoch, for values that leave the process. */
  wallMs(): number;
}

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /** Calls `fn` once after `delayMs`. */
  after(delayMs: number, fn: () => void): TimerHandle;
}

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}
