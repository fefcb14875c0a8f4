import type { Clock } from '../../lib/time.ts';
import type { Result } from '../../lib/result.ts';
import { err, ok } from '../../lib/result.ts';
import type { Binding, ContactState } from './binding.ts';
import type { LocationStore } from './location-store.ts';
import { parseQ } from './binding.ts';
import { LOCATION_TABLE, USRLOC_HASH_SIZE } from './limits.ts';
import { parseUri } from '../message/index.ts';

/**
 * OpenSIPS usrloc MI commands as plain functions over a LocationStore, producing the exact
 * shapes of OpenSIPS 4.0 (vectors: opensips-bin/mi/node1-ul_*.json). src/app registers them
 * under `usrloc:dump`/`ul_dump`, `usrloc:show_contact`/`ul_show_contact`, `usrloc:rm`/`ul_rm`
 * and turns an MiError into a JSON-RPC error with `rpcCode` (OpenSIPS uses HTTP-like codes).
 */
export interface MiError {
  readonly rpcCode: number;
  readonly code: 'SIP_REG_AOR_NOT_FOUND' | 'SIP_REG_CONTACT_NOT_FOUND' | 'SIP_REG_DOMAIN_MISSING' | 'SIP_REG_TABLE_NOT_FOUND'
    | 'SIP_REG_MI_BAD_VALUE' | 'SIP_REG_MI_CFLAGS_NUMERIC';
  readonly message: string;
}

export interface UlContact {
  readonly Contact: string;
  readonly ContactID: string;
  /** Remaining seconds, or "permanent" for expires 0 (OpenSIPS mi_ul). */
  readonly Expires: number | string;
  readonly Q: string;
  readonly Callid: string;
  readonly Cseq: number;
  readonly 'User-agent': string;
  readonly State: string;
  readonly Flags: number;
  readonly Cflags: string;
  readonly Socket: string;
  readonly Methods: number;
  readonly Received?: string;
  readonly Path?: string;
  readonly Instance?: string;
  readonly 'Reg-Id'?: number;
}

export interface UlAor {
  readonly AOR: string;
  /** Absent in a brief dump (OpenSIPS `ul_dump brief`: the AoR names only). */
  readonly Contacts?: readonly UlContact[];
}

export interface UlDump {
  readonly Domains: ReadonlyArray<{ readonly name: string; readonly hash_size: number; readonly AORs: readonly UlAor[] }>;
}

const STATE_NAMES: Record<ContactState, string> = { new: 'CS_NEW', sync: 'CS_SYNC', dirty: 'CS_DIRTY' };

function contactOf(b: Binding, nowSec: number): UlContact {
  const c: { -readonly [K in keyof UlContact]: UlContact[K] } = {
    Contact: b.contact,
    ContactID: b.contactId.toString(),
    Expires: b.permanent ? 'permanent' : b.remainingSec(nowSec),
    Q: b.qText(),
    Callid: b.callId,
    Cseq: b.cseq,
    // OpenSIPS prints "n/a" for an empty User-Agent.
    'User-agent': b.userAgent === '' ? 'n/a' : b.userAgent,
    State: STATE_NAMES[b.state],
    Flags: b.flags,
    Cflags: b.cflags,
    Socket: b.socket,
    Methods: b.methods,
  };
  if (b.received !== undefined) c.Received = b.received;
  if (b.path !== undefined) c.Path = b.path;
  if (b.instance !== undefined) c.Instance = b.instance;
  if (b.regId !== 0) c['Reg-Id'] = b.regId;
  return c;
}

const nowSecOf = (clock: Clock): number => Math.floor(clock.wallMs() / 1000);

/**
 * `usrloc:dump` / `ul_dump` [brief]: every AoR with its contacts, under the one `location` table;
 * with a non-zero `brief`, the AoR names only (OpenSIPS w_mi_usrloc_dump_1).
 */
