/**
 * Which addresses are this node's: RFC 3261 §16.4 pops a Route that names us and restores the
 * Request-URI a strict router replaced with our Record-Route URI; §16.3 step 4 looks for our own
 * sent-by among the Vias. It also builds what we write about ourselves: the Via sent-by and the
 * Record-Route URI of a listener (OpenSIPS rr module: `<sip:ADDR:PORT;transport=tcp;lr>`).
 */
import type { SipUri, Via } from '../message/index.ts';
import type { ProxyAlias, ProxyListener } from './proxy-types.ts';
import type { SipProto, SipSource } from './sip-source.ts';

const DEFAULT_SIP_PORT = 5060;
const DEFAULT_SIPS_PORT = 5061;

function bare(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.toLowerCase();
}

/** An IPv6 literal needs brackets in a URI or Via (RFC 3261 §25.1 IPv6reference). */
export function hostForUri(address: string): string {
  return address.indexOf(':') >= 0 && !address.startsWith('[') ? `[${address}]` : address;
}

export class OwnAddresses {
  /** `host:port` keys, hosts lower-cased and without brackets; port 0 means any port. */
  private readonly keys = new Set<string>();
  private readonly rrByListener = new Map<ProxyListener, string>();
  private readonly sentByByListener = new Map<ProxyListener, { host: string; port: number }>();

  constructor(readonly listeners: readonly ProxyListener[], aliases: readonly ProxyAlias[] = []) {
    for (const l of listeners) {
      this.keys.add(`${bare(l.address)}:${l.port}`);
      const host = hostForUri(l.advertisedAddress ?? l.address);
      const port = l.advertisedPort ?? l.port;
      this.keys.add(`${bare(host)}:${port}`);
      this.sentByByListener.set(l, { host, port });
      this.rrByListener.set(l, `<sip:${host}:${port}${l.proto === 'udp' ? '' : `;transport=${l.proto}`};lr>`);
    }
    for (const a of aliases) this.keys.add(`${bare(a.host)}:${a.port ?? 0}`);
  }

  isOwn(host: string, port: number | undefined, secure = false): boolean {
    const h = bare(host);
    if (this.keys.has(`${h}:0`)) return true;
    return this.keys.has(`${h}:${port ?? (secure ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT)}`);
  }

  /** A Route or Request-URI naming this node (maddr, when present, is where it points). */
  isOwnUri(u: SipUri): boolean {
    let maddr: string | undefined;
    for (const p of u.params) if (p.name.toLowerCase() === 'maddr') maddr = p.value;
    return this.isOwn(maddr ?? u.host, u.port, u.scheme === 'sips');
  }

  isOwnVia(v: Via): boolean {
    return this.isOwn(v.host, v.port, v.transport === 'TLS');
  }

  /** The listener a request arrived on (its local address), falling back to any of that transport. */
  inbound(src: SipSource): ProxyListener | undefined {
    let any: ProxyListener | undefined;
    for (const l of this.listeners) {
      if (l.proto !== src.proto) continue;
      if (l.port === src.localPort && (bare(l.address) === bare(src.localAddress) || l.address === '0.0.0.0' || l.address === '::')) return l;
      any ??= l;
    }
    return any;
  }

  /** The listener that sends on this transport (first configured wins). */
  outbound(proto: SipProto): ProxyListener | undefined {
    for (const l of this.listeners) if (l.proto === proto) return l;
    return undefined;
  }

  recordRouteFor(l: ProxyListener): string {
    return this.rrByListener.get(l) ?? '';
  }

  sentBy(l: ProxyListener): { host: string; port: number } {
    return this.sentByByListener.get(l) ?? { host: l.address, port: l.port };
  }
}
