import type { ColumnType, Generated } from 'kysely';
import { StoreError } from './store-url.ts';

/**
 * Kysely's view of the tables. Names and columns are OpenSIPS's (db/schema/*.xml, 3.2+/4.x):
 * `version`, `subscriber` (v8), `location` (v1013), `clusterer` (v4), `acc` (v7), so an existing
 * OpenSIPS database can be pointed at. Tables prefixed `sipcluster_` are ours (see migrations.ts).
 *
 * DATETIME columns travel as 'YYYY-MM-DD HH:MM:SS' strings in UTC on every engine (pg and mysql2
 * are told not to parse them), so no driver applies the process time zone behind our back.
 * 64-bit ids travel as decimal strings where a JS number could lose digits.
 */
export interface VersionTable {
  table_name: string;
  table_version: number;
}

export interface SubscriberTable {
  id: Generated<number>;
  username: string;
  domain: string;
  password: string;
  ha1: string;
  ha1_sha256: string;
  ha1_sha512t256: string;
}

export interface LocationTable {
  /** BIGINT: OpenSIPS packs shard and hash labels into it, beyond 2^53. */
  contact_id: ColumnType<string | number | bigint, string | bigint | undefined, string | bigint>;
  username: string;
  domain: string | null;
  contact: string;
  received: string | null;
  path: string | null;
  /** Unix time in seconds (OpenSIPS usrloc since location v1011); 0 means permanent. */
  expires: number;
  q: number;
  callid: string;
  cseq: number;
  last_modified: string;
  flags: number;
  cflags: string | null;
  user_agent: string;
  socket: string | null;
  methods: number | null;
  sip_instance: string | null;
  kv_store: string | null;
  attr: string | null;
}

export interface ClustererTable {
  id: Generated<number>;
  cluster_id: number;
  node_id: number;
  url: string;
  state: number;
  no_ping_retries: number;
  priority: number;
  sip_addr: string | null;
  flags: string | null;
  description: string | null;
}

export interface AccTable {
  id: Generated<number>;
  method: string;
  from_tag: string;
  to_tag: string;
  callid: string;
  sip_code: string;
  sip_reason: string;
  time: string;
  duration: number;
  ms_duration: number;
  setuptime: number;
  created: string | null;
  /** Extra columns of migration 3 (acc-cdr-columns), filled by the CDR writer. */
  src_user: ColumnType<string, string | undefined, string>;
  src_domain: ColumnType<string, string | undefined, string>;
  dst_user: ColumnType<string, string | undefined, string>;
  dst_domain: ColumnType<string, string | undefined, string>;
  node_id: ColumnType<number, number | undefined, number>;
}

/** Ours: which of our migrations ran (OpenSIPS's `version` table keeps only its own tables). */
export interface SipclusterSchemaTable {
  id: number;
  name: string;
  applied_at: string;
}

/** Ours: the idempotency key of CDR writes; see migrations.ts for why it is not on `acc`. */
export interface SipclusterAccKeyTable {
  callid: string;
  from_tag: string;
  to_tag: string;
  acc_id: number;
}

export interface StoreDatabase {
  version: VersionTable;
  subscriber: SubscriberTable;
  location: LocationTable;
  clusterer: ClustererTable;
  acc: AccTable;
  sipcluster_schema: SipclusterSchemaTable;
  sipcluster_acc_key: SipclusterAccKeyTable;
}

/** OpenSIPS's own "unset" DATETIME (location.last_modified default). */
export const OPENSIPS_EPOCH_DATETIME = '1900-01-01 00:00:01';

/** A Date as the 'YYYY-MM-DD HH:MM:SS' UTC text every engine accepts for DATETIME/TIMESTAMP. */
export function toSqlDateTime(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new StoreError('STORE_VALUE_INVALID', 'invalid Date given for a DATETIME column');
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Reads a DATETIME back: text from our drivers' settings, or a Date if some driver parsed it. */
export function fromSqlDateTime(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'string') {
    const iso = v.includes('T') ? v : v.replace(' ', 'T');
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new StoreError('STORE_VALUE_INVALID', `cannot read a DATETIME value: ${String(v)}`);
}

/** Integers that drivers may hand back as strings (pg int8, COUNT) or bigints. */
export function toNumber(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new StoreError('STORE_VALUE_INVALID', `not a number: ${String(v)}`);
  return n;
}