export function ulDump(store: LocationStore, clock: Clock, brief = false): UlDump {
  const now = nowSecOf(clock);
  const aors: UlAor[] = [];
  for (const aor of store.aors()) {
    const bindings = store.lookup(aor);
    if (bindings.length === 0) continue;
    aors.push(brief ? { AOR: aor } : { AOR: aor, Contacts: bindings.map((b) => contactOf(b, now)) });
  }
  return { Domains: [{ name: LOCATION_TABLE, hash_size: USRLOC_HASH_SIZE, AORs: aors }] };
}

function checkTarget(tableName: string, aor: string): MiError | undefined {
  if (tableName !== LOCATION_TABLE) return { rpcCode: 404, code: 'SIP_REG_TABLE_NOT_FOUND', message: 'Table not found' };
  // OpenSIPS (use_domain) needs user@domain: vectors mi/README.md.
  if (!aor.includes('@')) return { rpcCode: 400, code: 'SIP_REG_DOMAIN_MISSING', message: 'Domain missing in AOR' };
  return undefined;
}

/** Keys are compared as the REGISTER path stores them: domain lower-cased. */
function canonicalAor(aor: string): string {
  const at = aor.lastIndexOf('@');
  return `${aor.slice(0, at)}@${aor.slice(at + 1).toLowerCase()}`;
}

/** `usrloc:show_contact` / `ul_show_contact` {table_name, aor}. */
export function ulShowContact(store: LocationStore, clock: Clock, tableName: string, aor: string): Result<UlAor, MiError> {
  const bad = checkTarget(tableName, aor);
  if (bad !== undefined) return err(bad);
  const key = canonicalAor(aor);
  const bindings = store.lookup(key);
  if (bindings.length === 0) return err({ rpcCode: 404, code: 'SIP_REG_AOR_NOT_FOUND', message: 'AOR not found' });
  const now = nowSecOf(clock);
  return ok({ AOR: key, Contacts: bindings.map((b) => contactOf(b, now)) });
}

/**
 * `usrloc:rm` / `ul_rm` {table_name, aor}: removes the AoR and all its contacts; "OK", also for
 * an AoR with none (OpenSIPS's mi_usrloc_rm_aor: delete_urecord of a missing record succeeds).
 */
export function ulRm(store: LocationStore, tableName: string, aor: string): Result<'OK', MiError> {
  const bad = checkTarget(tableName, aor);
  if (bad !== undefined) return err(bad);
  store.removeAor(canonicalAor(aor), 'admin');
  return ok('OK');
}

/**
 * `usrloc:rm_contact` / `ul_rm_contact` {table_name, aor, contact}: removes one contact, named as
 * ul_dump shows it (OpenSIPS get_simple_ucontact compares the string as it is); 404 "AOR not
 * found" or "Contact not found" as OpenSIPS's mi_usrloc_rm_contact.
 */
export function ulRmContact(store: LocationStore, tableName: string, aor: string, contact: string): Result<'OK', MiError> {
  const bad = checkTarget(tableName, aor);
  if (bad !== undefined) return err(bad);
  const bindings = store.lookup(canonicalAor(aor));
  if (bindings.length === 0) return err({ rpcCode: 404, code: 'SIP_REG_AOR_NOT_FOUND', message: 'AOR not found' });
  const b = bindings.find((x) => x.contact === contact);
  if (b === undefined) return err({ rpcCode: 404, code: 'SIP_REG_CONTACT_NOT_FOUND', message: 'Contact not found' });
  store.remove(b, 'admin');
  return ok('OK');
}

/** `usrloc:add` parameters, all required as in OpenSIPS's mi_usrloc_add (one recipe, 8 params). */
export interface UlAddParams {
  readonly tableName: string;
  readonly aor: string;
  readonly contact: string;
  /** Seconds from now; 0 makes the contact permanent (OpenSIPS: "0 expires means permanent"). */
  readonly expires: number;
  /** A qvalue, "0" to "1" with up to 3 decimals (str2q); a JSON number is taken as its text. */
  readonly q: string | number;
  readonly flags: number;
  /**
   * Contact flag names as ul_dump shows them, comma-separated; "0" (OpenSIPS 3.x's int form) means
   * none. Other numbers are refused: nothing maps their bits to names.
   */
  readonly cflags: string;
  readonly methods: number;
}

