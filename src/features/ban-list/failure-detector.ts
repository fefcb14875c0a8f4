import type { Clock } from '../../lib/time.ts';

/** How many sources the detector tracks at most; beyond it the stalest source is forgotten. */
export const MAX_TRACKED_SOURCES = 100_000;

export interface DetectorParams {
  /** Failures from one source within `windowMs` that make it an attacker. */
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxTrackedSources?: number;
}

/**
 * A sliding-window failure counter per source address (what OpenSIPS's pike does for request
 * rates, here for failed registrations): the source is reported once `maxFailures` failures fall
 * within any `windowMs`. Each source keeps at most `maxFailures` timestamps, so memory per
 * attacker is bounded, and the number of sources is capped (a spoofing flood cannot grow it).
 */
export class FailureDetector {
  private readonly failures = new Map<string, number[]>();
  private readonly maxTracked: number;

  constructor(private readonly params: DetectorParams, private readonly clock: Clock) {
    if (params.maxFailures < 1) throw new Error('maxFailures must be at least 1');
    this.maxTracked = params.maxTrackedSources ?? MAX_TRACKED_SOURCES;
  }

  /** Records one failure; true when this failure crosses the threshold (the history is then cleared). */
  record(address: string): boolean {
    const now = this.clock.nowMs();
    let times = this.failures.get(address);
    if (times === undefined) {
      if (this.failures.size >= this.maxTracked) this.evictOldest();
      times = [];
      this.failures.set(address, times);
    } else {
      // Re-insert so Map order stays "least recently failing first" for eviction.
      this.failures.delete(address);
      this.failures.set(address, times);
    }
    const from = now - this.params.windowMs;
    while (times.length > 0 && (times[0] as number) <= from) times.shift();
    times.push(now);
    if (times.length < this.params.maxFailures) return false;
    this.failures.delete(address);
    return true;
  }

  /** Failures of a source still inside the window. */
  count(address: string): number {
    const times = this.failures.get(address);
    if (times === undefined) return 0;
    const from = this.clock.nowMs() - this.params.windowMs;
    return times.filter((t) => t > from).length;
  }

  forget(address: string): void {
    this.failures.delete(address);
  }

  /** Drops sources whose last failure left the window (called from the owner's periodic sweep). */
  sweep(): void {
    const from = this.clock.nowMs() - this.params.windowMs;
    for (const [address, times] of this.failures) {
      const last = times[times.length - 1];
      if (last === undefined || last <= from) this.failures.delete(address);
    }
  }

  get trackedSources(): number {
    return this.failures.size;
  }

  private evictOldest(): void {
    const first = this.failures.keys().next();
    if (first.done !== true) this.failures.delete(first.value);
  }
}
