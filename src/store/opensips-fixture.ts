import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from './store-url.ts';
import type { StoreDatabase } from './tables.ts';

/**
 * Test support: builds, with raw per-engine SQL, a database shaped the way OpenSIPS's own
 * install scripts leave it (OpenSIPS 3.x/4.x layout and `version` rows) — deliberately not
 * through our migration code, so the "point sipcluster at an existing OpenSIPS database" test
 * does not just compare our DDL with itself. `subscriberVersion: 7` builds the pre-3.2 auth_db
 * layout (ha1b, email_address, rpid; no SHA-256 hashes) that we must refuse.
 */
export async function createOpenSipsDatabase(
  db: Kysely<StoreDatabase>, dialect: StoreDialect, options: { subscriberVersion?: 7 | 8 } = {},
): Promise<void> {
  const my = dialect === 'mysql';
  const pgsql = dialect === 'postgres';
  const s = (n: number) => (pgsql ? `VARCHAR(${n})` : `CHAR(${n})`);
  const dt = pgsql ? 'TIMESTAMP WITHOUT TIME ZONE' : 'DATETIME';
  const u = my ? ' UNSIGNED' : '';
  const serial = (big: boolean, unsigned: boolean) => {
    if (pgsql) return `${big ? 'BIGSERIAL' : 'SERIAL'} PRIMARY KEY NOT NULL`;
    if (my) return `${big ? 'BIGINT(10)' : 'INT(10)'}${unsigned ? ' UNSIGNED' : ''} AUTO_INCREMENT PRIMARY KEY NOT NULL`;
    return 'INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL';
  };
  const idx = (table: string, base: string) => (my ? base : `${table}_${base}`);
  const v7 = options.subscriberVersion === 7;
  const statements = [
    `CREATE TABLE version (table_name ${s(32)} NOT NULL, table_version INTEGER${u} DEFAULT 0 NOT NULL,
      CONSTRAINT ${idx('version', 't_name_idx')} UNIQUE (table_name))`,
    `CREATE TABLE subscriber (id ${serial(false, true)}, username ${s(64)} DEFAULT '' NOT NULL,
      domain ${s(64)} DEFAULT '' NOT NULL, password ${s(25)} DEFAULT '' NOT NULL,
      ${v7 ? `email_address ${s(64)} DEFAULT '' NOT NULL, ha1 ${s(64)} DEFAULT '' NOT NULL,
      ha1b ${s(64)} DEFAULT '' NOT NULL, rpid ${s(64)} DEFAULT NULL`
    : `ha1 ${s(64)} DEFAULT '' NOT NULL, ha1_sha256 ${s(64)} DEFAULT '' NOT NULL,
      ha1_sha512t256 ${s(64)} DEFAULT '' NOT NULL`},
      CONSTRAINT ${idx('subscriber', 'account_idx')} UNIQUE (username, domain))`,
    `CREATE TABLE location (contact_id ${serial(true, true)}, username ${s(64)} DEFAULT '' NOT NULL,
      domain ${s(64)} DEFAULT NULL, contact TEXT NOT NULL, received ${s(255)} DEFAULT NULL,
      path ${s(255)} DEFAULT NULL, expires INTEGER${u} NOT NULL,
      q ${pgsql ? 'REAL' : my ? 'FLOAT(10,2)' : 'FLOAT'} DEFAULT 1.0 NOT NULL,
      callid ${s(255)} DEFAULT 'Default-Call-ID' NOT NULL, cseq INTEGER DEFAULT 13 NOT NULL,
      last_modified ${dt} DEFAULT '1900-01-01 00:00:01' NOT NULL, flags INTEGER DEFAULT 0 NOT NULL,
      cflags ${s(255)} DEFAULT NULL, user_agent ${s(255)} DEFAULT '' NOT NULL, socket ${s(64)} DEFAULT NULL,
      methods INTEGER DEFAULT NULL, sip_instance ${s(255)} DEFAULT NULL, kv_store TEXT DEFAULT NULL,
      attr ${s(255)} DEFAULT NULL)`,
    `CREATE TABLE clusterer (id ${serial(false, false)}, cluster_id INTEGER NOT NULL, node_id INTEGER NOT NULL,
      url ${s(64)} NOT NULL, state INTEGER DEFAULT 1 NOT NULL, no_ping_retries INTEGER DEFAULT 3 NOT NULL,
      priority INTEGER DEFAULT 50 NOT NULL, sip_addr ${s(64)}, flags ${s(64)}, description ${s(64)},
      CONSTRAINT ${idx('clusterer', 'clusterer_idx')} UNIQUE (cluster_id, node_id))`,
    `CREATE TABLE acc (id ${serial(false, true)}, method ${s(16)} DEFAULT '' NOT NULL,
      from_tag ${s(64)} DEFAULT '' NOT NULL, to_tag ${s(64)} DEFAULT '' NOT NULL,
      callid ${s(64)} DEFAULT '' NOT NULL, sip_code ${s(3)} DEFAULT '' NOT NULL,
      sip_reason ${s(32)} DEFAULT '' NOT NULL, time ${dt} NOT NULL, duration INTEGER${u} DEFAULT 0 NOT NULL,
      ms_duration INTEGER${u} DEFAULT 0 NOT NULL, setuptime INTEGER${u} DEFAULT 0 NOT NULL,
      created ${dt} DEFAULT NULL)`,
    `INSERT INTO version (table_name, table_version) VALUES ('subscriber', ${v7 ? 7 : 8}),
      ('location', 1013), ('clusterer', 4), ('acc', 7)`,
    // OpenSIPS's acc module writes one row per transaction: INVITE and BYE share the dialog's key.
    `INSERT INTO acc (method, from_tag, to_tag, callid, sip_code, sip_reason, time) VALUES
      ('INVITE', 'ft', 'tt', 'dup-call', '200', 'OK', '2024-01-02 03:04:05'),
      ('BYE', 'ft', 'tt', 'dup-call', '200', 'OK', '2024-01-02 03:05:05')`,
    `INSERT INTO clusterer (cluster_id, node_id, url, flags, description) VALUES (1, 1, 'bin:10.0.0.1:5566', 'seed', 'n1')`,
  ];
  for (const st of statements) await sql.raw(st).execute(db);
}
