import { ALL_METHODS, Q_UNSPECIFIED } from './limits.ts';
import { ownString } from '../message/index.ts';

/**
 * OpenSIPS usrloc's contact sync state (`ul_dump` "State"): CS_NEW until the row is written,
 * CS_SYNC once the database has it, CS_DIRTY when changed since. Without persistence it stays new.
 */
export type ContactState = 'new' | 'sync' | 'dirty';

/** The fields a caller supplies to create or refresh a binding (a `location` row, OpenSIPS columns). */
export interface BindingFields {
  /** Contact URI as the UA sent it (without the name-addr brackets and contact params). */
  readonly contact: string;
  /** Absolute expiry in Unix seconds (wall clock, so it survives persistence and replication); 0 = permanent. */
  readonly expiresSec: number;
  /** q-value in thousandths (0..1000), or Q_UNSPECIFIED. */
  readonly q?: number;
  readonly callId: string;
  readonly cseq: number;
  /** Source of the REGISTER when it differs from the Contact (NAT), as a SIP URI: OpenSIPS `received`. */
  readonly received?: string;
  /** RFC 3327 Path header values joined by ',' in order, as OpenSIPS stores the `path` column. */
  readonly path?: string;
  readonly userAgent?: string;
  /** The local socket the REGISTER came in on, `proto:ip:port` (OpenSIPS `socket`). */
  readonly socket?: string;
  /** Bitmask of methods the UA accepts (OpenSIPS `methods`); ALL_METHODS when unknown. */
  readonly methods?: number;
  /** Branch/message flags saved with the contact (OpenSIPS `flags`). */
  readonly flags?: number;
  /** Names of the contact flags (OpenSIPS `cflags`, e.g. "NAT_FLAG"). */
  readonly cflags?: string;
  /** RFC 5626 §4.1 `+sip.instance` value (the `<urn:…>` string unquoted), kept for matching. */
  readonly instance?: string;
  /** RFC 5626 §4.2 `reg-id`; 0 when absent. */
  readonly regId?: number;
  /** Free-form attributes (OpenSIPS `attr` / `kv_store`). */
  readonly attrs?: Readonly<Record<string, string>>;
}

/**
 * One registered contact of an AoR. Bindings are replaced, never edited, on refresh, so that an
 * event listener may keep the object it was given; only `state` (the persistence bookkeeping)
 * changes in place. The class has one fixed shape and no closures: a million of them must fit
 * in well under 1 KB each (bench/location.bench.ts).
 */
export class Binding {
  state: ContactState = 'new';
  /** The expiry-index second this binding is filed under, 0 when not indexed (expiry-index.ts bookkeeping). */
  indexedSec = 0;

  constructor(
    /** The address-of-record, `user@domain` (OpenSIPS `username@domain`). */
    readonly aor: string,
    /** OpenSIPS-like 64-bit contact id: high 32 bits hash the AoR, low 32 bits are a label. */
    readonly contactId: bigint,
    readonly contact: string,
    readonly expiresSec: number,
    readonly q: number,
    readonly callId: string,
    readonly cseq: number,
    readonly received: string | undefined,
    readonly path: string | undefined,
    readonly userAgent: string,
    readonly socket: string,
    readonly methods: number,
    readonly flags: number,
    readonly cflags: string,
    readonly instance: string | undefined,
    readonly regId: number,
    /** Unix seconds of the last change (OpenSIPS `last_modified`). */
    readonly lastModifiedSec: number,
    readonly attrs: Readonly<Record<string, string>> | undefined,
  ) {}

  /** True when the binding never expires (OpenSIPS stores expires 0 for permanent contacts). */
  get permanent(): boolean {
    return this.expiresSec === 0;
  }

  /** Seconds left at `nowSec` (0 once due; permanent bindings report 0 too, check `permanent`). */
  remainingSec(nowSec: number): number {
    return this.expiresSec === 0 ? 0 : Math.max(0, this.expiresSec - nowSec);
  }

