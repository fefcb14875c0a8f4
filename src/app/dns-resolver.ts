/**
 * The proxy's Resolver port over node:dns: RFC 3263 server location (NAPTR → SRV → A/AAAA, the
 * selection itself is src/sip/proxy/server-location.ts) with a small cache bounded by the answers'
 * TTL and by `sip.dns.maxCacheTtlMs`.
 *
 * Without `sip.dns.servers`, NAPTR/SRV go to the system's DNS servers (resolv.conf) and addresses
 * come from getaddrinfo, as before RFC 3263 support (so /etc/hosts names such as `localhost` still
 * work). With servers, every query goes to them (a lab DNS, or the test's server on loopback).
 */
import { lookup } from 'node:dns/promises';
import { Resolver as DnsResolver } from 'node:dns/promises';
import type { Clock, Random } from '../lib/time.ts';
import { realClock, realRandom } from '../lib/real-time.ts';
import {
  locateServer, type DnsPort, type LocTransport, type NaptrRecord, type Resolver, type SipProto, type SipTarget, type SrvRecord,
} from '../sip/proxy/index.ts';

export interface DnsOptions {
  /** `ip` or `ip:port` (`[v6]:port`); empty: the system's servers and getaddrinfo for addresses. */
  readonly servers: readonly string[];
  readonly timeoutMs: number;
  readonly tries: number;
  readonly maxCacheTtlMs: number;
  readonly maxCacheEntries: number;
}

export const DEFAULT_DNS_OPTIONS: DnsOptions = { servers: [], timeoutMs: 2000, tries: 2, maxCacheTtlMs: 60_000, maxCacheEntries: 4096 };

/**
 * A failed query — no such name or record, and also a timeout or SERVFAIL (RFC 2308 §7 allows
 * caching those briefly) — is remembered this long at most, so that a name the DNS cannot answer
 * does not make every call wait for the resolver's timeouts again.
 */
const NEGATIVE_TTL_MS = 5000;
/** What the proxy can send on today; NAPTR/SRV entries for other transports (TLS) are skipped (§4.1). */
const SUPPORTED: ReadonlySet<LocTransport> = new Set<LocTransport>(['udp', 'tcp']);

interface CacheEntry { readonly value: readonly unknown[]; readonly expiresMs: number }

/** DnsPort over node:dns with a TTL-bounded, size-bounded cache (oldest entry evicted first). */
export class NodeDnsPort implements DnsPort {
  private readonly resolver: DnsResolver;
  private readonly cache = new Map<string, CacheEntry>();
  /** Queries on the wire: a burst of calls to one name asks the DNS once. */
  private readonly inflight = new Map<string, Promise<readonly unknown[]>>();
  private readonly system: boolean;

  constructor(private readonly opts: DnsOptions, private readonly clock: Clock = realClock) {
    this.resolver = new DnsResolver({ timeout: opts.timeoutMs, tries: opts.tries });
    this.system = opts.servers.length === 0;
    if (!this.system) this.resolver.setServers([...opts.servers]);
  }

  get cacheSize(): number { return this.cache.size; }

  naptr(name: string): Promise<readonly NaptrRecord[]> {
    return this.cached('NAPTR', name, async () => ({ value: await this.resolver.resolveNaptr(name), ttlMs: undefined }));
  }

  srv(name: string): Promise<readonly SrvRecord[]> {
    return this.cached('SRV', name, async () => ({ value: await this.resolver.resolveSrv(name), ttlMs: undefined }));
  }

  a(name: string): Promise<readonly string[]> {
    if (this.system) return this.cached('A', name, () => this.hostsLookup(name, 4));
    return this.cached('A', name, async () => {
      const r = await this.resolver.resolve4(name, { ttl: true });
      return { value: r.map((x) => x.address), ttlMs: minTtlMs(r) };
    });
  }

  aaaa(name: string): Promise<readonly string[]> {
    if (this.system) return this.cached('AAAA', name, () => this.hostsLookup(name, 6));
    return this.cached('AAAA', name, async () => {
      const r = await this.resolver.resolve6(name, { ttl: true });
      return { value: r.map((x) => x.address), ttlMs: minTtlMs(r) };
    });
  }

  private async hostsLookup(name: string, family: 4 | 6): Promise<{ value: string[]; ttlMs: number | undefined }> {
    const r = await lookup(name, { all: true, family });
    return { value: r.map((x) => x.address), ttlMs: undefined };
  }

  private cached<T>(type: string, name: string, query: () => Promise<{ value: T[]; ttlMs: number | undefined }>): Promise<readonly T[]> {
    const key = `${type} ${name.toLowerCase()}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.expiresMs > this.clock.nowMs()) return Promise.resolve(hit.value as readonly T[]);
    if (hit !== undefined) this.cache.delete(key);
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending as Promise<readonly T[]>;
    const p = this.ask(key, query).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async ask<T>(key: string, query: () => Promise<{ value: T[]; ttlMs: number | undefined }>): Promise<readonly T[]> {
    try {
      const r = await query();
      this.remember(key, r.value, Math.min(r.ttlMs ?? this.opts.maxCacheTtlMs, this.opts.maxCacheTtlMs));
      return r.value;
    } catch {
      this.remember(key, [], Math.min(NEGATIVE_TTL_MS, this.opts.maxCacheTtlMs));
      return [];
    }
  }

  private remember(key: string, value: readonly unknown[], ttlMs: number): void {
    if (this.opts.maxCacheEntries === 0 || ttlMs <= 0) return;
    this.cache.delete(key);
    while (this.cache.size >= this.opts.maxCacheEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(key, { value, expiresMs: this.clock.nowMs() + ttlMs });
  }
}

function minTtlMs(r: ReadonlyArray<{ ttl: number }>): number | undefined {
  if (r.length === 0) return undefined;
  let min = Infinity;
  for (const x of r) if (x.ttl < min) min = x.ttl;
  return min * 1000;
}

/** The proxy's Resolver: RFC 3263 §4 over `port`, keeping the targets the proxy has a transport for. */
export function dnsResolverOf(port: DnsPort, random: Random = realRandom): Resolver {
  return {
    async resolve(host: string, p: number | undefined, proto: SipProto | undefined): Promise<readonly SipTarget[]> {
      const located = await locateServer({ host, port: p, transport: proto, supported: SUPPORTED }, port, random);
      const out: SipTarget[] = [];
      for (const t of located) if (t.transport === 'udp' || t.transport === 'tcp') out.push({ proto: t.transport, address: t.address, port: t.port });
      return out;
    },
  };
}

/** The node's resolver for `sip.dns` (defaults: system DNS, 2 s × 2 tries, cache ≤ 60 s, 4096 entries). */
export function nodeDnsResolver(opts: Partial<DnsOptions> = {}): Resolver {
  return dnsResolverOf(new NodeDnsPort({ ...DEFAULT_DNS_OPTIONS, ...opts }));
}
