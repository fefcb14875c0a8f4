import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import { nullCounters } from '../../lib/counter.ts';
import type { Clock, Random } from '../../lib/time.ts';
import { makeBinding } from './binding.ts';
import type { Binding, BindingFields } from './binding.ts';
import { matchesBinding, messageUriEquals } from './contact-match.ts';
import type { ContactKey, UriEquality } from './contact-match.ts';
import { ExpiryIndex } from './expiry-index.ts';
import type { BindingScan, ChangeOrigin, InsertOptions, LocationEvent, LocationListener, LocationStore } from './location-store.ts';
import { LocationWriter } from './location-writer.ts';
import type { LocationPersistence, PersistenceMode } from './ports.ts';
import { StringPool, fnv1a32 } from './string-pool.ts';

export interface MemoryLocationStoreOptions {
  readonly clock: Clock;
  /** Seeds the contact-id labels so two nodes do not hand out the same ids for one AoR. */
  readonly random?: Random;
  readonly counters?: CounterFactory;
  /** RFC 3261 §19.1.4 comparison for Contact matching; the message layer's `uriEquals` in production. */
  readonly uriEquals?: UriEquality;
  readonly persistence?: LocationPersistence;
  readonly persistenceMode?: PersistenceMode;
  /** Called when a database write fails (an operational failure: reported, never thrown). */
  readonly onPersistenceError?: (error: unknown) => void;
}

/**
 * The in-memory location service. AoR → array of bindings in a Map (O(1) lookup, no per-AoR
 * object), an ExpiryIndex bucketed by second, interned shared strings. Events are delivered
 * synchronously after each change, so a listener sees the store already changed.
 */
export class MemoryLocationStore implements LocationStore {
  private readonly byAor = new Map<string, Binding[]>();
  /**
   * The last AoR looked up and its list: one REGISTER asks for its AoR four times (find, lookup,
   * update, the 200's bindings), and hashing the key into a large Map each time cost more than the
   * rest of the store's work. Lists are changed in place, so the pair stays right until the AoR's
   * entry is added or deleted (both reset it).
   */
  private lastAor: string | undefined = undefined;
  private lastList: Binding[] | undefined = undefined;
  private readonly expiry: ExpiryIndex;
  private readonly strings = new StringPool();
  private readonly listeners: LocationListener[] = [];
  /** Bindings another node owns (inserted or updated with origin `replicated`); empty until usrloc replication exists. */
  private readonly replicated = new WeakSet<Binding>();
  private readonly uriEquals: UriEquality;
  private readonly writer: LocationWriter | undefined;
  private nextLabel: number;
  private contacts = 0;
  private readonly usersGauge: Gauge;
  private readonly domainUsersGauge: Gauge;
  private readonly contactsGauge: Gauge;
  private readonly expiredCounter: Counter;

  constructor(private readonly options: MemoryLocationStoreOptions) {
    this.expiry = new ExpiryIndex(this.nowSec());
    this.uriEquals = options.uriEquals ?? messageUriEquals;
    const r = options.random;
    this.nextLabel = r === undefined ? 1 : Math.floor(r.next() * 0x1_0000_0000) >>> 0;
    const c = options.counters ?? nullCounters;
    // OpenSIPS usrloc statistics; "location" is the table (domain) name.
    this.usersGauge = c.gauge('usrloc:registered_users', 'AoRs with at least one contact');
    this.domainUsersGauge = c.gauge('usrloc:location-users', 'AoRs in the location table');
    this.contactsGauge = c.gauge('usrloc:location-contacts', 'contacts in the location table');
    this.expiredCounter = c.counter('usrloc:location-expires', 'contacts removed because they expired');
    const mode = options.persistenceMode ?? (options.persistence === undefined ? 'none' : 'write-through');
    if (mode !== 'none') {
      if (options.persistence === undefined) throw new Error(`persistence mode ${mode} needs a LocationPersistence`);
      this.writer = new LocationWriter(options.persistence, mode, c, options.onPersistenceError);
    }
  }

  private nowSec(): number {
    return Math.floor(this.options.clock.wallMs() / 1000);
  }

