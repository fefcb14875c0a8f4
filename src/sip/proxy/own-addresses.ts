/**
 * Which addresses are this node's: RFC 3261 §16.4 pops a Route that names us and restores the
 * Request-URI a strict router replaced with our Record-Route URI; §16.3 step 4 looks for our own
 * sent-by among the Vias. It also builds what we write about ourselves: the Via sent-by and the
 * Record-Route URI of a listener (OpenSIPS rr module: `<sip:ADDR:PORT;transport=tcp;lr>`).
 */
import { unbracketed, type SipUri, type Via } from '../message/index.ts';
import type { ProxyAlias, ProxyListener } from './proxy-types.ts';
import type { SipSource, SipTarget } from './sip-source.ts';

const DEFAULT_SIP_PORT = 5060;
const DEFAULT_SIPS_PORT = 5061;

/** An IPv6 literal always contains ':' (the transport tells the families apart the same way). */
function isV6(address: string): boolean {
  return address.indexOf(':') >= 0;
}

/** A host without IPv6 brackets, lower-cased: the form addresses are compared in. */
export function bare(host: string): string {
  return unbracketed(host).toLowerCase();
}

/** An IPv6 literal needs brackets in a URI or Via (RFC 3261 §25.1 IPv6reference). */
export function hostForUri(address: string): string {
  return address.indexOf(':') >= 0 && !address.startsWith('[') ? `[${address}]` : address;
}

/**
 * The Via sent-by of a listener (RFC 3261 §18.2.1: where responses are to go): the address and port
 * it advertises when it sits behind a NAT or is bound to 0.0.0.0, else the bound ones.
 */
export function sentByOf(l: ProxyListener): { host: string; port: number } {
  return { host: hostForUri(l.advertisedAddress ?? l.address), port: l.advertisedPort ?? l.port };
}

export class OwnAddresses {
  /** `host:port` keys, hosts lower-cased and without brackets; port 0 means any port. */
  private readonly keys = new Set<string>();
  private readonly rrByListener = new Map<ProxyListener, string>();
  private readonly sentByByListener = new Map<ProxyListener, { host: string; port: number }>();
  /** Per listener (same index): bound to an IPv6 address. */
  private readonly v6: boolean[];
  /** UDP listeners: with one, the transport's default socket is it, and targets need not name it. */
  private readonly udpCount: number;

  constructor(readonly listeners: readonly ProxyListener[], aliases: readonly ProxyAlias[] = []) {
    this.v6 = listeners.map((l) => isV6(l.address));
    this.udpCount = listeners.filter((l) => l.proto === 'udp').length;
    for (const l of listeners) {
      this.keys.add(`${bare(l.address)}:${l.port}`);
      const sentBy = sentByOf(l);
      const { host, port } = sentBy;
      this.keys.add(`${bare(host)}:${port}`);
      this.sentByByListener.set(l, sentBy);
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

  /**
   * The listener a request forwarded to `to` leaves from, and that its Via and Record-Route name
   * (OpenSIPS get_send_socket() without force_send_socket): over UDP the listener the request
   * arrived on (`src`) when it is UDP and of the destination's address family; else the first
   * configured listener of the transport and family; else the first of the transport.
   */
  outbound(to: SipTarget, src?: SipSource): ProxyListener | undefined {
    const proto = to.proto;
    const v6 = isV6(to.address);
    if (proto === 'udp' && this.udpCount > 1 && src !== undefined && src.proto === 'udp') {
      const l = this.inbound(src);
      if (l !== undefined && isV6(l.address) === v6) return l;
    }
    let any: ProxyListener | undefined;
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i] as ProxyListener;
      if (l.proto !== proto) continue;
      if (this.v6[i] === v6) return l;
      any ??= l;
    }
    return any;
  }

  /**
   * `to`, naming `l` as the UDP socket to send from, so the datagram leaves from the listener its
   * Via names (the transport's default socket of the family need not be that one). `to` itself on
   * a node with one UDP listener (the default is it: nothing allocated per request, DESIGN.md §8),
   * for TCP (a connection leaves from an ephemeral port whatever the Via says), and when `l` is of
   * the other family (no listener of the destination's: no socket could send it anyway).
   */
  sendFrom(to: SipTarget, l: ProxyListener): SipTarget {
    if (to.proto !== 'udp' || this.udpCount < 2 || isV6(l.address) !== isV6(to.address)) return to;
    return { proto: to.proto, address: to.address, port: to.port, localAddress: l.address, localPort: l.port };
  }

  /**
   * `to` for a response forwarded without a transaction (§16.11), from the socket the response
   * came in on when it is of `to`'s family (OpenSIPS forward_reply: get_send_socket() prefers the
   * receiving socket); else `to` (the transport's default socket of the family).
   */
  replyFrom(to: SipTarget, src: SipSource | undefined): SipTarget {
    if (src === undefined || src.proto !== 'udp' || to.proto !== 'udp' || this.udpCount < 2 || isV6(src.localAddress) !== isV6(to.address)) return to;
    return { proto: to.proto, address: to.address, port: to.port, localAddress: src.localAddress, localPort: src.localPort };
  }

  recordRouteFor(l: ProxyListener): string {
    return this.rrByListener.get(l) ?? '';
  }

  sentBy(l: ProxyListener): { host: string; port: number } {
    return this.sentByByListener.get(l) ?? { host: l.address, port: l.port };
  }
}
