/**
 * RFC 3263 §4 server location, as pure selection logic over an injected DNS port: NAPTR → SRV →
 * A/AAAA, ending in the ordered list of (transport, address, port) a client tries in turn (§4.3
 * failover walks it). No I/O here: src/app implements DnsPort with node:dns, and tests with a table.
 * Randomness (RFC 2782 weighted selection) comes from the injected Random (DESIGN.md §2).
 */
import type { Random } from '../../lib/time.ts';
import { isIpv4Literal } from '../message/index.ts';

export type LocTransport = 'udp' | 'tcp' | 'tls';

export interface NaptrRecord {
  readonly order: number;
  readonly preference: number;
  readonly flags: string;
  readonly service: string;
  readonly regexp: string;
  readonly replacement: string;
}

export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly name: string;
}

/** The lookups server location needs; a failed lookup resolves to an empty list (NXDOMAIN, NODATA, timeout). */
export interface DnsPort {
  naptr(name: string): Promise<readonly NaptrRecord[]>;
  srv(name: string): Promise<readonly SrvRecord[]>;
  a(name: string): Promise<readonly string[]>;
  aaaa(name: string): Promise<readonly string[]>;
}

export interface LocateQuery {
  /** The URI host (maddr already applied), IPv6 without brackets or with. */
  readonly host: string;
  /** The URI port; when given, NAPTR and SRV are skipped (§4.2). */
  readonly port?: number | undefined;
  /** The URI's `transport` parameter; when given, NAPTR is skipped (§4.1). */
  readonly transport?: LocTransport | undefined;
  /** A sips URI: only TLS (SIPS+D2T, `_sips._tcp`) qualifies (§4.1). */
  readonly secure?: boolean;
  /** Transports this client can send on; records for others are discarded (§4.1). */
  readonly supported: ReadonlySet<LocTransport>;
}

export interface LocatedTarget {
  readonly transport: LocTransport;
  readonly address: string;
  readonly port: number;
}

/** Bounds on what one lookup may expand to: DNS answers are untrusted input. */
export const MAX_LOCATED_TARGETS = 16;
export const MAX_NAPTR_USED = 8;
export const MAX_SRV_USED = 16;

const NAPTR_SERVICE: Record<string, LocTransport> = { 'sip+d2u': 'udp', 'sip+d2t': 'tcp', 'sips+d2t': 'tls' };

function defaultPort(t: LocTransport): number {
  return t === 'tls' ? 5061 : 5060;
}

/** `_sip._udp.` / `_sip._tcp.` / `_sips._tcp.` prefixes of §4.1 (TLS is "_sips._tcp"). */
export function srvName(t: LocTransport, host: string): string {
  return t === 'tls' ? `_sips._tcp.${host}` : `_sip._${t}.${host}`;
}

export function isNumericHost(h: string): boolean {
  // An IPv6 reference (the grammar forbids ':' in a host name), or dotted IPv4.
  return h.includes(':') || isIpv4Literal(h);
}

/**
 * Names we never ask NAPTR or SRV for: `localhost`, names under `.localhost`, and single-label
 * names (no dot, such as `pbx`). This is our rule, not RFC 3263's: §4 looks up the NAPTR and SRV
 * records of the URI's domain name and makes no exception. But RFC 6761 §6.3 keeps localhost names
 * to the loopback (address queries only, a negative answer for every other type), and a
 * single-label name in a next hop is a host-local name (/etc/hosts) or a site-local one, not a
 * delegated domain that publishes SIP services. Asking the DNS for their NAPTR/SRV finds nothing
 * and, with a system DNS that does not answer, waits out every query's timeouts (NAPTR, then SRV
 * for UDP and TCP: 16 s measured with the default 2 s × 2 tries) before the A/AAAA lookup that
 * answers them. A trailing dot (an absolute name) does not count as a label.
 */
export function isLocalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return !h.includes('.') || h === 'localhost' || h.endsWith('.localhost');
}

/** §4.1 with no transport from the URI or NAPTR: TLS for sips, UDP for sip. */
function fallbackTransport(q: LocateQuery): LocTransport {
  return q.secure === true ? 'tls' : 'udp';
}

/** A transport given by the URI must be usable, and a sips URI allows TLS only. */
function allowed(q: LocateQuery, t: LocTransport): boolean {
  return q.supported.has(t) && (q.secure !== true || t === 'tls');
}

/**
 * RFC 2782 ordering: ascending priority; within a priority, repeated weighted random choice where
 * an entry's chance is its weight over the sum of the remaining ones, weight-0 entries first in the
 * running sum so they keep a small chance. A target of "." means "no service here" and is dropped.
 */
