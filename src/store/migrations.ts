import { sql, type Kysely } from 'kysely';
import { StoreError, type StoreDialect } from './store-url.ts';
import { createVersionTable, OPENSIPS_TABLES } from './opensips-tables.ts';
import { toSqlDateTime, type StoreDatabase } from './tables.ts';

/**
 * Versioned migrations. Each runs once per database and is recorded in our own
 * `sipcluster_schema` table; OpenSIPS's `version` table keeps describing only OpenSIPS's tables,
 * exactly as OpenSIPS and opensips-cli expect. Append new migrations; never edit a released one.
 *
 * 1 `opensips-tables`: `version`, `subscriber`, `location`, `clusterer`, `acc` at OpenSIPS's
 *   versions. A table that already exists (a database OpenSIPS created) is left alone after
 *   checking that it has every column we use; otherwise STORE_SCHEMA_MISMATCH names the missing ones.
 * 2 `acc-idempotency-key`: `sipcluster_acc_key (callid, from_tag, to_tag) → acc_id`, the key that
 *   makes CDR writes idempotent. It is a table of ours rather than a unique index on `acc`
 *   because OpenSIPS's own acc module writes one `acc` row per transaction (INVITE and BYE of a
 *   call share callid and tags): a unique index there would break OpenSIPS writing to the same
 *   database, and could not even be created on an existing `acc` holding such rows.
 */
