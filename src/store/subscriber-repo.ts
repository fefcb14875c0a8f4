import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { StoreError, type StoreDialect } from './store-url.ts';
import type { StoreDatabase } from './tables.ts';

/**
 * Digest credentials in OpenSIPS's `subscriber` table (auth_db, version 8). The registrar's
 * `CredentialStore` port (src/sip/registrar) is adapted onto `get`.
 */
export interface Subscriber {
  readonly id: number;
  readonly username: string;
  readonly domain: string;
  /** Empty unless the password was stored in clear (OpenSIPS `calculate_ha1` mode). */
  readonly password: string;
  /** MD5(username:realm:password), RFC 2617 / RFC 8760 "MD5". */
  readonly ha1: string;
  /** SHA-256(username:realm:password), RFC 8760 "SHA-256". */
  readonly ha1Sha256: string;
  /** SHA-512/256(username:realm:password), RFC 8760 "SHA-512-256". */
  readonly ha1Sha512t256: string;
}

export interface AddSubscriberOptions {
  /** Digest realm the hashes are computed for; OpenSIPS's convention (and our default) is the domain. */
  realm?: string;
  /**
   * Also keep the password in clear in `password` (needed only by OpenSIPS configured with
   * `calculate_ha1 = 1`). Off by default: the hashes are enough to authenticate.
   */
  storePlainPassword?: boolean;
}

export interface SubscriberRepo {
  /** Adds a subscriber; STORE_SUBSCRIBER_EXISTS if username@domain is taken. Returns the row. */
  add(username: string, domain: string, password: string, options?: AddSubscriberOptions): Promise<Subscriber>;
  get(username: string, domain: string): Promise<Subscriber | undefined>;
  /** True when a row was removed. */
  remove(username: string, domain: string): Promise<boolean>;
  /** All subscribers (of one domain if given), ordered by domain then username. */
  list(domain?: string): Promise<Subscriber[]>;
}

/** The three RFC 8760 HA1 values OpenSIPS's auth_db reads, hex encoded. */
export function computeHa1(username: string, realm: string, password: string): {
  ha1: string; ha1Sha256: string; ha1Sha512t256: string;
} {
  const a1 = `${username}:${realm}:${password}`;
  return {
    ha1: createHash('md5').update(a1).digest('hex'),
    ha1Sha256: createHash('sha256').update(a1).digest('hex'),
    ha1Sha512t256: createHash('sha512-256').update(a1).digest('hex'),
  };
}

// subscriber.username/domain are CHAR(64) and password CHAR(25) in OpenSIPS's schema: refuse
// what would be truncated (MySQL non-strict) or rejected with an engine-specific error.
const MAX_NAME_CHARS = 64;
const MAX_PLAIN_PASSWORD_CHARS = 25;

export class KyselySubscriberRepo implements SubscriberRepo {
  constructor(private readonly db: Kysely<StoreDatabase>, _dialect: StoreDialect) {}

  async add(username: string, domain: string, password: string, options: AddSubscriberOptions = {}): Promise<Subscriber> {
    checkName('username', username);
    checkName('domain', domain);
    if (password === '') throw new StoreError('STORE_VALUE_INVALID', 'password must not be empty');
    const keepPlain = options.storePlainPassword === true;
    if (keepPlain && password.length > MAX_PLAIN_PASSWORD_CHARS) {
      throw new StoreError('STORE_VALUE_INVALID',
        `a password kept in clear is limited to ${MAX_PLAIN_PASSWORD_CHARS} characters (subscriber.password)`);
    }
    const h = computeHa1(username, options.realm ?? domain, password);
    const row = {
      username, domain,
      password: keepPlain ? password : '',
      ha1: h.ha1, ha1_sha256: h.ha1Sha256, ha1_sha512t256: h.ha1Sha512t256,
    };
    try {
      await this.db.insertInto('subscriber').values(row).execute();
    } catch (e) {
      // The unique key account_idx (username, domain) decides, also between racing writers.
      if (await this.get(username, domain) !== undefined) {
        throw new StoreError('STORE_SUBSCRIBER_EXISTS', `subscriber ${username}@${domain} already exists`);
      }
      throw e;
    }
    const added = await this.get(username, domain);
    if (added === undefined) throw new StoreError('STORE_VALUE_INVALID', `subscriber ${username}@${domain} vanished after insert`);
    return added;
  }

  async get(username: string, domain: string): Promise<Subscriber | undefined> {
    const r = await this.db.selectFrom('subscriber').selectAll()
      .where('username', '=', username).where('domain', '=', domain).executeTakeFirst();
    return r === undefined ? undefined : toSubscriber(r);
  }

  async remove(username: string, domain: string): Promise<boolean> {
    const r = await this.db.deleteFrom('subscriber')
      .where('username', '=', username).where('domain', '=', domain).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async list(domain?: string): Promise<Subscriber[]> {
    let q = this.db.selectFrom('subscriber').selectAll();
    if (domain !== undefined) q = q.where('domain', '=', domain);
    const rows = await q.orderBy('domain').orderBy('username').execute();
    return rows.map(toSubscriber);
  }
}

function checkName(what: string, v: string): void {
  if (v === '' || v.length > MAX_NAME_CHARS) {
    throw new StoreError('STORE_VALUE_INVALID', `${what} must be 1 to ${MAX_NAME_CHARS} characters`);
  }
}

function toSubscriber(r: {
  id: number; username: string; domain: string; password: string; ha1: string; ha1_sha256: string; ha1_sha512t256: string;
}): Subscriber {
  // MySQL CHAR columns come back without trailing spaces; trim elsewhere too for one behaviour.
  return {
    id: Number(r.id),
    username: r.username,
    domain: r.domain,
    password: r.password,
    ha1: r.ha1.trimEnd(),
    ha1Sha256: r.ha1_sha256.trimEnd(),
    ha1Sha512t256: r.ha1_sha512t256.trimEnd(),
  };
}