export function orderSrv(records: readonly SrvRecord[], random: Random): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '.' && r.name !== '' && r.port > 0 && r.port <= 65535).slice(0, MAX_SRV_USED);
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const p of priorities) {
    const left = usable.filter((r) => r.priority === p).sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      let sum = 0;
      for (const r of left) sum += Math.max(0, r.weight);
      const pick = Math.floor(random.next() * (sum + 1));
      let running = 0;
      let k = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        running += Math.max(0, (left[i] as SrvRecord).weight);
        if (running >= pick) { k = i; break; }
      }
      out.push(left.splice(k, 1)[0] as SrvRecord);
    }
  }
  return out;
}

/**
 * §4.1: the NAPTR records a SIP client may follow, best first: SRV-flagged ("s"), a SIP service this
 * client supports, sorted by order then preference (RFC 3403 §4.1).
 */
export function usableNaptr(records: readonly NaptrRecord[], q: LocateQuery): Array<{ t: LocTransport; srv: string }> {
  const out: Array<{ r: NaptrRecord; t: LocTransport }> = [];
  for (const r of records) {
    const t = NAPTR_SERVICE[r.service.toLowerCase()];
    if (t === undefined || r.flags.toLowerCase() !== 's' || r.replacement === '' || r.replacement === '.') continue;
    if (!allowed(q, t)) continue;
    out.push({ r, t });
  }
  out.sort((a, b) => a.r.order - b.r.order || a.r.preference - b.r.preference);
  return out.slice(0, MAX_NAPTR_USED).map((x) => ({ t: x.t, srv: x.r.replacement }));
}

async function addresses(dns: DnsPort, name: string): Promise<string[]> {
  const [v4, v6] = await Promise.all([dns.a(name).catch(() => []), dns.aaaa(name).catch(() => [])]);
  return [...v4, ...v6];
}

async function fromSrv(dns: DnsPort, random: Random, name: string, t: LocTransport, out: LocatedTarget[]): Promise<boolean> {
  const records = await dns.srv(name).catch(() => []);
  if (records.length === 0) return false;
  for (const r of orderSrv(records, random)) {
    if (out.length >= MAX_LOCATED_TARGETS) break;
    for (const address of await addresses(dns, r.name)) {
      if (out.length >= MAX_LOCATED_TARGETS) break;
      out.push({ transport: t, address, port: r.port });
    }
  }
  return true;
}

/**
 * The ordered targets for a URI (RFC 3263 §4): an empty list when nothing usable was found.
 * - numeric host: that address, the URI's port or the transport's default (§4.2);
 * - explicit port: A/AAAA of the host with that port, transport from the URI or UDP/TLS (§4.2);
 * - a local name (isLocalName: localhost, single label): A/AAAA as with an explicit port, the
 *   URI's port or the transport's default — our rule, no NAPTR/SRV;
 * - explicit transport, no port: SRV for that transport, else A/AAAA with the default port (§4.2);
 * - neither: NAPTR → SRV in NAPTR order; without NAPTR, SRV for each supported transport
 *   (UDP, TCP, TLS order); without SRV, A/AAAA over UDP (TLS for sips) on the default port (§4.1).
 */
export async function locateServer(q: LocateQuery, dns: DnsPort, random: Random): Promise<LocatedTarget[]> {
  const host = q.host.startsWith('[') && q.host.endsWith(']') ? q.host.slice(1, -1) : q.host;
  const given = q.transport;
  if (given !== undefined && !allowed(q, given)) return [];
  if (isNumericHost(host)) {
    const t = given ?? fallbackTransport(q);
    return allowed(q, t) ? [{ transport: t, address: host, port: q.port ?? defaultPort(t) }] : [];
  }
  const out: LocatedTarget[] = [];
  if (q.port !== undefined || isLocalName(host)) {
    const t = given ?? fallbackTransport(q);
    if (!allowed(q, t)) return [];
    const port = q.port ?? defaultPort(t);
    for (const address of (await addresses(dns, host)).slice(0, MAX_LOCATED_TARGETS)) out.push({ transport: t, address, port });
    return out;
  }
  if (given !== undefined) {
    if (!(await fromSrv(dns, random, srvName(given, host), given, out))) {
      for (const address of (await addresses(dns, host)).slice(0, MAX_LOCATED_TARGETS)) out.push({ transport: given, address, port: defaultPort(given) });
    }
    return out;
  }
  const naptr = usableNaptr(await dns.naptr(host).catch(() => []), q);
  for (const n of naptr) {
    if (out.length >= MAX_LOCATED_TARGETS) break;
    await fromSrv(dns, random, n.srv, n.t, out);
  }
  if (naptr.length === 0) {
    for (const t of ['udp', 'tcp', 'tls'] as const) {
      if (out.length >= MAX_LOCATED_TARGETS) break;
      if (allowed(q, t)) await fromSrv(dns, random, srvName(t, host), t, out);
    }
  }
  if (out.length > 0) return out;
  const t = fallbackTransport(q);
  if (!allowed(q, t)) return [];
  for (const address of (await addresses(dns, host)).slice(0, MAX_LOCATED_TARGETS)) out.push({ transport: t, address, port: defaultPort(t) });
  return out;
}
