/**
 * Where a forwarded request goes (RFC 3261 §16.6 step 7, RFC 3263 simplified): the URI is the
 * explicit destination ($du), else the first loose Route, else the Request-URI. Numeric hosts are
 * used directly, synchronously (no promise on the hot path); host names go through the injected
 * Resolver, which returns every address to try in order (RFC 3263 §4; failover in §4.3 walks the
 * list). The transport comes from `;transport=`; without it, UDP for a numeric host (§4.2) and
 * whatever NAPTR/SRV say for a name (the Resolver gets `proto` undefined).
 */
import { ieqAscii, isDigit } from '../message/chars.ts';
import { isHost } from '../message/host-grammar.ts';
import { isIpv4Literal, paramValue, parseUri, sipUriPort, type SipUri } from '../message/index.ts';
import type { ProxyErrorCode, Resolver } from './proxy-types.ts';
import type { SipProto, SipTarget } from './sip-source.ts';

export type NextHop =
  | { readonly kind: 'target'; readonly target: SipTarget }
  | { readonly kind: 'resolve'; readonly host: string; readonly port: number | undefined; readonly proto: SipProto | undefined }
  | { readonly kind: 'error'; readonly code: ProxyErrorCode };

/** The URI's transport: a SipProto, 'none' without `;transport=`, undefined when unusable. */
function protoOf(u: SipUri): SipProto | 'none' | undefined {
  // sips needs TLS, which the transport does not have yet: refuse rather than downgrade (§26.2.2).
  if (u.scheme === 'sips') return undefined;
  const t = paramValue(u.params, 'transport');
  if (t === undefined) return 'none';
  const l = t.toLowerCase();
  return l === 'udp' ? 'udp' : l === 'tcp' ? 'tcp' : undefined;
}

/**
 * The URI's `maddr` (RFC 3261 §19.1.1: it overrides the host as the destination), '' without one,
 * undefined when the URI cannot be routed for it: a maddr that is not RFC 3261 §25.1
 * `maddr-param = "maddr=" host` (`256.0.0.1`, `1.2.3.4:5060`, a bare IPv6 address, `[zz]`), a
 * `ttl-param = "ttl=" ttl` that is not 1*3DIGIT 0–255, or either given twice (§19.1.1: a parameter
 * name appears once). Refused like an unknown transport (protoOf), not ignored: ignoring it would
 * send to the host, where the URI's writer did not ask, and the URI parser checks neither (it
 * keeps the canonical-URI path free of it), so a bad one must never become a $du target or a
 * name handed to DNS here. ttl is checked for the grammar only: there is no multicast sending.
 */
function maddrOf(u: SipUri): string | undefined {
  let maddr = '';
  let ttl = false;
  for (const p of u.params) {
    if (ieqAscii(p.name, 'maddr')) {
      const v = p.value;
      if (maddr !== '' || v === undefined || !isHost(v, 0, v.length)) return undefined;
      maddr = v;
    } else if (ieqAscii(p.name, 'ttl')) {
      if (ttl || !isTtl(p.value)) return undefined;
      ttl = true;
    }
  }
  return maddr;
}

/** RFC 3261 §25.1 ttl = 1*3DIGIT ; 0 to 255. */
function isTtl(v: string | undefined): boolean {
  if (v === undefined || v.length === 0 || v.length > 3) return false;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!isDigit(c)) return false;
    n = n * 10 + (c - 0x30);
  }
  return n <= 255;
}

/** Where to send for this URI: a target at once, a name to resolve, or why it cannot be routed. */
export function nextHopOf(uriText: string): NextHop {
  const u = parseUri(uriText);
  if (u === undefined || u.kind !== 'sip') return { kind: 'error', code: 'SIP_PROXY_UNROUTABLE_URI' };
  const proto = protoOf(u);
  if (proto === undefined) return { kind: 'error', code: 'SIP_PROXY_UNROUTABLE_URI' };
  const maddr = u.params.length === 0 ? '' : maddrOf(u);
  if (maddr === undefined) return { kind: 'error', code: 'SIP_PROXY_UNROUTABLE_URI' };
  const host = maddr === '' ? u.host : maddr;
  const numericProto = proto === 'none' ? 'udp' : proto;
  if (isIpv4Literal(host)) return { kind: 'target', target: { proto: numericProto, address: host, port: sipUriPort(u) } };
  if (host.startsWith('[') && host.endsWith(']')) {
    return { kind: 'target', target: { proto: numericProto, address: host.slice(1, -1), port: sipUriPort(u) } };
  }
  return { kind: 'resolve', host, port: u.port, proto: proto === 'none' ? undefined : proto };
}

/** Resolves a 'resolve' hop to its ordered targets; a failed or empty lookup is SIP_PROXY_UNRESOLVABLE. */
export async function resolveHop(
  resolver: Resolver | undefined, host: string, port: number | undefined, proto: SipProto | undefined,
): Promise<readonly SipTarget[] | ProxyErrorCode> {
  if (resolver === undefined) return 'SIP_PROXY_UNRESOLVABLE';
  try {
    const targets = await resolver.resolve(host, port, proto);
    return targets.length > 0 ? targets : 'SIP_PROXY_UNRESOLVABLE';
  } catch {
    return 'SIP_PROXY_UNRESOLVABLE';
  }
}
