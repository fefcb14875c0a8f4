import { anyNetworkContains, canonicalAddress, parseNetwork, type Network } from '../../lib/cidr.ts';
import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import type { Clock } from '../../lib/time.ts';
import { BanTable, type Ban } from './ban-table.ts';
import { FailureDetector } from './failure-detector.ts';

export type BanAction = 'reject' | 'drop';

export interface BanListConfig {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly banMs: number;
  readonly action: BanAction;
  /** CIDR networks (or bare addresses) that are never banned, whoever asks. */
  readonly trustedNetworks: readonly string[];
}

/** A detection, handed to whoever shares it with the cluster (the routing script's banDetected). */
export interface BanDetected {
  readonly address: string;
  readonly userAgent: string;
  readonly banMs: number;
  readonly failures: number;
  readonly reason: string;
}

export type BanOutcome =
  | { readonly ok: true; readonly change: 'added' | 'extended' | 'kept' }
  | { readonly ok: false; readonly code: 'FEATURE_BAN_TRUSTED' | 'FEATURE_BAN_PEER' | 'FEATURE_BAN_TABLE_FULL' | 'FEATURE_BAN_INVALID_ADDRESS' | 'FEATURE_BAN_INVALID_DURATION' };

export interface BanListDeps {
  readonly clock: Clock;
  readonly counters: CounterFactory;
  /** True for the address of a cluster peer (asked when a ban is applied, so new peers count). */
  readonly isPeer: (address: string) => boolean;
  readonly onDetected?: (d: BanDetected) => void;
  /** This node's id, recorded as the origin of its own detections. */
  readonly originNodeId?: number;
}

/**
 * The ban list of one node (DESIGN.md §1 "share an attacker's IP"): failures per source address
 * feed a sliding-window detector; a detection bans the source locally and is reported through
 * `onDetected` so the cluster hears of it; bans from peers merge in with "later expiry wins".
 * Trusted networks and cluster peers are never banned, whatever the origin of the ban.
 * Keys are packet source addresses, never Via values (a Via is whatever the attacker wrote).
 */
export class BanList {
  readonly config: BanListConfig;
  private readonly table: BanTable;
  private readonly detector: FailureDetector;
  private readonly trusted: Network[];
  private readonly bannedRequests: Counter;
  private readonly detected: Counter;
  private readonly failures: Counter;
  private readonly applied: Counter;
  private readonly refused: Counter;
  private readonly removed: Counter;
  private readonly active: Gauge;

  constructor(config: BanListConfig, private readonly deps: BanListDeps) {
    this.config = config;
    this.table = new BanTable(deps.clock);
    this.detector = new FailureDetector({ maxFailures: config.maxFailures, windowMs: config.windowMs }, deps.clock);
    this.trusted = config.trustedNetworks.map((t) => {
      const n = parseNetwork(t);
      if (n === undefined) throw new Error(`banList.trustedNetworks: '${t}' is not an address or CIDR network`);
      return n;
    });
    const c = deps.counters;
    this.bannedRequests = c.counter('ban:banned_requests', 'requests from banned sources, answered 403 or dropped');
    this.detected = c.counter('ban:detected', 'attackers this node detected');
    this.failures = c.counter('ban:failures', 'failed registrations/authentications counted by the detector');
    this.applied = c.counter('ban:applied', 'bans set or extended (local detections, peers, MI)');
    this.refused = c.counter('ban:refused', 'bans refused: trusted network or cluster peer');
    this.removed = c.counter('ban:removed', 'bans lifted by hand');
    this.active = c.gauge('ban:active', 'bans in force');
  }

  /** The intake check: the ban in force for a source, counting the request when there is one. */
  check(address: string): Ban | undefined {
    const b = this.table.get(address);
    if (b !== undefined) this.bannedRequests.inc();
    return b;
  }

  isBanned(address: string): boolean {
    return this.table.get(canonicalAddress(address) ?? address) !== undefined;
  }

  isProtected(address: string): 'FEATURE_BAN_TRUSTED' | 'FEATURE_BAN_PEER' | undefined {
    if (anyNetworkContains(this.trusted, address)) return 'FEATURE_BAN_TRUSTED';
    if (this.deps.isPeer(address)) return 'FEATURE_BAN_PEER';
    return undefined;
  }

  /**
   * One failed registration or authentication from `address`. Crossing the threshold bans the
   * source for `banMs` and reports it; returns the detection, if this failure made one.
   */
  recordFailure(address: string, userAgent: string, reason = 'brute force'): BanDetected | undefined {
    this.failures.inc();
    if (this.isProtected(address) !== undefined || this.table.get(address) !== undefined) return undefined;
    if (!this.detector.record(address)) return undefined;
    const d: BanDetected = { address, userAgent, banMs: this.config.banMs, failures: this.config.maxFailures, reason };
    const r = this.ban(address, { reason, userAgent, banMs: this.config.banMs, ...(this.deps.originNodeId === undefined ? {} : { originNodeId: this.deps.originNodeId }) });
    if (!r.ok) return undefined;
    this.detected.inc();
    this.deps.onDetected?.(d);
    return d;
  }

  /** Sets or extends a ban (merge rule: the later expiry wins). */
  ban(rawAddress: string, input: { reason: string; userAgent?: string; banMs: number; originNodeId?: number }): BanOutcome {
    // One address, in the form the socket reports sources: a network (`a/24`) or a differently
    // written IPv6 address was accepted and could never match a request.
    const address = canonicalAddress(rawAddress);
    if (address === undefined) return { ok: false, code: 'FEATURE_BAN_INVALID_ADDRESS' };
    // NaN (a missing banMs) made a ban that lapsed at once while reporting success.
    if (!(Number.isFinite(input.banMs) && input.banMs > 0)) return { ok: false, code: 'FEATURE_BAN_INVALID_DURATION' };
    const prot = this.isProtected(address);
    if (prot !== undefined) {
      this.refused.inc();
      return { ok: false, code: prot };
    }
    const r = this.table.put(address, input);
    if (r === 'full') return { ok: false, code: 'FEATURE_BAN_TABLE_FULL' };
    if (r !== 'kept') this.applied.inc();
    this.detector.forget(address);
    this.active.set(this.table.size);
    return { ok: true, change: r };
  }

  unban(address: string): boolean {
    const had = this.table.delete(canonicalAddress(address) ?? address);
    if (had) this.removed.inc();
    this.active.set(this.table.size);
    return had;
  }

  /** Live bans with the time each has left, longest first. */
  list(): Array<Ban & { readonly expiresInMs: number }> {
    const now = this.deps.clock.nowMs();
    const out = this.table.list().map((b) => ({ ...b, expiresInMs: Math.max(0, Math.ceil(b.expiresAtMs - now)) }));
    this.active.set(this.table.size);
    return out;
  }

  /** Periodic housekeeping: lapsed bans and stale failure histories. */
  sweep(): void {
    this.table.sweep();
    this.detector.sweep();
    this.active.set(this.table.size);
  }
}
