import type { NameAddr } from '../message/index.ts';
import { pctDecode, sameAddress, sipUriPort } from '../message/index.ts';
import type { Binding } from './binding.ts';
import type { ReceiveInfo } from './register-handler.ts';

/**
 * The AoR of a REGISTER's To URI as usrloc keys it: `user@host`, host lower-cased (RFC 3261
 * §10.3 step 5 canonicalisation), user %-decoded and kept case-sensitive. Undefined for non-SIP
 * URIs or a missing user part (the registrar answers 404).
 */
export function registerAor(to: NameAddr): string | undefined {
  const u = to.uri;
  if (u.kind !== 'sip' || u.user === undefined || u.user.length === 0) return undefined;
  return `${pctDecode(u.user)}@${u.host.toLowerCase()}`;
}

/** Is the Contact's host:port other than where the packet came from? Then the UA is behind NAT. */
export function contactIsBehindNat(na: NameAddr, rcv: ReceiveInfo): boolean {
  const u = na.uri;
  if (u.kind !== 'sip') return false;
  return !sameAddress(u.host, rcv.sourceIp) || sipUriPort(u) !== rcv.sourcePort;
}

/** OpenSIPS's `received` value: the packet source as a SIP URI (transport named unless UDP). */
export function receivedUri(rcv: ReceiveInfo): string {
  const host = rcv.sourceIp.includes(':') ? `[${rcv.sourceIp}]` : rcv.sourceIp;
  return `sip:${host}:${rcv.sourcePort}${rcv.proto === 'udp' ? '' : `;transport=${rcv.proto}`}`;
}

/**
 * A Contact value for the 200 OK: the URI, remaining seconds (§10.3 step 8), and the q,
 * +sip.instance and reg-id the UA registered, so it can recognise its own binding (RFC 5626 §6).
 */
export function bindingContactValue(b: Binding, nowSec: number): string {
  let v = `<${b.contact}>;expires=${b.permanent ? 0 : b.remainingSec(nowSec)}`;
  const q = b.qText();
  if (q !== '') v += `;q=${q}`;
  if (b.instance !== undefined) v += `;+sip.instance="${b.instance}"`;
  if (b.instance !== undefined && b.regId !== 0) v += `;reg-id=${b.regId}`;
  return v;
}
