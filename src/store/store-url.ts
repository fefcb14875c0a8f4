import { isAbsolute, resolve } from 'node:path';
import { SipclusterError } from '../lib/errors.ts';

/**
 * Every failure the storage layer reports carries a `STORE_…` code (docs/reference/errors.md,
 * section "Storage"). Driver errors are wrapped so callers never have to know which engine ran.
 */
export type StoreErrorCode =
  | 'STORE_URL_INVALID'
  | 'STORE_URL_UNSUPPORTED'
  | 'STORE_CONNECT_FAILED'
  | 'STORE_SCHEMA_MISMATCH'
  | 'STORE_MIGRATION_FAILED'
  | 'STORE_SUBSCRIBER_EXISTS'
  | 'STORE_VALUE_INVALID';

export class StoreError extends SipclusterError {
  override readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'StoreError';
    this.code = code;
  }
}

export type StoreDialect = 'sqlite' | 'postgres' | 'mysql';

/** Where a store lives, after parsing the `store.url` of the node config. */
export type StoreTarget =
  | { readonly dialect: 'sqlite'; readonly file: string } // ':memory:' or an absolute path
  | { readonly dialect: 'postgres'; readonly url: string; readonly database: string }
  | { readonly dialect: 'mysql'; readonly url: string; readonly database: string };

/**
 * Parses a store URL. Accepted forms:
 * - `sqlite::memory:` — a private in-memory database (gone when the store closes);
 * - `sqlite:<path>` — a file, relative paths resolved against `baseDir` (the config file's folder);
 *   `sqlite:///abs/path` is accepted too;
 * - `postgres://user:pw@host:port/db` (also `postgresql://`);
 * - `mysql://user:pw@host:port/db` (also `mariadb://`).
 * Passwords stay in the URL handed to the driver and are never put in error messages.
 */
export function parseStoreUrl(url: string, baseDir: string): StoreTarget {
  const colon = url.indexOf(':');
  if (colon <= 0) throw new StoreError('STORE_URL_INVALID', `store URL has no scheme: ${redact(url)}`);
  const scheme = url.slice(0, colon).toLowerCase();
  const rest = url.slice(colon + 1);
  if (scheme === 'sqlite') {
    if (rest === ':memory:') return { dialect: 'sqlite', file: ':memory:' };
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new StoreError('STORE_URL_INVALID', 'sqlite URL has no path (use sqlite:<file> or sqlite::memory:)');
    return { dialect: 'sqlite', file: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', ...serverUrl(url, 'postgres') };
  if (scheme === 'mysql' || scheme === 'mariadb') {
    // mysql2 only knows the mysql: scheme; MariaDB speaks the same protocol.
    const normalized = scheme === 'mariadb' ? `mysql:${rest}` : url;
    return { dialect: 'mysql', ...serverUrl(normalized, 'mysql') };
  }
  throw new StoreError('STORE_URL_UNSUPPORTED',
    `unsupported store URL scheme "${scheme}:" (use sqlite:, postgres:// or mysql://)`);
}

function serverUrl(url: string, dialect: 'postgres' | 'mysql'): { url: string; database: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError('STORE_URL_INVALID', `malformed ${dialect} URL: ${redact(url)}`);
  }
  if (u.hostname === '') throw new StoreError('STORE_URL_INVALID', `${dialect} URL has no host: ${redact(url)}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new StoreError('STORE_URL_INVALID', `${dialect} URL must name one database (…/dbname): ${redact(url)}`);
  }
  return { url, database };
}

/** The URL with its password replaced, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