  lookup(aor: string, nowSec?: number): readonly Binding[] {
    const list = this.listOf(aor);
    if (list === undefined) return EMPTY;
    const now = nowSec ?? this.nowSec();
    for (let i = 0; i < list.length; i++) {
      const b = list[i] as Binding;
      // Expired but not yet swept: copy out only the valid ones (rare, so the common path allocates nothing).
      if (b.expiresSec !== 0 && b.expiresSec <= now) return list.filter((x) => x.expiresSec === 0 || x.expiresSec > now);
    }
    return list;
  }

  find(aor: string, key: ContactKey): Binding | undefined {
    const list = this.listOf(aor);
    if (list === undefined) return undefined;
    for (const b of list) if (matchesBinding(b, key, this.uriEquals)) return b;
    return undefined;
  }

  findById(aor: string, contactId: bigint): Binding | undefined {
    return this.listOf(aor)?.find((b) => b.contactId === contactId);
  }

  insert(aor: string, fields: BindingFields, options?: InsertOptions): Binding {
    const origin = options?.origin ?? 'local';
    const id = options?.contactId ?? this.newContactId(aor);
    const b = this.build(aor, id, fields, options?.lastModifiedSec);
    const list = this.listOf(aor);
    if (list === undefined) {
      // An array literal is allocated at its exact length; `[]` + push would reserve 17 slots.
      this.byAor.set(aor, [b]);
      this.lastAor = undefined;
      this.usersGauge.inc();
      this.domainUsersGauge.inc();
    } else {
      list.push(b);
    }
    this.contacts++;
    this.contactsGauge.inc();
    this.expiry.add(b);
    if (origin === 'loaded') b.state = 'sync';
    else this.writer?.upsert(b);
    if (origin === 'replicated') this.replicated.add(b);
    if (this.listeners.length > 0) this.emit({ kind: 'insert', binding: b, origin });
    return b;
  }

  update(previous: Binding, fields: BindingFields, options?: InsertOptions): Binding {
    const list = this.listOf(previous.aor);
    const i = list === undefined ? -1 : list.indexOf(previous);
    if (list === undefined || i < 0) throw new Error('update of a binding that is no longer current');
    const origin = options?.origin ?? 'local';
    const b = this.build(previous.aor, previous.contactId, fields, options?.lastModifiedSec, previous);
    b.state = previous.state === 'new' ? 'new' : 'dirty';
    list[i] = b;
    this.expiry.remove(previous);
    this.expiry.add(b);
    this.writer?.upsert(b);
    if (origin === 'replicated') this.replicated.add(b);
    if (this.listeners.length > 0) this.emit({ kind: 'update', binding: b, previous, origin });
    return b;
  }

  remove(binding: Binding, origin: ChangeOrigin = 'local'): boolean {
    if (!this.unlink(binding)) return false;
    this.writer?.delete(binding);
    if (this.listeners.length > 0) this.emit({ kind: 'delete', binding, origin });
    return true;
  }

  removeAor(aor: string, origin: ChangeOrigin = 'local'): number {
    const list = this.listOf(aor);
    if (list === undefined) return 0;
    const all = [...list];
    for (const b of all) this.remove(b, origin);
    return all.length;
  }

  expire(): number {
    const now = this.nowSec();
    let n = 0;
    this.expiry.drain(now, (b) => {
      // Stale entries (refreshed or removed since) are simply dropped here.
      if (b.expiresSec === 0 || b.expiresSec > now || !this.unlink(b)) return;
      n++;
      this.expired(b);
    });
    return n;
  }

  expireAor(aor: string): number {
    const list = this.listOf(aor);
    if (list === undefined) return 0;
    const now = this.nowSec();
    // A copy: unlink splices the list. Their index entries go with unlink, so the next pass does
    // not meet these bindings again.
    const due = list.filter((b) => b.expiresSec !== 0 && b.expiresSec <= now);
    for (const b of due) {
      this.unlink(b);
      this.expired(b);
    }
    return due.length;
  }

  /** What follows the unlinking of a binding whose time came, whichever pass found it. */
  private expired(b: Binding): void {
    this.expiredCounter.inc();
    this.writer?.delete(b);
    if (this.listeners.length > 0) this.emit({ kind: 'expire', binding: b });
  }

  aors(): IterableIterator<string> {
    return this.byAor.keys();
  }

  aorCount(): number {
    return this.byAor.size;
  }

  contactCount(): number {
    return this.contacts;
  }

  scan(): BindingScan {
    return new AorMapScan(this.byAor);
  }

