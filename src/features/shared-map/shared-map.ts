import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import { SipclusterError } from '../../lib/errors.ts';
import type { Clock } from '../../lib/time.ts';
import { MAX_TTL_MS, MIN_TTL_MS } from './limits.ts';
import { decodeMapMessage, encodeDump, encodeMapMessage, isKey, isValue, type DecodeResult, type MapMessage, type WireEntry } from './map-messages.ts';
import { MapTable, type MapEntry } from './map-table.ts';

/** The cluster as one map needs it: the talking cluster's generic messages, bound to the map's cluster id. */
export interface MapClusterPort {
  /** Broadcast a request to every reachable node (fire and forget). */
  broadcast(msg: string): void;
  /** Answer a request of `nodeId` (same tag). */
  reply(nodeId: number, msg: string, tag: string): void;
  /** Ask every reachable node (or one) and collect the replies until each answered or the deadline. */
  request(msg: string, opts: { nodeId?: number; timeoutMs: number }): Promise<{ replies: ReadonlyArray<{ srcId: number; msg: string }>; complete: boolean }>;
}

export interface SharedMapConfig {
  readonly name: string;
  /** Lifetime of an entry without a refresh, unless the claim names another. */
  readonly defaultTtlMs: number;
  readonly maxEntries?: number;
  /** Overrides the deps' askTimeoutMs for this map. */
  readonly askTimeoutMs?: number;
}

/** Something worth a log line: a claim lost to another node, a malformed message. */
export type MapEvent =
  | { readonly kind: 'lost'; readonly map: string; readonly key: string; readonly winnerNodeId: number }
  | { readonly kind: 'unconfirmed-claim'; readonly map: string; readonly key: string }
  | { readonly kind: 'malformed'; readonly map: string; readonly fromNodeId: number; readonly reason: string };

export interface SharedMapDeps {
  readonly clock: Clock;
  readonly counters: CounterFactory;
  /** This node's id: the owner of what it claims. */
  readonly nodeId: number;
  readonly port: MapClusterPort;
  /** How long a claim waits for WHO? answers, and a DUMP? for its reply (default 1000 ms). */
  readonly askTimeoutMs?: number;
  /** DUMP? attempts towards a node that came up (it may not route back to us yet). Default 3. */
  readonly dumpAttempts?: number;
  readonly report?: (e: MapEvent) => void;
}

/** An entry as the script and the MI see it. */
export interface EntryView {
  readonly key: string;
  readonly value: string;
  readonly ownerNodeId: number;
  readonly mine: boolean;
  readonly expiresInMs: number;
  readonly claimedAtMs: number;
}

export interface ClaimOptions {
  /** Lifetime without a refresh (default: the map's defaultTtlMs). */
  readonly ttlMs?: number;
  /** Keep the entry alive by re-announcing it every TTL/3 until released (default true); false: it lapses after ttlMs. */
  readonly refresh?: boolean;
  /** Ask the cluster who owns the key before claiming it (default true). */
  readonly ask?: boolean;
}

interface OwnState { refresh: boolean; lastAnnouncedMs: number }

/**
 * One replicated key/value map (DESIGN.md §1 "route calls for a conference to the node hosting
 * it"). Every entry has one owner node and an expiry. The owner claims, refreshes and releases;
 * the other nodes keep read-only copies learned from its announcements and drop them when they
 * lapse, when the owner releases them, or when the owner goes Down. A claim first asks the
 * cluster (WHO?) so that a node that just started does not open a second copy of a running room;
 * two claims that still cross are settled by `claimWins` (earlier claim, then lower node id) on
 * every node alike, and the loser yields. A node that comes up is asked for its entries (DUMP?),
 * which is how a late joiner, or a node back from a partition, learns the map.
 * No timers of its own: the owner calls `tick()` periodically (refreshes and sweep).
 */
export class SharedMap {
  readonly name: string;
  readonly defaultTtlMs: number;
  private readonly table: MapTable;
  private readonly own = new Map<string, OwnState>();
  private readonly dumping = new Set<number>();
  private readonly askTimeoutMs: number;
  private readonly c: {
    announced: Counter; learned: Counter; conflicts: Counter; lost: Counter; expired: Counter;
    forgotten: Counter; refused: Counter; malformed: Counter; dumped: Counter; entries: Gauge; owned: Gauge;
  };

