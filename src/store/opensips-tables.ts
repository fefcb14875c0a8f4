import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { StoreDialect } from './store-url.ts';
import type { StoreDatabase } from './tables.ts';

/**
 * DDL for the OpenSIPS tables we share, written from the facts of OpenSIPS's schema
 * (db/schema/*.xml and the generated scripts/{mysql,postgres,sqlite}/*-create.sql of 3.2+/4.x):
 * the same table and column names, types, defaults, unique keys and `version` numbers, so that
 * OpenSIPS itself (and opensips-cli) accepts a database we created, and we accept one it created.
 */
export interface OpenSipsTableSpec {
  readonly name: 'subscriber' | 'location' | 'clusterer' | 'acc';
  /** The `version.table_version` OpenSIPS expects for this layout. */
  readonly version: number;
  /** Columns our repositories read or write; an existing table must have all of them. */
  readonly columns: readonly string[];
  create(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<void>;
}

/** Column types as OpenSIPS spells them per engine (CHAR on MySQL/SQLite, VARCHAR on pg). */
function types(dialect: StoreDialect) {
  const pg = dialect === 'postgres';
  const my = dialect === 'mysql';
  return {
    str: (n: number) => sql.raw(pg ? `varchar(${n})` : `char(${n})`),
    uint: sql.raw(my ? 'integer unsigned' : 'integer'),
    int: sql.raw('integer'),
    datetime: sql.raw(pg ? 'timestamp without time zone' : 'datetime'),
    text: sql.raw('text'),
    // OpenSIPS writes MySQL's q as FLOAT(10,2), which stores 0.125 as 0.13: a table we create keeps
    // the three decimals of an RFC 3261 §25.1 qvalue (OpenSIPS reads it the same); one OpenSIPS
    // created keeps its own type.
    float: sql.raw(pg ? 'real' : my ? 'float(10,3)' : 'float'),
  };
}

/** MySQL index names are per table; pg and SQLite share one namespace, so OpenSIPS prefixes them. */
function indexName(dialect: StoreDialect, table: string, base: string): string {
  return dialect === 'mysql' ? base : `${table}_${base}`;
}

/**
 * An auto-increment primary key the way each engine wants it: SQLite only auto-increments an
 * `integer primary key`, pg uses serial types, MySQL `auto_increment` (unsigned where OpenSIPS says so).
 */
function idType(dialect: StoreDialect, big: boolean, unsigned: boolean) {
  if (dialect === 'postgres') return sql.raw(big ? 'bigserial' : 'serial');
  if (dialect === 'sqlite') return sql.raw('integer');
  return sql.raw(`${big ? 'bigint' : 'integer'}${unsigned ? ' unsigned' : ''}`);
}

/** pg's serial types already auto-increment; Kysely would add MySQL's keyword there too. */
function autoKey(dialect: StoreDialect, c: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
  return dialect === 'postgres' ? c.primaryKey().notNull() : c.primaryKey().autoIncrement().notNull();
}

export async function createVersionTable(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<void> {
  const t = types(dialect);
  // OpenSIPS standard-create.sql: one row per table, unique on table_name.
  await db.schema.createTable('version').ifNotExists()
    .addColumn('table_name', t.str(32), (c) => c.notNull())
    .addColumn('table_version', t.uint, (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint(indexName(dialect, 'version', 't_name_idx'), ['table_name'])
    .execute();
}

const subscriber: OpenSipsTableSpec = {
  name: 'subscriber',
  version: 8, // auth_db, OpenSIPS 3.2+: ha1b/email_address/rpid replaced by the RFC 8760 hashes
  columns: ['id', 'username', 'domain', 'password', 'ha1', 'ha1_sha256', 'ha1_sha512t256'],
  async create(db, dialect) {
    const t = types(dialect);
    await db.schema.createTable('subscriber')
      .addColumn('id', idType(dialect, false, true), (c) => autoKey(dialect, c))
      .addColumn('username', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('domain', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('password', t.str(25), (c) => c.notNull().defaultTo(''))
      .addColumn('ha1', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('ha1_sha256', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('ha1_sha512t256', t.str(64), (c) => c.notNull().defaultTo(''))
      .addUniqueConstraint(indexName(dialect, 'subscriber', 'account_idx'), ['username', 'domain'])
      .execute();
    await db.schema.createIndex(indexName(dialect, 'subscriber', 'username_idx'))
      .on('subscriber').column('username').execute();
  },
};

const location: OpenSipsTableSpec = {
  name: 'location',
  version: 1013, // usrloc, OpenSIPS 3.x/4.x
  columns: ['contact_id', 'username', 'domain', 'contact', 'received', 'path', 'expires', 'q', 'callid',
    'cseq', 'last_modified', 'flags', 'cflags', 'user_agent', 'socket', 'methods', 'sip_instance', 'kv_store', 'attr'],
  async create(db, dialect) {
    const t = types(dialect);
    await db.schema.createTable('location')
      .addColumn('contact_id', idType(dialect, true, true), (c) => autoKey(dialect, c))
      .addColumn('username', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('domain', t.str(64), (c) => c.defaultTo(null))
      .addColumn('contact', t.text, (c) => c.notNull())
      .addColumn('received', t.str(255), (c) => c.defaultTo(null))
      .addColumn('path', t.str(255), (c) => c.defaultTo(null))
      .addColumn('expires', t.uint, (c) => c.notNull())
      .addColumn('q', t.float, (c) => c.notNull().defaultTo(1.0))
      .addColumn('callid', t.str(255), (c) => c.notNull().defaultTo('Default-Call-ID'))
      .addColumn('cseq', t.int, (c) => c.notNull().defaultTo(13))
      .addColumn('last_modified', t.datetime, (c) => c.notNull().defaultTo('1900-01-01 00:00:01'))
      .addColumn('flags', t.int, (c) => c.notNull().defaultTo(0))
      .addColumn('cflags', t.str(255), (c) => c.defaultTo(null))
      .addColumn('user_agent', t.str(255), (c) => c.notNull().defaultTo(''))
      .addColumn('socket', t.str(64), (c) => c.defaultTo(null))
      .addColumn('methods', t.int, (c) => c.defaultTo(null))
      .addColumn('sip_instance', t.str(255), (c) => c.defaultTo(null))
      .addColumn('kv_store', t.text, (c) => c.defaultTo(null))
      .addColumn('attr', t.str(255), (c) => c.defaultTo(null))
      .execute();
  },
};

const clusterer: OpenSipsTableSpec = {
  name: 'clusterer',
  version: 4, // clusterer, OpenSIPS 2.4+ (node_id, no_ping_retries, priority, sip_addr, flags)
  columns: ['id', 'cluster_id', 'node_id', 'url', 'state', 'no_ping_retries', 'priority', 'sip_addr', 'flags', 'description'],
  async create(db, dialect) {
    const t = types(dialect);
    await db.schema.createTable('clusterer')
      .addColumn('id', idType(dialect, false, false), (c) => autoKey(dialect, c))
      .addColumn('cluster_id', t.int, (c) => c.notNull())
      .addColumn('node_id', t.int, (c) => c.notNull())
      .addColumn('url', t.str(64), (c) => c.notNull())
      .addColumn('state', t.int, (c) => c.notNull().defaultTo(1))
      .addColumn('no_ping_retries', t.int, (c) => c.notNull().defaultTo(3))
      .addColumn('priority', t.int, (c) => c.notNull().defaultTo(50))
      .addColumn('sip_addr', t.str(64))
      .addColumn('flags', t.str(64))
      .addColumn('description', t.str(64))
      .addUniqueConstraint(indexName(dialect, 'clusterer', 'clusterer_idx'), ['cluster_id', 'node_id'])
      .execute();
  },
};

const acc: OpenSipsTableSpec = {
  name: 'acc',
  version: 7, // acc, OpenSIPS 3.x/4.x (ms_duration added in 7)
  columns: ['id', 'method', 'from_tag', 'to_tag', 'callid', 'sip_code', 'sip_reason', 'time', 'duration',
    'ms_duration', 'setuptime', 'created'],
  async create(db, dialect) {
    const t = types(dialect);
    await db.schema.createTable('acc')
      .addColumn('id', idType(dialect, false, true), (c) => autoKey(dialect, c))
      .addColumn('method', t.str(16), (c) => c.notNull().defaultTo(''))
      .addColumn('from_tag', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('to_tag', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('callid', t.str(64), (c) => c.notNull().defaultTo(''))
      .addColumn('sip_code', t.str(3), (c) => c.notNull().defaultTo(''))
      .addColumn('sip_reason', t.str(32), (c) => c.notNull().defaultTo(''))
      .addColumn('time', t.datetime, (c) => c.notNull())
      .addColumn('duration', t.uint, (c) => c.notNull().defaultTo(0))
      .addColumn('ms_duration', t.uint, (c) => c.notNull().defaultTo(0))
      .addColumn('setuptime', t.uint, (c) => c.notNull().defaultTo(0))
      .addColumn('created', t.datetime, (c) => c.defaultTo(null))
      .execute();
    await db.schema.createIndex(indexName(dialect, 'acc', 'callid_idx')).on('acc').column('callid').execute();
  },
};

export const OPENSIPS_TABLES: readonly OpenSipsTableSpec[] = [subscriber, location, clusterer, acc];
