import { sql, type Kysely, type Selectable } from 'kysely';
import type { StoreDialect } from './store-url.ts';
import { fromSqlDateTime, OPENSIPS_EPOCH_DATETIME, toSqlDateTime, type LocationTable, type StoreDatabase } from './tables.ts';

/**
 * Registrar bindings persisted in OpenSIPS's `location` table (usrloc, version 1013), for the
 * registrar's `LocationPersistence` port (write-through on change, load on start).
 */
export interface LocationContact {
  /** OpenSIPS's 64-bit contact id (it packs shard labels into it, hence bigint). */
  readonly contactId: bigint;
  readonly username: string;
  readonly domain: string | null;
  readonly contact: string;
  readonly received: string | null;
  readonly path: string | null;
  /** Absolute expiry, Unix seconds; 0 = permanent (OpenSIPS usrloc). */
  readonly expires: number;
  readonly q: number;
  readonly callid: string;
  readonly cseq: number;
  readonly lastModified: Date;
  readonly flags: number;
  readonly cflags: string | null;
  readonly userAgent: string;
  readonly socket: string | null;
  readonly methods: number | null;
  readonly sipInstance: string | null;
  readonly kvStore: string | null;
  readonly attr: string | null;
}

/** What a caller gives to upsert: the binding's identity and state; the rest has OpenSIPS's defaults. */
export type LocationInput =
  Pick<LocationContact, 'username' | 'contact' | 'expires' | 'callid' | 'cseq'> &
  Partial<Omit<LocationContact, 'username' | 'contact' | 'expires' | 'callid' | 'cseq'>>;

export interface LocationRepo {
  /**
   * Inserts or updates one binding and returns its contact id. With `contactId` the row of that
   * id is the one (OpenSIPS usrloc's key); without it, the binding of the same AOR and contact URI
   * (RFC 3261 §10.3: a REGISTER refreshes the binding of its contact). Do not mix both styles on
   * one database: an explicit id does not advance PostgreSQL's sequence.
   */
  upsert(c: LocationInput): Promise<bigint>;
  /** True when the binding existed. */
  delete(contactId: bigint): Promise<boolean>;
  /** Every stored binding, expired or not, ordered by contact id (what usrloc preloads). */
  loadAll(): Promise<LocationContact[]>;
  /** Removes bindings with 0 < expires <= nowSec; returns how many. */
  deleteExpired(nowSec: number): Promise<number>;
}

export class KyselyLocationRepo implements LocationRepo {
  constructor(private readonly db: Kysely<StoreDatabase>, private readonly dialect: StoreDialect) {}

  async upsert(c: LocationInput): Promise<bigint> {
    const values = toRow(c);
    if (c.contactId !== undefined) {
      const id = this.idParam(c.contactId);
      const r = await this.db.updateTable('location').set(values).where('contact_id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) return c.contactId;
      await this.db.insertInto('location').values({ ...values, contact_id: id }).execute();
      return c.contactId;
    }
    let q = this.db.selectFrom('location').select(this.idText().as('id'))
      .where('username', '=', c.username).where('contact', '=', c.contact);
    q = c.domain === undefined || c.domain === null ? q.where('domain', 'is', null) : q.where('domain', '=', c.domain);
    const found = await q.executeTakeFirst();
    if (found !== undefined) {
      await this.db.updateTable('location').set(values).where('contact_id', '=', this.idParam(this.idFromDb(found.id))).execute();
      return this.idFromDb(found.id);
    }
    if (this.dialect === 'postgres') {
      const r = await this.db.insertInto('location').values(values).returning(this.idText().as('id')).executeTakeFirstOrThrow();
      return this.idFromDb(r.id);
    }
    const r = await this.db.insertInto('location').values(values).executeTakeFirstOrThrow();
    if (r.insertId === undefined) throw new Error('driver returned no insert id for location');
    return this.idFromDb(String(r.insertId));
  }

  async delete(contactId: bigint): Promise<boolean> {
    const r = await this.db.deleteFrom('location').where('contact_id', '=', this.idParam(contactId)).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async loadAll(): Promise<LocationContact[]> {
    const rows = await this.db.selectFrom('location').selectAll().select(this.idText().as('id_text'))
      .orderBy('contact_id').execute();
    return rows.map((r) => fromRow(r, this.idFromDb(r.id_text)));
  }

  async deleteExpired(nowSec: number): Promise<number> {
    const r = await this.db.deleteFrom('location')
      .where('expires', '>', 0).where('expires', '<=', Math.floor(nowSec)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** contact_id as decimal text: a JS number would round OpenSIPS's 64-bit ids. */
  private idText() {
    return sql<string>`cast(contact_id as ${sql.raw(this.dialect === 'mysql' ? 'char' : 'text')})`;
  }

  /**
   * pg and mysql2 take 64-bit ids as text; better-sqlite3 binds a bigint as an INTEGER. OpenSIPS's
   * contact_id is an unsigned 64-bit value (BIGINT UNSIGNED in MySQL); SQLite and PostgreSQL only
   * have signed 64-bit integers, so there it is stored as the same 64 bits read signed.
   */
  private idParam(id: bigint): string | bigint {
    if (this.dialect === 'mysql') return id.toString();
    const signed = BigInt.asIntN(64, id);
    return this.dialect === 'sqlite' ? signed : signed.toString();
  }

  private idFromDb(text: string): bigint {
    return this.dialect === 'mysql' ? BigInt(text) : BigInt.asUintN(64, BigInt(text));
  }
}

function toRow(c: LocationInput) {
  return {
    username: c.username,
    domain: c.domain ?? null,
    contact: c.contact,
    received: c.received ?? null,
    path: c.path ?? null,
    expires: Math.floor(c.expires),
    q: c.q ?? 1,
    callid: c.callid,
    cseq: c.cseq,
    last_modified: c.lastModified === undefined ? OPENSIPS_EPOCH_DATETIME : toSqlDateTime(c.lastModified),
    flags: c.flags ?? 0,
    cflags: c.cflags ?? null,
    user_agent: c.userAgent ?? '',
    socket: c.socket ?? null,
    methods: c.methods ?? null,
    sip_instance: c.sipInstance ?? null,
    kv_store: c.kvStore ?? null,
    attr: c.attr ?? null,
  };
}

function fromRow(r: Selectable<LocationTable>, contactId: bigint): LocationContact {
  return {
    contactId,
    username: r.username,
    domain: r.domain,
    contact: r.contact,
    received: r.received,
    path: r.path,
    expires: Number(r.expires),
    // pg REAL and MySQL FLOAT come back as binary floats (0.121 as 0.12099999...): rounded to the
    // three decimals of an RFC 3261 §25.1 qvalue. Rounding to two turned q=0.125 into 0.13 and
    // made it outrank 0.128 after a restart.
    q: Math.round(Number(r.q) * 1000) / 1000,
    callid: r.callid,
    cseq: Number(r.cseq),
    lastModified: fromSqlDateTime(r.last_modified),
    flags: Number(r.flags),
    cflags: r.cflags,
    userAgent: r.user_agent,
    socket: r.socket,
    methods: r.methods === null ? null : Number(r.methods),
    sipInstance: r.sip_instance,
    kvStore: r.kv_store,
    attr: r.attr,
  };
}