  constructor(cfg: SharedMapConfig, private readonly deps: SharedMapDeps) {
    this.name = cfg.name;
    this.defaultTtlMs = clampTtl(cfg.defaultTtlMs);
    this.table = new MapTable(deps.clock, cfg.maxEntries);
    this.askTimeoutMs = cfg.askTimeoutMs ?? deps.askTimeoutMs ?? 1000;
    const f = deps.counters;
    const n = `map:${cfg.name}_`;
    this.c = {
      announced: f.counter(`${n}announced`, 'SET/DEL announcements this node sent as owner'),
      learned: f.counter(`${n}learned`, 'entries added or refreshed from other nodes'),
      conflicts: f.counter(`${n}conflicts`, 'claims of a key another node already held, settled by the conflict rule'),
      lost: f.counter(`${n}lost`, 'keys this node held and gave up to an earlier claim'),
      expired: f.counter(`${n}expired`, 'entries that lapsed without a refresh'),
      forgotten: f.counter(`${n}forgotten`, 'entries dropped because their owner went Down'),
      refused: f.counter(`${n}refused`, 'entries refused because the map was full'),
      dumped: f.counter(`${n}dumped`, 'entries received in DUMP replies (what a node that came up had)'),
      malformed: f.counter('map:malformed', 'MAP: messages that did not parse or broke a bound, dropped'),
      entries: f.gauge(`${n}entries`, 'live entries, own and learned'),
      owned: f.gauge(`${n}owned`, 'live entries this node owns'),
    };
  }

  get nodeId(): number {
    return this.deps.nodeId;
  }

  get(key: string): EntryView | undefined {
    const e = this.table.get(key);
    if (e === undefined) {
      this.own.delete(key);
      return undefined;
    }
    return this.view(e);
  }

  list(): EntryView[] {
    const out = this.table.list().map((e) => this.view(e));
    this.gauges();
    return out;
  }

  /**
   * Get-or-claim: the entry of whoever owns `key` (known here, or learned by asking the cluster),
   * or, when nobody does, a new entry owned by this node with `value`, announced to all. On a key
   * this node already owns it refreshes the entry (and takes the new value). A claim while some
   * node did not answer in time goes ahead (the conflict rule settles a clash) and is reported.
   */
  async claim(key: string, value: string, opts: ClaimOptions = {}): Promise<EntryView> {
    checkKeyValue(key, value);
    checkTtl(opts.ttlMs);
    const have = this.table.get(key);
    if (have !== undefined && have.ownerNodeId !== this.deps.nodeId) return this.view(have);
    if (have === undefined && opts.ask !== false) {
      const r = await this.deps.port.request(encodeMapMessage({ kind: 'who', map: this.name, key }), { timeoutMs: this.askTimeoutMs });
      for (const rpl of r.replies) this.receive(rpl.srcId, rpl.msg, undefined);
      const now = this.table.get(key);
      if (now !== undefined) {
        if (now.ownerNodeId !== this.deps.nodeId) return this.view(now);
      } else if (!r.complete) {
        this.deps.report?.({ kind: 'unconfirmed-claim', map: this.name, key });
      }
    }
    return this.set(key, value, opts);
  }

  /**
   * Sets an entry owned by this node without asking anyone (MI map:set, or a claim decided): an
   * entry of another node that wins the conflict rule is kept and returned instead.
   */
  set(key: string, value: string, opts: Omit<ClaimOptions, 'ask'> = {}): EntryView {
    checkKeyValue(key, value);
    checkTtl(opts.ttlMs);
    const ttlMs = clampTtl(opts.ttlMs ?? this.defaultTtlMs);
    const old = this.table.get(key);
    const claimedAtMs = old !== undefined && old.ownerNodeId === this.deps.nodeId ? old.claimedAtMs : Math.round(this.deps.clock.wallMs());
    const r = this.table.put(key, { value, ownerNodeId: this.deps.nodeId, claimedAtMs, ttlMs });
    if (r.kind === 'full') {
      this.c.refused.inc();
      throw new SipclusterError('FEATURE_MAP_TABLE_FULL', `map ${this.name} is full`, { map: this.name });
    }
    if (r.kind === 'kept') {
      this.c.conflicts.inc();
      return this.view(r.other);
    }
    this.own.set(key, { refresh: opts.refresh !== false, lastAnnouncedMs: this.deps.clock.nowMs() });
    this.announce(this.table.get(key) as MapEntry);
    this.gauges();
    return this.view(this.table.get(key) as MapEntry);
  }

