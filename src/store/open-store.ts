import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Dialect } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { createPool } from 'mysql2';
import { runMigrations, type MigrationReport } from './migrations.ts';
import { parseStoreUrl, redact, StoreError, type StoreDialect, type StoreTarget } from './store-url.ts';
import type { StoreDatabase } from './tables.ts';
import { KyselySubscriberRepo, type SubscriberRepo } from './subscriber-repo.ts';
import { KyselyLocationRepo, type LocationRepo } from './location-repo.ts';
import { KyselyClustererRepo, type ClustererRepo } from './clusterer-repo.ts';
import { KyselyAccRepo, type AccRepo } from './acc-repo.ts';

/** One open database and the repositories over it. */
export interface Store {
  readonly dialect: StoreDialect;
  /** The query layer, for code that needs a query no repository offers yet. */
  readonly db: Kysely<StoreDatabase>;
  readonly subscribers: SubscriberRepo;
  readonly locations: LocationRepo;
  readonly clusterer: ClustererRepo;
  readonly acc: AccRepo;
  /** Applies pending migrations (openStore already did, unless told not to). */
  migrate(): Promise<MigrationReport>;
  /** Closes the pool / file. The store is unusable afterwards. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Folder relative `sqlite:` paths are resolved against (the config file's folder). */
  baseDir: string;
  /** Run migrations before returning (default true). */
  migrate?: boolean;
  /** Connections per pool for PostgreSQL/MySQL (default 5). */
  poolSize?: number;
  /**
   * How long opening a PostgreSQL/MySQL connection may take (default 10 s). Without it pg waits
   * for ever on a server that accepts the connection and never answers: the node hung at start.
   */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface OpenedStore extends Store {
  /** What opening did to the schema; undefined when `migrate: false`. */
  readonly migration: MigrationReport | undefined;
}

/**
 * Opens a store from a `store.url`. Connects (so a wrong host or password fails here, with
 * STORE_CONNECT_FAILED, not on the first REGISTER) and migrates unless told not to.
 */
export async function openStore(url: string, options: OpenStoreOptions): Promise<OpenedStore> {
  const target = parseStoreUrl(url, options.baseDir);
  const db = new Kysely<StoreDatabase>({ dialect: createDialect(target, options.poolSize ?? 5, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) });
  try {
    await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
  } catch (e) {
    await db.destroy().catch(() => {});
    throw new StoreError('STORE_CONNECT_FAILED',
      `cannot open store ${target.dialect === 'sqlite' ? target.file : redact(target.url)}: ${(e as Error).message}`);
  }
  const dialect = target.dialect;
  const store: Store = {
    dialect,
    db,
    subscribers: new KyselySubscriberRepo(db, dialect),
    locations: new KyselyLocationRepo(db, dialect),
    clusterer: new KyselyClustererRepo(db, dialect),
    acc: new KyselyAccRepo(db, dialect),
    migrate: () => runMigrations(db, dialect),
    close: () => db.destroy(),
  };
  let migration: MigrationReport | undefined;
  if (options.migrate !== false) {
    try {
      migration = await store.migrate();
    } catch (e) {
      await db.destroy().catch(() => {});
      throw e;
    }
  }
  return { ...store, migration };
}

function createDialect(target: StoreTarget, poolSize: number, connectTimeoutMs: number): Dialect {
  switch (target.dialect) {
    case 'sqlite':
      return new SqliteDialect({
        database: async () => {
          let file: BetterSqlite3.Database;
          try {
            file = new BetterSqlite3(target.file);
          } catch (e) {
            throw new StoreError('STORE_CONNECT_FAILED', `cannot open ${target.file}: ${(e as Error).message}`);
          }
          // WAL lets the CLI read while a node writes; busy_timeout makes a second process wait for
          // the write lock instead of failing at once with SQLITE_BUSY.
          if (target.file !== ':memory:') file.pragma('journal_mode = WAL');
          file.pragma('busy_timeout = 5000');
          return file;
        },
      });
    case 'postgres': {
      const pool = new pg.Pool({
        connectionString: target.url,
        max: poolSize,
        connectionTimeoutMillis: connectTimeoutMs,
        // DATETIME columns stay text (see tables.ts); pg would otherwise read them in local time.
        types: {
          getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
            oid === pg.types.builtins.TIMESTAMP ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
        },
      });
      // An idle connection the server drops (restart, failover) is reported on the pool; without a
      // listener Node would crash the node. The pool discards it; the next query reconnects or fails.
      pool.on('error', () => {});
      return new PostgresDialect({ pool });
    }
    case 'mysql':
      return new MysqlDialect({
        pool: createPool({
          uri: target.url,
          connectionLimit: poolSize,
          connectTimeout: connectTimeoutMs,
          dateStrings: true, // same reason as for pg above
          supportBigNumbers: true,
          bigNumberStrings: true, // location.contact_id is BIGINT UNSIGNED
          timezone: 'Z',
        }),
      });
  }
}