export interface Migration {
  readonly id: number;
  readonly name: string;
  up(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<void>;
}

export interface MigrationReport {
  /** Names of the migrations this call applied, in order (empty when up to date). */
  readonly applied: readonly string[];
  /** OpenSIPS tables found already present and accepted as they are. */
  readonly adopted: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'opensips-tables', up: async () => { /* run by runMigrations: it reports adoptions */ } },
  {
    id: 2,
    name: 'acc-idempotency-key',
    async up(db, dialect) {
      const str = (n: number) => sql.raw(dialect === 'postgres' ? `varchar(${n})` : `char(${n})`);
      // Same widths as acc's columns: a key longer than acc can hold could not be written anyway.
      await db.schema.createTable('sipcluster_acc_key').ifNotExists()
        .addColumn('callid', str(64), (c) => c.notNull())
        .addColumn('from_tag', str(64), (c) => c.notNull())
        .addColumn('to_tag', str(64), (c) => c.notNull())
        .addColumn('acc_id', sql.raw(dialect === 'mysql' ? 'integer unsigned' : 'integer'), (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('sipcluster_acc_key_pk', ['callid', 'from_tag', 'to_tag'])
        .execute();
    },
  },
  {
    id: 3,
    name: 'acc-cdr-columns',
    async up(db, dialect) {
      const str = (n: number) => sql.raw(dialect === 'postgres' ? `varchar(${n})` : `char(${n})`);
      const have = (await columnsByTable(db, dialect)).get('acc') ?? new Set<string>();
      const columns: Array<[string, ReturnType<typeof str>, string | number]> = [
        ['src_user', str(64), ''], ['src_domain', str(128), ''], ['dst_user', str(64), ''], ['dst_domain', str(128), ''],
        ['node_id', sql.raw('integer'), 0],
      ];
      for (const [name, type, dflt] of columns) {
        if (have.has(name)) continue;
        await db.schema.alterTable('acc').addColumn(name, type, (c) => c.notNull().defaultTo(dflt)).execute();
      }
    },
  },
];

/**
 * Brings the database up to date; safe to call on every start (a no-op when up to date). Holds a
 * database-wide lock meanwhile, so nodes starting together on one empty database do not both
 * create tables: pg advisory lock, MySQL GET_LOCK, SQLite BEGIN IMMEDIATE (other processes wait
 * on busy_timeout; SQLite DDL is transactional, so a failed migration leaves nothing behind).
 */
export async function runMigrations(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<MigrationReport> {
  return db.connection().execute(async (conn) => {
    if (dialect === 'sqlite') {
      await sql`begin immediate`.execute(conn);
      try {
        const report = await migrateUnlocked(conn, dialect);
        await sql`commit`.execute(conn);
        return report;
      } catch (e) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw e;
      }
    }
    await lock(conn, dialect);
    try {
      return await migrateUnlocked(conn, dialect);
    } finally {
      await unlock(conn, dialect);
    }
  });
}

const LOCK_NAME = 'sipcluster_migrations';
const PG_LOCK_KEY = 0x5c1c_0001; // any constant: the advisory lock key space is ours to pick
const MYSQL_LOCK_TIMEOUT_S = 60;

async function lock(conn: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select pg_advisory_lock(${PG_LOCK_KEY})`.execute(conn);
    return;
  }
  const r = await sql<{ l: number | string | null }>`select get_lock(${LOCK_NAME}, ${MYSQL_LOCK_TIMEOUT_S}) as l`.execute(conn);
  if (Number(r.rows[0]?.l) !== 1) {
    throw new StoreError('STORE_MIGRATION_FAILED', `another node held the migration lock for ${MYSQL_LOCK_TIMEOUT_S}s`);
  }
}

async function unlock(conn: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_unlock(${PG_LOCK_KEY})`.execute(conn);
  else await sql`select release_lock(${LOCK_NAME})`.execute(conn);
}

async function migrateUnlocked(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<MigrationReport> {
  const applied: string[] = [];
  let adopted: string[] = [];
  try {
    await db.schema.createTable('sipcluster_schema').ifNotExists()
      .addColumn('id', sql.raw('integer'), (c) => c.primaryKey().notNull())
      .addColumn('name', sql.raw(dialect === 'postgres' ? 'varchar(64)' : 'char(64)'), (c) => c.notNull())
      .addColumn('applied_at', sql.raw(dialect === 'postgres' ? 'timestamp without time zone' : 'datetime'), (c) => c.notNull())
      .execute();
    const done = new Set((await db.selectFrom('sipcluster_schema').select('id').execute()).map((r) => Number(r.id)));
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      if (m.id === 1) adopted = await ensureOpenSipsTables(db, dialect);
      else await m.up(db, dialect);
      await db.insertInto('sipcluster_schema')
        .values({ id: m.id, name: m.name, applied_at: toSqlDateTime(new Date()) })
        .execute();
      applied.push(m.name);
    }
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('STORE_MIGRATION_FAILED', `schema migration failed: ${(e as Error).message}`);
  }
  return { applied, adopted };
}

/** Creates the OpenSIPS tables that are missing; checks the ones that exist. Returns the adopted ones. */
async function ensureOpenSipsTables(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<string[]> {
  const existing = await columnsByTable(db, dialect);
  if (!existing.has('version')) await createVersionTable(db, dialect);
  const adopted: string[] = [];
  for (const spec of OPENSIPS_TABLES) {
    const cols = existing.get(spec.name);
    if (cols !== undefined) {
      const missing = spec.columns.filter((c) => !cols.has(c));
      if (missing.length > 0) {
        const row = await db.selectFrom('version').select('table_version')
          .where('table_name', '=', spec.name).executeTakeFirst();
        throw new StoreError('STORE_SCHEMA_MISMATCH',
          `table ${spec.name} (version ${row === undefined ? 'unknown' : String(row.table_version)}) lacks ` +
          `column(s) ${missing.join(', ')}; sipcluster needs OpenSIPS's version ${spec.version} layout ` +
          '(upgrade it with opensips-cli "database migrate" first)',
          { table: spec.name, missing, expectedVersion: spec.version });
      }
      adopted.push(spec.name);
      continue;
    }
    // A crash between these two steps leaves a table without its version row; the next run adopts
    // the table, which is what OpenSIPS's own scripts would also leave behind.
    await spec.create(db, dialect);
    await db.deleteFrom('version').where('table_name', '=', spec.name).execute();
    await db.insertInto('version').values({ table_name: spec.name, table_version: spec.version }).execute();
  }
  return adopted;
}

/** Table name → column names, for the current database/schema only. */
async function columnsByTable(db: Kysely<StoreDatabase>, dialect: StoreDialect): Promise<Map<string, Set<string>>> {
  // pg introspection lists every non-system schema; only the search path's first one is ours
  // (MySQL's is already limited to database(), SQLite has one schema).
  const own = dialect === 'postgres'
    ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
    : undefined;
  const tables = await db.introspection.getTables();
  const out = new Map<string, Set<string>>();
  for (const t of tables) {
    if (own !== undefined && t.schema !== own) continue;
    out.set(t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase())));
  }
  return out;
}
