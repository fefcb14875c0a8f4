import type { Clock } from '../../lib/time.ts';
import { MAX_ENTRIES, MAX_TTL_MS } from './limits.ts';

export interface MapEntry {
  readonly key: string;
  readonly value: string;
  readonly ownerNodeId: number;
  /** The owner's wall clock when it first claimed the key: what the conflict rule compares. */
  readonly claimedAtMs: number;
  readonly ttlMs: number;
  /** Local monotonic time (the table's Clock) at which the entry lapses without a refresh. */
  readonly expiresAtMs: number;
}

/**
 * The conflict rule, the same on every node so that all of them keep the same owner: the earlier
 * claim wins (a running room stays where it is when a partition heals); equal claim times go to
 * the lower node id. Claim times are the claimants' wall clocks, so with clocks out of step the
 * result is still the same everywhere, only "earlier" is by those clocks.
 */
export function claimWins(a: Pick<MapEntry, 'claimedAtMs' | 'ownerNodeId'>, b: Pick<MapEntry, 'claimedAtMs' | 'ownerNodeId'>): boolean {
  if (a.claimedAtMs !== b.claimedAtMs) return a.claimedAtMs < b.claimedAtMs;
  return a.ownerNodeId < b.ownerNodeId;
}

export interface EntryInput {
  readonly value: string;
  readonly ownerNodeId: number;
  readonly claimedAtMs: number;
  readonly ttlMs: number;
}

/**
 * What `put` did: added or refreshed (same owner), replaced another owner's entry (the new claim
 * won), kept the existing entry of another owner (it won), or refused (table full).
 */
export type PutOutcome =
  | { readonly kind: 'added' | 'refreshed' }
  | { readonly kind: 'replaced' | 'kept'; readonly other: MapEntry }
  | { readonly kind: 'full' };

/**
 * The entries of one map with owner and expiry. Expiry is checked on every read (a lapsed entry
 * is gone the moment it is read) and `sweep()` removes those nobody asked about.
 */
export class MapTable {
  private readonly entries = new Map<string, MapEntry>();

  constructor(private readonly clock: Clock, private readonly maxEntries = MAX_ENTRIES) {}

  get(key: string): MapEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAtMs > this.clock.nowMs()) return e;
    this.entries.delete(key);
    return undefined;
  }

  put(key: string, input: EntryInput): PutOutcome {
    const old = this.get(key);
    if (old !== undefined && old.ownerNodeId !== input.ownerNodeId && !claimWins(input, old)) return { kind: 'kept', other: old };
    if (old === undefined && this.entries.size >= this.maxEntries) {
      this.sweep();
      if (this.entries.size >= this.maxEntries) return { kind: 'full' };
    }
    const ttlMs = Math.min(Math.max(0, input.ttlMs), MAX_TTL_MS);
    this.entries.set(key, { key, value: input.value, ownerNodeId: input.ownerNodeId, claimedAtMs: input.claimedAtMs, ttlMs, expiresAtMs: this.clock.nowMs() + ttlMs });
    if (old === undefined) return { kind: 'added' };
    return old.ownerNodeId === input.ownerNodeId ? { kind: 'refreshed' } : { kind: 'replaced', other: old };
  }

  delete(key: string): MapEntry | undefined {
    const e = this.get(key);
    this.entries.delete(key);
    return e;
  }

  /** Removes every entry of one owner (that node went Down); returns how many. */
  deleteOwner(ownerNodeId: number): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.ownerNodeId === ownerNodeId) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Removes lapsed entries; returns them. */
  sweep(): MapEntry[] {
    const now = this.clock.nowMs();
    const gone: MapEntry[] = [];
    for (const [k, e] of this.entries) {
      if (e.expiresAtMs <= now) {
        this.entries.delete(k);
        gone.push(e);
      }
    }
    return gone;
  }

  /** Live entries, in insertion order. */
  list(): MapEntry[] {
    this.sweep();
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }
}