  /** Gives up a key this node owns and tells the others (DEL). False when it is not ours. */
  release(key: string): boolean {
    const e = this.table.get(key);
    if (e === undefined || e.ownerNodeId !== this.deps.nodeId) return false;
    this.table.delete(key);
    this.own.delete(key);
    this.deps.port.broadcast(encodeMapMessage({ kind: 'del', map: this.name, key }));
    this.c.announced.inc();
    this.gauges();
    return true;
  }

  /**
   * MI map:remove: releases the key when this node owns it; otherwise forgets the local copy
   * only (the owner's next refresh brings it back: remove it on the owner to close it everywhere).
   */
  remove(key: string): 'released' | 'forgotten' | 'not-found' {
    const e = this.table.get(key);
    if (e === undefined) return 'not-found';
    if (e.ownerNodeId === this.deps.nodeId) {
      this.release(key);
      return 'released';
    }
    this.table.delete(key);
    this.gauges();
    return 'forgotten';
  }

  /**
   * A decoded `MAP:` message for this map from node `from`; `tag` is set for requests (to reply
   * with). Replies to our own WHO?/DUMP? come through here too.
   */
  handle(from: number, m: MapMessage, tag: string | undefined): void {
    switch (m.kind) {
      case 'set':
      case 'own':
        this.learn(from, m);
        return;
      case 'dump':
        this.c.dumped.inc(m.entries.length);
        for (const e of m.entries) this.learn(from, e);
        return;
      case 'del': {
        const e = this.table.get(m.key);
        if (e !== undefined && e.ownerNodeId === from) this.table.delete(m.key);
        this.gauges();
        return;
      }
      case 'who': {
        if (tag === undefined) return;
        const e = this.table.get(m.key);
        const reply: MapMessage = e !== undefined && e.ownerNodeId === this.deps.nodeId
          ? { kind: 'own', map: this.name, ...this.wire(e) }
          : { kind: 'none', map: this.name, key: m.key };
        this.deps.port.reply(from, encodeMapMessage(reply), tag);
        return;
      }
      case 'dump?': {
        if (tag === undefined) return;
        // Soonest-to-lapse last: if the reply must be cut, what is left out is refreshed soonest.
        const mine = this.table.list().filter((e) => e.ownerNodeId === this.deps.nodeId).sort((a, b) => b.expiresAtMs - a.expiresAtMs);
        this.deps.port.reply(from, encodeDump(this.name, mine.map((e) => this.wire(e))).text, tag);
        return;
      }
      case 'none':
        return;
    }
  }

  /** Parses and handles one message text (replies collected by request()). */
  private receive(from: number, text: string, tag: string | undefined): void {
    const r = decodeForMap(text, this.name);
    if (r === undefined) return;
    if (!r.ok) {
      this.c.malformed.inc();
      this.deps.report?.({ kind: 'malformed', map: this.name, fromNodeId: from, reason: r.reason });
      return;
    }
    this.handle(from, r.msg, tag);
  }

  /** A node came up: ask it for its entries (the late joiner's, and the healed partition's, catch-up). */
  async nodeUp(nodeId: number): Promise<number> {
    if (this.dumping.has(nodeId)) return 0;
    this.dumping.add(nodeId);
    try {
      const attempts = this.deps.dumpAttempts ?? 3;
      for (let i = 0; i < attempts; i++) {
        const r = await this.deps.port.request(encodeMapMessage({ kind: 'dump?', map: this.name }), { nodeId, timeoutMs: this.askTimeoutMs });
        const rpl = r.replies.find((x) => x.srcId === nodeId);
        if (rpl !== undefined) {
          const before = this.table.size;
          this.receive(nodeId, rpl.msg, undefined);
          return this.table.size - before;
        }
      }
      return 0;
    } finally {
      this.dumping.delete(nodeId);
    }
  }

