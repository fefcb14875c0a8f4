import type { Clock } from '../../lib/time.ts';
import type { Result } from '../../lib/result.ts';
import { err, ok } from '../../lib/result.ts';
import type { Binding, ContactState } from './binding.ts';
import type { LocationStore } from './location-store.ts';
import { LOCATION_TABLE, USRLOC_HASH_SIZE } from './limits.ts';

/**
 * OpenSIPS usrloc MI commands as plain functions over a LocationStore, producing the exact
 * shapes of OpenSIPS 4.0 (vectors: opensips-bin/mi/node1-ul_*.json). src/app registers them
 * under `usrloc:dump`/`ul_dump`, `usrloc:show_contact`/`ul_show_contact`, `usrloc:rm`/`ul_rm`
 * and turns an MiError into a JSON-RPC error with `rpcCode` (OpenSIPS uses HTTP-like codes).
 */
export interface MiError {
  readonly rpcCode: number;
  readonly code: 'SIP_REG_AOR_NOT_FOUND' | 'SIP_REG_CONTACT_NOT_FOUND' | 'SIP_REG_DOMAIN_MISSING' | 'SIP_REG_TABLE_NOT_FOUND';
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