/** Call-ID and User-Agent of a contact made by usrloc:add (OpenSIPS uses fixed ones of its own too). */
export const UL_ADD_CALL_ID = 'usrloc-add@sipcluster.mi';
export const UL_ADD_USER_AGENT = 'sipcluster MI';
/** CSeq of a contact usrloc:add creates (OpenSIPS MI_UL_CSEQ); an updated one keeps its CSeq. */
const UL_ADD_CSEQ = 1;

/** Separator of a contact flag list (OpenSIPS FLAG_DELIM). */
const CFLAGS_DELIM = ',';

const badValue = (what: string): MiError => ({ rpcCode: 400, code: 'SIP_REG_MI_BAD_VALUE', message: `Bad parameter value: ${what}` });
const isUint32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;

/**
 * `usrloc:add` / `ul_add`: adds a contact to an AoR, or updates the one written exactly that way
 * (OpenSIPS mi_usrloc_add: get_simple_ucontact, then update_ucontact or insert_ucontact). Goes
 * through the store as an `admin` change, so change listeners (replication) and persistence see
 * it like a REGISTER's. As OpenSIPS, the new binding carries only what the MI gives: received,
 * path, socket and instance of an updated contact are not kept. Bad values answer 400, as
 * OpenSIPS's "Bad parameter value"; we also refuse a contact that is not a SIP URI and a negative
 * or fractional expires, which OpenSIPS stores as given.
 */
export function ulAdd(store: LocationStore, clock: Clock, p: UlAddParams): Result<'OK', MiError> {
  const bad = checkTarget(p.tableName, p.aor);
  if (bad !== undefined) return err(bad);
  const uri = parseUri(p.contact);
  if (uri === undefined || uri.kind !== 'sip') return err(badValue('contact must be a sip: or sips: URI'));
  if (!Number.isInteger(p.expires) || p.expires < 0) return err(badValue('expires must be an integer >= 0'));
  const q = parseQ(typeof p.q === 'number' ? String(p.q) : p.q);
  if (q === undefined) return err(badValue('q must be a qvalue from 0 to 1'));
  if (!isUint32(p.flags)) return err(badValue('flags must be an unsigned 32-bit integer'));
  if (!isUint32(p.methods)) return err(badValue('methods must be an unsigned 32-bit integer'));
  // "0" is OpenSIPS 3.x's int form of "no flags". Any other number is bits, and the `cflags` column
  // holds names (OpenSIPS bitmask_to_flag_list names them from the script's flag declarations);
  // we have no such table, so digits would be stored as if they were one flag's name.
  const cflags = p.cflags === '0' ? '' : p.cflags;
  if (cflags.split(CFLAGS_DELIM).some((name) => /^\s*\d+\s*$/.test(name))) {
    return err({
      rpcCode: 400, code: 'SIP_REG_MI_CFLAGS_NUMERIC',
      message: `Bad parameter value: cflags must be flag names (e.g. NAT_FLAG), not a bit value: ${p.cflags}`,
    });
  }
  const key = canonicalAor(p.aor);
  const nowSec = nowSecOf(clock);
  // OpenSIPS's get_simple_ucontact would find an expired contact the timer has not removed yet and
  // update_ucontact would bring it back; lookup() hides it, so matching on lookup() alone inserted
  // a second binding of the contact beside the dead one (which find(), and so the next REGISTER,
  // still met first). An expired contact is not valid (VALID_CONTACT): it expires here, with the
  // event the expiry pass would have sent, and the contact is added anew.
  store.expireAor(key);
  const existing = store.lookup(key).find((b) => b.contact === p.contact);
  const fields = {
    contact: p.contact, expiresSec: p.expires === 0 ? 0 : nowSec + p.expires, q, callId: UL_ADD_CALL_ID,
    cseq: existing?.cseq ?? UL_ADD_CSEQ, userAgent: UL_ADD_USER_AGENT, flags: p.flags, cflags,
    methods: p.methods,
  };
  if (existing !== undefined) store.update(existing, fields, { origin: 'admin' });
  else store.insert(key, fields, { origin: 'admin' });
  return ok('OK');
}
