import type { Clock } from '../../lib/time.ts';

/** Most bans a table holds; a full table refuses new bans (FEATURE_BAN_TABLE_FULL) rather than grow. */
export const MAX_BANS = 100_000;
/** Longest ban a peer may impose (a remote `BAN:` with a larger value is clamped). */
export const MAX_BAN_MS = 7 * 24 * 3600 * 1000;
/** User-Agent strings are kept for the operator, cut to this many characters. */
export const MAX_USER_AGENT_CHARS = 200;

export interface Ban {
  readonly address: string;
  readonly reason: string;
  readonly userAgent: string;
  /** Monotonic time (the table's Clock) at which the ban lapses. */
  readonly expiresAtMs: number;
  /** Node that detected the attacker (ours for local detections), undefined when set by hand. */
  readonly originNodeId: number | undefined;
  readonly createdAtMs: number;
}

export interface BanInput {
  readonly reason: string;
  readonly userAgent?: string;
  readonly banMs: number;
  readonly originNodeId?: number;
}

export type PutResult = 'added' | 'extended' | 'kept' | 'full';

/**
 * Banned source addresses with expiry. Expiry is checked on lookup (a lapsed entry is gone the
 * moment it is read), and `sweep()` removes the lapsed ones nobody asked about. Merging is
 * "keep the later expiry": applying the same ban twice, or a peer's older view of it, never
 * shortens a ban, so bans gossiped in any order converge.
 */
export class BanTable {
  private readonly bans = new Map<string, Ban>();

  constructor(private readonly clock: Clock, private readonly maxBans = MAX_BANS) {}

  /** The hot-path check: one Map lookup and one comparison. */
  get(address: string): Ban | undefined {
    const b = this.bans.get(address);
    if (b === undefined) return undefined;
    if (b.expiresAtMs > this.clock.nowMs()) return b;
    this.bans.delete(address);
    return undefined;
  }

  put(address: string, input: BanInput): PutResult {
    const now = this.clock.nowMs();
    const expiresAtMs = now + Math.min(Math.max(0, input.banMs), MAX_BAN_MS);
    const old = this.get(address);
    if (old !== undefined && old.expiresAtMs >= expiresAtMs) return 'kept';
    if (old === undefined && this.bans.size >= this.maxBans) {
      this.sweep();
      if (this.bans.size >= this.maxBans) return 'full';
    }
    this.bans.set(address, {
      address,
      reason: input.reason,
      userAgent: (input.userAgent ?? '').slice(0, MAX_USER_AGENT_CHARS),
      expiresAtMs,
      originNodeId: input.originNodeId,
      createdAtMs: old?.createdAtMs ?? now,
    });
    return old === undefined ? 'added' : 'extended';
  }

  delete(address: string): boolean {
    const had = this.get(address) !== undefined;
    this.bans.delete(address);
    return had;
  }

  /** Removes lapsed bans; returns how many. */
  sweep(): number {
    const now = this.clock.nowMs();
    let n = 0;
    for (const [address, b] of this.bans) {
      if (b.expiresAtMs <= now) {
        this.bans.delete(address);
        n++;
      }
    }
    return n;
  }

  /** Live bans, soonest expiry last. */
  list(): Ban[] {
    this.sweep();
    return [...this.bans.values()].sort((a, b) => b.expiresAtMs - a.expiresAtMs);
  }

  get size(): number {
    return this.bans.size;
  }
}
