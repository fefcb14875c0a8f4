import { randomBytes } from 'node:crypto';
import { realClock, realRandom } from '../lib/real-time.ts';
import { parseUri, pctDecode } from '../sip/message/index.ts';
import {
  DigestAuthenticator, MemoryLocationStore, RegisterHandler, messageUriEquals, ulAdd, ulDump, ulRm, ulRmContact, ulShowContact,
  type LocationStore,
} from '../sip/registrar/index.ts';
import { RpcError, optionalInt, requireInt, requireString } from '../mgmt/rpc-registry.ts';
import { credentialStoreOf, locationPersistenceOf } from '../store/registrar-adapters.ts';
import type { Store } from '../store/open-store.ts';
import type { NodeRuntime } from './node-runtime.ts';
import type { Service } from './service.ts';

/**
 * Registrar, location service and digest authentication of a node, wired to the store:
 * bindings load at start and are written through/back to `location` as configured (OpenSIPS
 * usrloc db_mode), credentials come from `subscriber`, and expired bindings leave once a second
 * (the store's expiry index makes that pass cheap). Registers the usrloc MI methods.
 */
export class RegistrarService implements Service {
  readonly name = 'registrar';
  readonly location: LocationStore;
  readonly register: RegisterHandler;
  readonly auth: DigestAuthenticator;
  private readonly timer: NodeJS.Timeout;
  private readonly flushTimer: NodeJS.Timeout | undefined;

  private constructor(rt: NodeRuntime, store: Store) {
    const reg = rt.config.registrar;
    const mode = reg.persistence;
    this.location = new MemoryLocationStore({
      clock: realClock, random: realRandom, counters: rt.stats, uriEquals: messageUriEquals,
      ...(mode === 'none' ? {} : { persistence: locationPersistenceOf(store.locations), persistenceMode: mode }),
      onPersistenceError: (err) => rt.logger.error({ err }, 'location persistence failed'),
    });
    this.register = new RegisterHandler(this.location, realClock, {
      minExpiresSec: reg.minExpiresSec, maxExpiresSec: reg.maxExpiresSec, defaultExpiresSec: reg.defaultExpiresSec,
      maxContactsPerAor: reg.maxContactsPerAor, pathMode: reg.pathMode,
      retransmissionsReachUs: reg.statelessReplies,
    }, rt.stats);
    const auth = rt.config.auth;
    if (auth.nonceSecret === undefined && rt.config.routes !== undefined) {
      rt.logger.warn('auth.nonceSecret is not set: nonces are signed with a random per-process secret and do not verify on other nodes');
    }
    this.auth = new DigestAuthenticator({
      secret: auth.nonceSecret ?? randomBytes(32), clock: realClock, random: realRandom,
      credentials: credentialStoreOf(store.subscribers, { ttlMs: auth.credentialCacheTtlMs, maxEntries: auth.credentialCacheMaxEntries }), algorithms: auth.algorithms, nonceLifetimeSec: auth.nonceLifetimeSec,
    });
    this.timer = setInterval(() => { this.location.expire(); }, 1000);
    this.timer.unref();
    if (mode === 'write-back') {
      this.flushTimer = setInterval(() => { void this.location.flush(); }, reg.flushIntervalMs);
      this.flushTimer.unref();
    }
    registerUsrlocMethods(rt, this.location);
  }

  static async start(rt: NodeRuntime, store: Store): Promise<RegistrarService> {
    const s = new RegistrarService(rt, store);
    if (rt.config.registrar.persistence !== 'none') {
      const n = await s.location.load();
      rt.logger.info({ bindings: n }, 'location loaded from the store');
    }
    return s;
  }

  /** `user@domain` of a SIP URI (as the registrar keys it, registerAor) or an AoR given as text. */
  static aorOf(aorOrUri: string): string {
    if (!aorOrUri.includes(':')) return aorOrUri;
    const u = parseUri(aorOrUri);
    if (u === undefined || u.kind !== 'sip') return aorOrUri;
    return u.user === undefined ? u.host.toLowerCase() : `${pctDecode(u.user)}@${u.host.toLowerCase()}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    await this.location.flush();
    await this.location.persisted();
  }
}


function registerUsrlocMethods(rt: NodeRuntime, store: LocationStore): void {
  const fail = (e: { rpcCode: number; code: string; message: string }): never => { throw new RpcError(e.rpcCode, e.code, e.message); };
  rt.rpc.register({
    name: 'usrloc:dump', aliases: ['ul_dump'], params: ['brief'],
    handler: (p) => ulDump(store, realClock, (optionalInt(p, 'brief') ?? 0) !== 0),
  });
  rt.rpc.register({
    name: 'usrloc:show_contact', aliases: ['ul_show_contact'], params: ['table_name', 'aor'],
    handler: (p) => {
      const r = ulShowContact(store, realClock, requireString(p, 'table_name'), requireString(p, 'aor'));
      return r.ok ? r.value : fail(r.error);
    },
  });
  rt.rpc.register({
    name: 'usrloc:rm', aliases: ['ul_rm'], params: ['table_name', 'aor'],
    handler: (p) => {
      const r = ulRm(store, requireString(p, 'table_name'), requireString(p, 'aor'));
      return r.ok ? r.value : fail(r.error);
    },
  });
  rt.rpc.register({
    name: 'usrloc:rm_contact', aliases: ['ul_rm_contact'], params: ['table_name', 'aor', 'contact'],
    handler: (p) => {
      const r = ulRmContact(store, requireString(p, 'table_name'), requireString(p, 'aor'), requireString(p, 'contact'));
      return r.ok ? r.value : fail(r.error);
    },
  });
  rt.rpc.register({
    // OpenSIPS mi_usrloc_add: all eight parameters are required there too.
    name: 'usrloc:add', aliases: ['ul_add'], params: ['table_name', 'aor', 'contact', 'expires', 'q', 'flags', 'cflags', 'methods'],
    help: 'adds a contact to an AoR, or updates the contact written the same way',
    handler: (p) => {
      const r = ulAdd(store, realClock, {
        tableName: requireString(p, 'table_name'), aor: requireString(p, 'aor'), contact: requireString(p, 'contact'),
        expires: requireInt(p, 'expires'), q: requireString(p, 'q'), flags: requireInt(p, 'flags'),
        cflags: requireString(p, 'cflags'), methods: requireInt(p, 'methods'),
      });
      return r.ok ? r.value : fail(r.error);
    },
  });
  rt.rpc.register({
    // OpenSIPS ul_flush: write what write-back holds now (a no-op without write-back).
    name: 'usrloc:flush', aliases: ['ul_flush'], params: [],
    handler: async () => { await store.flush(); await store.persisted(); return 'OK'; },
  });
}
