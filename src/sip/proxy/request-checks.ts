/**
 * RFC 3261 §16.3 request validation, the steps the SIP core has not done already (syntax §16.3.1
 * and URI scheme §16.3.2 are SipCore's): Max-Forwards (step 3), loop detection (step 4) and
 * Proxy-Require (step 5). The result is the response to send instead of forwarding.
 */
import { H, type SipMessage } from '../message/index.ts';
import { isLoop } from './loop-branch.ts';
import type { OwnAddresses } from './own-addresses.ts';

export interface Rejection {
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

const NO_HEADERS: ReadonlyArray<readonly [string, string]> = [];

export interface CheckOptions {
  /** Option tags this proxy supports in Proxy-Require (RFC 3261 §20.29); usually none. */
  readonly supported: ReadonlySet<string>;
  /** Methods listed in Allow when we answer an OPTIONS ourselves. */
  readonly allow: string;
}

export function checkRequest(msg: SipMessage, own: OwnAddresses, opts: CheckOptions): Rejection | undefined {
  // Step 3: no Max-Forwards passes (we add 70 when forwarding); 0 must not be forwarded. An
  // OPTIONS may then be answered by this element as its final recipient (§11).
  if (msg.maxForwards === 0) {
    if (msg.method === 'OPTIONS') {
      return { status: 200, reason: 'OK', headers: [['Allow', opts.allow], ['Accept', 'application/sdp']] };
    }
    return { status: 483, reason: 'Too Many Hops', headers: NO_HEADERS };
  }
  // Step 4: our own Via with the same loop hash means the request came back unchanged.
  if (isLoop(msg, own)) return { status: 482, reason: 'Loop Detected', headers: NO_HEADERS };
  // Step 5: extensions the proxy must understand; §8.2.2.3 exempts CANCEL and ACK.
  if (msg.indexOfId(H.proxyRequire) >= 0 && msg.method !== 'CANCEL' && msg.method !== 'ACK') {
    const unsupported: string[] = [];
    for (const tag of msg.getList('Proxy-Require')) {
      const t = tag.trim();
      if (t !== '' && !opts.supported.has(t.toLowerCase())) unsupported.push(t);
    }
    if (unsupported.length > 0) return { status: 420, reason: 'Bad Extension', headers: [['Unsupported', unsupported.join(', ')]] };
  }
  return undefined;
}
