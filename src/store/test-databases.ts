import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createConnection } from 'mysql2/promise';
import type { StoreDialect } from './store-url.ts';

/**
 * Test support (not shipped behaviour): a fresh, empty database per test on each engine, so runs
 * and tests never see each other's tables. PostgreSQL and MariaDB databases are created through the
 * server URL the environment gives (SIPCLUSTER_TEST_PG_URL / SIPCLUSTER_TEST_MYSQL_URL) and dropped
 * afterwards; SQLite gets a file in a temp folder.
 */
export interface FreshDatabase {
  readonly url: string;
  /** Folder `sqlite:` URLs are relative to. */
  readonly baseDir: string;
  drop(): Promise<void>;
}

export interface EngineUnderTest {
  readonly dialect: StoreDialect;
  fresh(): Promise<FreshDatabase>;
}

let counter = 0;

/** A database name no other test or concurrent run picks: pid, counter and random bits. */
function uniqueName(): string {
  counter += 1;
  return `sipcluster_t_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
}

function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export function sqliteEngine(): EngineUnderTest {
  return {
    dialect: 'sqlite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'sipcluster-store-'));
      return { url: 'sqlite:store.db', baseDir: dir, drop: async () => { rmSync(dir, { recursive: true, force: true }); } };
    },
  };
}

export function postgresEngine(serverUrl: string): EngineUnderTest {
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try { return await fn(c); } finally { await c.end(); }
  };
  return {
    dialect: 'postgres',
    async fresh() {
      const name = uniqueName();
      await admin((c) => c.query(`CREATE DATABASE "${name}"`));
      return {
        url: withDatabase(serverUrl, name),
        baseDir: process.cwd(),
        // WITH (FORCE) (pg 13+): a test that failed half-way may have left a pool open.
        drop: () => admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`); }),
      };
    },
  };
}

export function mysqlEngine(serverUrl: string): EngineUnderTest {
  const admin = async <T>(fn: (c: Awaited<ReturnType<typeof createConnection>>) => Promise<T>): Promise<T> => {
    const c = await createConnection({ uri: serverUrl });
    try { return await fn(c); } finally { await c.end(); }
  };
  return {
    dialect: 'mysql',
    async fresh() {
      const name = uniqueName();
      await admin((c) => c.query(`CREATE DATABASE \`${name}\``));
      return {
        url: withDatabase(serverUrl, name),
        baseDir: process.cwd(),
        drop: () => admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS \`${name}\``); }),
      };
    },
  };
}