  subscribe(listener: LocationListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async load(): Promise<number> {
    const p = this.options.persistence;
    if (p === undefined || this.writer === undefined) return 0;
    let n = 0;
    for await (const row of p.load()) {
      // A duplicate contact id (replicated before the load finished) keeps the newer copy.
      const existing = this.findById(row.aor, row.contactId);
      if (existing !== undefined && existing.lastModifiedSec >= row.lastModifiedSec) continue;
      if (existing !== undefined) this.unlink(existing);
      this.insert(row.aor, row, { origin: 'loaded', contactId: row.contactId, lastModifiedSec: row.lastModifiedSec });
      n++;
    }
    return n;
  }

  persisted(): Promise<void> {
    return this.writer?.settled() ?? Promise.resolve();
  }

  writesPending(): boolean {
    return this.writer !== undefined && this.writer.inFlight() > 0;
  }

  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }

  ownedHere(binding: Binding): boolean {
    return !this.replicated.has(binding);
  }

  private unlink(b: Binding): boolean {
    const list = this.listOf(b.aor);
    if (list === undefined) return false;
    const i = list.indexOf(b);
    if (i < 0) return false;
    list.splice(i, 1);
    this.expiry.remove(b);
    this.contacts--;
    this.contactsGauge.dec();
    if (list.length === 0) {
      this.byAor.delete(b.aor);
      this.lastAor = undefined;
      this.usersGauge.dec();
      this.domainUsersGauge.dec();
    }
    return true;
  }

  private listOf(aor: string): Binding[] | undefined {
    if (aor === this.lastAor) return this.lastList;
    const list = this.byAor.get(aor);
    this.lastAor = aor;
    this.lastList = list;
    return list;
  }

  private build(aor: string, id: bigint, f: BindingFields, lastModifiedSec: number | undefined, previous?: Binding): Binding {
    // Intern what many contacts share; contact URIs and Call-IDs are unique and kept as given.
    return makeBinding(aor, id, f, lastModifiedSec ?? this.nowSec(), this.strings, previous);
  }

  private newContactId(aor: string): bigint {
    const label = this.nextLabel;
    this.nextLabel = (this.nextLabel + 1) >>> 0;
    return (BigInt(fnv1a32(aor)) << 32n) | BigInt(label);
  }

  /** Callers check for listeners first, so a store nobody watches builds no event objects. */
  private emit(ev: LocationEvent): void {
    for (let i = 0; i < this.listeners.length; i++) (this.listeners[i] as LocationListener)(ev);
  }
}

const EMPTY: readonly Binding[] = Object.freeze([]);

/**
 * BindingScan over the AoR map: a live Map iterator is the cursor (ECMAScript Map iterators stay
 * valid while entries are added and deleted, visiting new keys and skipping removed ones), plus an
 * index into the AoR's list, which may be left halfway. Cost per call is the slice, never the map.
 */
class AorMapScan implements BindingScan {
  private it: Iterator<Binding[]> | undefined = undefined;
  private list: Binding[] | undefined = undefined;
  private i = 0;
  /** `list` is a copy of what was left of an AoR between two calls: check each is still current. */
  private copied = false;

  constructor(private readonly map: Map<string, Binding[]>) {}

  next(max: number, visit: (b: Binding) => void): number {
    let n = 0;
    while (n < max) {
      const list = this.list;
      if (list !== undefined && this.i < list.length) {
        const b = list[this.i++] as Binding;
        if (this.copied && this.map.get(b.aor)?.includes(b) !== true) continue;
        visit(b);
        n++;
        continue;
      }
      this.copied = false;
      this.it ??= this.map.values();
      const r = this.it.next();
      if (r.done === true) {
        // The end: the next call starts a new round from the first AoR.
        this.it = undefined;
        this.list = undefined;
        return n;
      }
      this.list = r.value;
      this.i = 0;
    }
    // Left halfway through an AoR: its live list may shift before the next call (a removal splices
    // it, an insert may land before the index), which would skip or repeat a binding. Keep a copy of
    // what is left instead, at most that AoR's own contacts.
    const rest = this.list;
    if (rest !== undefined && this.i > 0 && this.i < rest.length) {
      this.list = rest.slice(this.i);
      this.i = 0;
      this.copied = true;
    }
    return n;
  }
}
