import type { Binding, BindingFields } from './binding.ts';
import type { ContactKey } from './contact-match.ts';

/**
 * Where a change came from, so that subscribers can tell their own echo from news: cluster
 * replication (usrloc-contact-repl) broadcasts `local` and `admin` changes and applies remote
 * ones as `replicated`; `loaded` is the preload from the database at start.
 */
export type ChangeOrigin = 'local' | 'replicated' | 'loaded' | 'admin';

/** Change events, in the order the store applied them. */
export type LocationEvent =
  | { readonly kind: 'insert'; readonly binding: Binding; readonly origin: ChangeOrigin }
  | { readonly kind: 'update'; readonly binding: Binding; readonly previous: Binding; readonly origin: ChangeOrigin }
  | { readonly kind: 'delete'; readonly binding: Binding; readonly origin: ChangeOrigin }
  | { readonly kind: 'expire'; readonly binding: Binding };

export type LocationListener = (event: LocationEvent) => void;

/**
 * A walk over every binding that a periodic task (NAT keep-alive pings) advances a slice at a
 * time. It holds a position, not a copy: nothing is allocated per binding, and bindings added or
 * removed while it walks are met or skipped as the store's iteration order has them.
 */
export interface BindingScan {
  /**
   * Hands up to `max` bindings to `visit`, from where the previous call stopped; returns how many.
   * Fewer than `max` means the walk reached the end, and the next call starts again from the first
   * binding. `visit` must not change the store.
   */
  next(max: number, visit: (b: Binding) => void): number;
}

export interface InsertOptions {
  readonly origin?: ChangeOrigin;
  /** Keep this id (a replicated or loaded contact); a fresh one is made otherwise. */
  readonly contactId?: bigint;
  /** Keep this `last_modified` (replicated or loaded); now otherwise. */
  readonly lastModifiedSec?: number;
}

/**
 * The location service: AoR → bindings. Synchronous — one event loop owns it (DESIGN.md §2) —
 * and persistence happens behind it (see ports.ts). AoRs are compared as given: callers
 * canonicalise them (`user@domain`, domain lower-cased) before calling.
 */
export interface LocationStore {
  /**
   * Current bindings of `aor` (expired-but-not-yet-swept ones are left out). O(1) for the AoR.
   * `nowSec`: the wall-clock second the caller already read for this request (the registrar does),
   * so that one REGISTER reads the clock once; the store's clock otherwise.
   */
  lookup(aor: string, nowSec?: number): readonly Binding[];
  /** The binding `key` designates (RFC 3261 §10.3 step 8 / RFC 5626 §6), if any. */
  find(aor: string, key: ContactKey): Binding | undefined;
  findById(aor: string, contactId: bigint): Binding | undefined;
  insert(aor: string, fields: BindingFields, options?: InsertOptions): Binding;
  /** Replaces `previous` (which must be current) by a binding with `fields`; the contact id stays. */
  update(previous: Binding, fields: BindingFields, options?: InsertOptions): Binding;
  /** Removes one binding; false when it was no longer current. */
  remove(binding: Binding, origin?: ChangeOrigin): boolean;
  /** Removes every binding of `aor` (OpenSIPS `ul_rm`, `Contact: *`); returns how many. */
  removeAor(aor: string, origin?: ChangeOrigin): number;
  /** Removes bindings whose time has come; returns how many. Cost is proportional to what is due. */
  expire(): number;
  /**
   * Removes the due bindings of one AoR now, as expire() would (an `expire` event each); returns
   * how many. For a writer about to match contacts by their string (usrloc:add), which must not
   * update or duplicate a contact that is no longer valid (OpenSIPS VALID_CONTACT).
   */
  expireAor(aor: string): number;
  /** AoRs with at least one binding, in insertion order (for `ul_dump`). */
  aors(): IterableIterator<string>;
  aorCount(): number;
  contactCount(): number;
  /** A new resumable walk over every binding, expired-but-not-yet-swept ones included. */
  scan(): BindingScan;
  /**
   * True unless the binding came from another node (origin `replicated`): the node that took the
   * REGISTER owns it. Per-contact work that only the owner may do — NAT pings, which only its
   * address can send through the phone's NAT, and removing a contact that stopped answering them —
   * asks this (OpenSIPS usrloc pinging_mode "ownership").
   */
  ownedHere(binding: Binding): boolean;
  subscribe(listener: LocationListener): () => void;
  /** Reads the persisted rows (persistence modes other than `none`); returns how many were loaded. */
  load(): Promise<number>;
  /** Resolves once every write-through write issued so far has settled. */
  persisted(): Promise<void>;
  /** True while persisted() would wait (a write-through write in flight): a REGISTER answers at once otherwise. */
  writesPending(): boolean;
  /** Writes the queued write-back changes; no-op in the other modes. */
  flush(): Promise<void>;
}