  /** q as the decimal RFC 3261 §20.10 writes it ("0.5", "1"), or '' when unspecified (OpenSIPS ul_dump). */
  qText(): string {
    return formatQ(this.q);
  }
}

/** Shares equal strings between bindings (string-pool.ts); identity when absent. */
export interface Interner { intern(s: string): string }
const AS_IS: Interner = { intern: (s) => s };

/**
 * Builds a Binding from caller fields, filling OpenSIPS's defaults for what is absent; the strings
 * many contacts share (user agent, socket, cflags, path) go through `pool`. One call, no
 * intermediate object: this runs for every REGISTER. On a refresh (`previous`), its strings are
 * kept when equal: the request's copies then die young instead of being promoted with the new
 * binding, and the shared ones need no pool lookup.
 */
export function makeBinding(aor: string, contactId: bigint, f: BindingFields, nowSec: number, pool: Interner = AS_IS, previous?: Binding): Binding {
  return new Binding(
    aor,
    contactId,
    // The contact and instance may be slices of the REGISTER's header block too (ownString).
    previous !== undefined && previous.contact === f.contact ? previous.contact : ownString(f.contact),
    f.expiresSec,
    f.q ?? Q_UNSPECIFIED,
    // A new Call-ID is copied out of the REGISTER's header block (ownString): the binding outlives it.
    previous !== undefined && previous.callId === f.callId ? previous.callId : ownString(f.callId),
    f.cseq,
    f.received,
    f.path === undefined ? undefined : shared(previous?.path, f.path, pool),
    shared(previous?.userAgent, f.userAgent ?? '', pool),
    shared(previous?.socket, f.socket ?? '', pool),
    f.methods ?? ALL_METHODS,
    f.flags ?? 0,
    shared(previous?.cflags, f.cflags ?? '', pool),
    f.instance === undefined ? undefined : previous !== undefined && previous.instance === f.instance ? previous.instance : ownString(f.instance),
    f.regId ?? 0,
    nowSec,
    f.attrs,
  );
}

/**
 * The interned copy of `s`: on a refresh usually the previous binding's own (already interned)
 * string, found by one comparison instead of a pool lookup that hashes `s`.
 */
function shared(previous: string | undefined, s: string, pool: Interner): string {
  return previous === s ? previous : pool.intern(s);
}

/** The caller fields of an existing binding, e.g. to copy it with a few changes. */
export function fieldsOf(b: Binding): BindingFields {
  const f: { -readonly [K in keyof BindingFields]: BindingFields[K] } = {
    contact: b.contact, expiresSec: b.expiresSec, q: b.q, callId: b.callId, cseq: b.cseq,
    userAgent: b.userAgent, socket: b.socket, methods: b.methods, flags: b.flags, cflags: b.cflags, regId: b.regId,
  };
  if (b.received !== undefined) f.received = b.received;
  if (b.path !== undefined) f.path = b.path;
  if (b.instance !== undefined) f.instance = b.instance;
  if (b.attrs !== undefined) f.attrs = b.attrs;
  return f;
}

/** Formats a q in thousandths as RFC 3261 §25.1 `qvalue` ("0", "0.5", "0.125", "1"). */
export function formatQ(q: number): string {
  if (q === Q_UNSPECIFIED) return '';
  if (q >= 1000) return '1';
  if (q <= 0) return '0';
  const s = (q / 1000).toFixed(3);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  return s.slice(0, end);
}

/**
 * Parses an RFC 3261 §25.1 qvalue ("0" / "1" / "0.x" up to 3 decimals) into thousandths;
 * undefined when malformed, so the caller can answer 400.
 */
export function parseQ(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  const int = text.charCodeAt(0) - 48;
  if (int !== 0 && int !== 1) return undefined;
  if (text.length === 1) return int * 1000;
  if (text.charCodeAt(1) !== 46 /* . */) return undefined;
  let frac = 0;
  let scale = 100;
  for (let i = 2; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    frac += d * scale;
    scale /= 10;
  }
  if (int === 1 && frac !== 0) return undefined;
  return int * 1000 + frac;
}
