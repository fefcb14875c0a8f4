import type {
  Binding, CredentialStore, Credentials, LocationPersistence, PersistedBinding, PersistenceChange,
} from '../sip/registrar/index.ts';
import type { LocationContact, LocationInput, LocationRepo } from './location-repo.ts';
import type { SubscriberRepo } from './subscriber-repo.ts';

/** How long a looked-up credential (or its absence) is reused before the table is asked again (config auth.credentialCacheTtlMs). */
export const CREDENTIAL_CACHE_TTL_MS = 10_000;
export const CREDENTIAL_CACHE_MAX_ENTRIES = 100_000;

interface CachedCredentials { readonly atMs: number; readonly value: Credentials | undefined }

export interface CredentialCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly nowMs?: () => number;
}

/**
 * The registrar's CredentialStore over OpenSIPS's `subscriber` table. Empty columns are absent.
 * Answers are cached for a few seconds (bounded): a REGISTER storm must not become a query storm
 * (Kamailio's and OpenSIPS's deployments put an htable/cacheDB in front for the same reason). A
 * changed password takes effect within the TTL.
 */
export function credentialStoreOf(repo: SubscriberRepo, o: CredentialCacheOptions = {}): CredentialStore {
  const ttlMs = o.ttlMs ?? CREDENTIAL_CACHE_TTL_MS;
  const maxEntries = o.maxEntries ?? CREDENTIAL_CACHE_MAX_ENTRIES;
  const nowMs = o.nowMs ?? (() => performance.now());
  // Domain → username → answer: no `user\0domain` key concatenated per request (a string to
  // flatten and hash each time); the domain map holds one entry on most nodes.
  const cache = new Map<string, Map<string, CachedCredentials>>();
  let size = 0;
  return {
    // A hit is returned as is (the port allows it): a digest REGISTER then pays for no promise.
    get(username: string, domain: string): Credentials | undefined | Promise<Credentials | undefined> {
      const hit = cache.get(domain)?.get(username);
      const now = nowMs();
      if (hit !== undefined && now - hit.atMs < ttlMs) return hit.value;
      return lookup(username, domain).then((value) => {
        if (cache.get(domain)?.delete(username) === true) size--;
        if (maxEntries === 0) return value;
        // Full: the domain's oldest answer goes (insertion order), else another domain's.
        if (size >= maxEntries) evictOne(domain);
        // Looked up after the eviction: a domain map it emptied has left the cache, and an answer
        // written into that map would be lost while still counted in `size`.
        let users = cache.get(domain);
        if (users === undefined) cache.set(domain, users = new Map());
        users.set(username, { atMs: now, value });
        size++;
        return value;
      });
    },
  };

  /** Makes room for one answer: the oldest of `preferred`'s domain, else of the first domain holding one. */
  function evictOne(preferred: string): void {
    const own = cache.get(preferred);
    if (own !== undefined && dropOldest(preferred, own)) return;
    for (const [domain, users] of cache) if (dropOldest(domain, users)) return;
  }

  /** Drops the domain's oldest answer (and the domain once empty); false when it held none. */
  function dropOldest(domain: string, users: Map<string, CachedCredentials>): boolean {
    const oldest = users.keys().next();
    if (oldest.done !== true) {
      users.delete(oldest.value);
      size--;
    }
    if (users.size === 0) cache.delete(domain);
    return oldest.done !== true;
  }

  async function lookup(username: string, domain: string): Promise<Credentials | undefined> {
    const s = await repo.get(username, domain);
    if (s === undefined) return undefined;
    const c: { password?: string; ha1?: string; ha1Sha256?: string; ha1Sha512t256?: string } = {};
    if (s.password !== '') c.password = s.password;
    if (s.ha1 !== '') c.ha1 = s.ha1;
    if (s.ha1Sha256 !== '') c.ha1Sha256 = s.ha1Sha256;
    if (s.ha1Sha512t256 !== '') c.ha1Sha512t256 = s.ha1Sha512t256;
    return c;
  }
}