  /** A node went Down: its entries are forgotten at once (no waiting for their expiry). */
  nodeDown(nodeId: number): number {
    const n = this.table.deleteOwner(nodeId);
    this.c.forgotten.inc(n);
    this.gauges();
    return n;
  }

  /** Periodic work: lapsed entries go, own entries due for a refresh are re-announced (every TTL/3). */
  tick(): void {
    for (const e of this.table.sweep()) {
      this.c.expired.inc();
      this.own.delete(e.key);
    }
    const now = this.deps.clock.nowMs();
    for (const [key, st] of this.own) {
      const e = this.table.get(key);
      if (e === undefined || e.ownerNodeId !== this.deps.nodeId) {
        this.own.delete(key);
        continue;
      }
      if (!st.refresh || now - st.lastAnnouncedMs < e.ttlMs / 3) continue;
      this.table.put(key, { value: e.value, ownerNodeId: e.ownerNodeId, claimedAtMs: e.claimedAtMs, ttlMs: e.ttlMs });
      st.lastAnnouncedMs = now;
      this.announce(this.table.get(key) as MapEntry);
    }
    this.gauges();
  }

  private learn(from: number, w: WireEntry): void {
    if (from === this.deps.nodeId) return;
    const r = this.table.put(w.key, { value: w.value, ownerNodeId: from, claimedAtMs: w.claimedAtMs, ttlMs: w.ttlMs });
    switch (r.kind) {
      case 'full':
        this.c.refused.inc();
        return;
      case 'kept':
        this.c.conflicts.inc();
        // Our claim is the earlier one: say so again, so the other claimant yields too.
        if (r.other.ownerNodeId === this.deps.nodeId) this.announce(r.other);
        return;
      case 'replaced':
        this.c.conflicts.inc();
        if (r.other.ownerNodeId === this.deps.nodeId) {
          this.own.delete(w.key);
          this.c.lost.inc();
          this.deps.report?.({ kind: 'lost', map: this.name, key: w.key, winnerNodeId: from });
        }
        break;
      default:
        break;
    }
    this.c.learned.inc();
    this.gauges();
  }

  private announce(e: MapEntry): void {
    this.deps.port.broadcast(encodeMapMessage({ kind: 'set', map: this.name, ...this.wire(e) }));
    this.c.announced.inc();
  }

  private wire(e: MapEntry): WireEntry {
    return { key: e.key, ttlMs: Math.max(0, Math.ceil(e.expiresAtMs - this.deps.clock.nowMs())), claimedAtMs: e.claimedAtMs, value: e.value };
  }

  private view(e: MapEntry): EntryView {
    return {
      key: e.key, value: e.value, ownerNodeId: e.ownerNodeId, mine: e.ownerNodeId === this.deps.nodeId,
      expiresInMs: Math.max(0, Math.ceil(e.expiresAtMs - this.deps.clock.nowMs())), claimedAtMs: e.claimedAtMs,
    };
  }

  private gauges(): void {
    this.c.entries.set(this.table.size);
    this.c.owned.set(this.own.size);
  }
}

function clampTtl(ms: number): number {
  return Math.min(Math.max(Math.round(ms), MIN_TTL_MS), MAX_TTL_MS);
}

/** A TTL that is not a number (NaN) made an entry that read back as gone and a throw inside the map. */
function checkTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !Number.isFinite(ttlMs)) throw new SipclusterError('FEATURE_MAP_INVALID_TTL', `ttlMs must be a number of milliseconds, not ${String(ttlMs)}`);
}

/** Keys and values come from scripts and the MI: a bad one is the caller's error. */
function checkKeyValue(key: string, value: string): void {
  if (!isKey(key)) throw new SipclusterError('FEATURE_MAP_INVALID_KEY', `not a map key (1–128 printable characters, no ':'): ${JSON.stringify(key.slice(0, 140))}`);
  if (!isValue(value)) throw new SipclusterError('FEATURE_MAP_INVALID_VALUE', 'a map value is one line of at most 512 characters');
}

/** Decodes a message meant for map `name`; undefined when it is for another map. */
function decodeForMap(text: string, name: string): DecodeResult | undefined {
  const r = decodeMapMessage(text);
  if (r.ok && r.msg.map !== name) return undefined;
  return r;
}
