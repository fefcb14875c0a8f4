import type { Via } from '../message/index.ts';
import type { SipSource, SipTarget } from './sip-source.ts';

/** Default ports by transport (RFC 3261 §19.1.2, §18.2.2). */
export function defaultPort(transport: string): number {
  return transport === 'TLS' || transport === 'WSS' ? 5061 : 5060;
}

export interface ReceivedParams {
  readonly received: string | undefined;
  readonly rport: number | undefined;
}

/**
 * RFC 3261 §18.2.1 / RFC 3581 §4: what a server records in the top Via of a received request —
 * `received` when the sent-by host differs from the packet's source address (always when the
 * client asked for rport), and the source port as the value of a bare `rport`.
 */
export function receivedParams(via: Via, src: SipSource): ReceivedParams {
  const wantsRport = via.rport === true;
  const differs = stripBrackets(via.host).toLowerCase() !== src.remoteAddress.toLowerCase();
  return {
    received: (wantsRport || differs) && via.received === undefined ? src.remoteAddress : undefined,
    rport: wantsRport ? src.remotePort : undefined,
  };
}

/**
 * The top via-parm text with those parameters written in: a bare `;rport` gets its value in
 * place, `;received=` is appended. Used when a proxy forwards the request (§16.6 keeps the
 * received Via below its own).
 */
export function applyReceived(viaParm: string, p: ReceivedParams): string {
  let out = viaParm;
  if (p.rport !== undefined) {
    const m = /;\s*rport(?=\s*(?:;|,|$))/i.exec(out);
    if (m !== null) out = `${out.slice(0, m.index + m[0].length)}=${p.rport}${out.slice(m.index + m[0].length)}`;
  }
  if (p.received !== undefined) out += `;received=${p.received}`;
  return out;
}

/**
 * Where a response to this request goes (RFC 3261 §18.2.2, RFC 3581 §4): over a reliable
 * transport, back on the connection the request came on; when it has closed, the transport opens
 * one to the source address ("received") and the sent-by port, or the transport's default port —
 * not to the connection's ephemeral source port, where nothing listens. Over UDP, to the source
 * address when it differs from sent-by (`received`), to the source port when rport was asked for,
 * else to the sent-by port; `maddr` wins when present.
 */
export function responseTarget(via: Via, src: SipSource): SipTarget {
  const proto = src.proto;
  if (proto !== 'udp') {
    const t: SipTarget = { proto, address: src.remoteAddress, port: via.port ?? defaultPort(via.transport) };
    return src.connectionId === undefined ? t : { ...t, connectionId: src.connectionId };
  }
  if (via.maddr !== undefined) return { proto, address: via.maddr, port: via.port ?? defaultPort(via.transport) };
  const port = via.rport === true ? src.remotePort : typeof via.rport === 'number' ? via.rport : (via.port ?? defaultPort(via.transport));
  return { proto, address: via.received ?? src.remoteAddress, port };
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