/** q in the table is OpenSIPS's float (1.0, 0.5, -1 unspecified); bindings keep thousandths. */
function qToTable(q: number): number {
  return q < 0 ? -1 : q / 1000;
}

function qFromTable(q: number): number {
  return q < 0 ? -1 : Math.round(q * 1000);
}

function splitAor(aor: string): { username: string; domain: string | null } {
  const at = aor.lastIndexOf('@');
  return at < 0 ? { username: aor, domain: null } : { username: aor.slice(0, at), domain: aor.slice(at + 1) };
}

function toRow(b: Binding): LocationInput {
  const { username, domain } = splitAor(b.aor);
  return {
    contactId: b.contactId, username, domain, contact: b.contact, received: b.received ?? null, path: b.path ?? null,
    expires: b.expiresSec, q: qToTable(b.q), callid: b.callId, cseq: b.cseq, lastModified: new Date(b.lastModifiedSec * 1000),
    flags: b.flags, cflags: b.cflags === '' ? null : b.cflags, userAgent: b.userAgent, socket: b.socket === '' ? null : b.socket,
    methods: b.methods, sipInstance: b.instance ?? null, attr: b.attrs === undefined ? null : JSON.stringify(b.attrs),
    // OpenSIPS's location table has no reg-id column; its kv_store (a JSON object) carries it, so an
    // RFC 5626 binding is matched by (instance, reg-id) after a restart as before it.
    kvStore: b.instance !== undefined && b.regId !== 0 ? JSON.stringify({ [REG_ID_KEY]: b.regId }) : null,
  };
}

const REG_ID_KEY = 'reg_id';

/** The reg-id kept in kv_store by toRow (0 when absent or not ours). */
function regIdOf(kvStore: string | null): number {
  if (kvStore === null || kvStore === '') return 0;
  try {
    const v = (JSON.parse(kvStore) as Record<string, unknown>)[REG_ID_KEY];
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff ? v : 0;
  } catch {
    return 0; // another writer's kv_store that is not JSON: not ours
  }
}

function fromRow(r: LocationContact): PersistedBinding {
  const p: Record<string, unknown> = {
    aor: r.domain === null || r.domain === '' ? r.username : `${r.username}@${r.domain}`,
    contactId: r.contactId, lastModifiedSec: Math.floor(r.lastModified.getTime() / 1000),
    contact: r.contact, expiresSec: r.expires, q: qFromTable(r.q), callId: r.callid, cseq: r.cseq,
    userAgent: r.userAgent, flags: r.flags,
  };
  if (r.received !== null) p.received = r.received;
  if (r.path !== null) p.path = r.path;
  if (r.socket !== null) p.socket = r.socket;
  if (r.methods !== null) p.methods = r.methods;
  if (r.cflags !== null) p.cflags = r.cflags;
  if (r.sipInstance !== null) {
    p.instance = r.sipInstance;
    p.regId = regIdOf(r.kvStore);
  }
  if (r.attr !== null) {
    try { p.attrs = JSON.parse(r.attr) as Record<string, string>; } catch { /* an OpenSIPS attr that is not ours: leave it */ }
  }
  return p as unknown as PersistedBinding;
}

/**
 * The registrar's LocationPersistence over OpenSIPS's `location` table: bindings survive a
 * restart (OpenSIPS usrloc db_mode 1/2). Rows are keyed by contact_id, as usrloc does.
 */
export function locationPersistenceOf(repo: LocationRepo): LocationPersistence {
  return {
    async *load(): AsyncIterable<PersistedBinding> {
      for (const r of await repo.loadAll()) yield fromRow(r);
    },
    async write(changes: readonly PersistenceChange[]): Promise<void> {
      for (const c of changes) {
        if (c.op === 'upsert') await repo.upsert(toRow(c.binding));
        else await repo.delete(c.contactId);
      }
    },
  };
}
