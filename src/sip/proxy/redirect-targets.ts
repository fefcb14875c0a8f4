/**
 * RFC 3261 §16.5 / §16.7 step 4: a proxy that recurses on a 3xx adds the response's Contacts to
 * its target set. OpenSIPS and Kamailio only do it when the script asks (get_redirects(),
 * t_on_failure + uac_redirect); here the relay option `recurse3xx` asks. The Contacts are taken
 * best q first (§20.10), never one already tried or pending in this transaction (§16.5: "a target
 * ... MUST NOT be added again"), and only as many as the transaction's budget allows.
 */
import { paramValue, parseUri, uriEquals, type SipMessage, type Uri } from '../message/index.ts';
import type { RelayTarget } from './proxy-types.ts';

/** Default and ceiling of `maxRecursedTargets` for one transaction. */
export const DEFAULT_RECURSED_TARGETS = 8;
export const MAX_RECURSED_TARGETS = 32;

function qOf(text: string | undefined): number {
  if (text === undefined) return 1;
  const q = Number(text);
  return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 1;
}

/**
 * New targets from a 3xx: sip URIs only (no sips without TLS, no tel), `expires=0` skipped, q-ordered
 * (stable for equal q), none equal (§19.1.4) to a URI in `tried`, at most `budget`.
 */
export function redirectTargets(res: SipMessage, tried: readonly string[], budget: number): RelayTarget[] {
  if (budget <= 0) return [];
  const c = res.contacts();
  if (!c.ok || c.value.star) return [];
  const seen: Uri[] = [];
  for (const t of tried) {
    const u = parseUri(t);
    if (u !== undefined) seen.push(u);
  }
  const out: RelayTarget[] = [];
  for (const na of c.value.values) {
    const u = na.uri;
    if (u.kind !== 'sip' || u.scheme !== 'sip') continue;
    if (paramValue(na.params, 'expires') === '0') continue;
    if (seen.some((s) => uriEquals(s, u))) continue;
    seen.push(u);
    out.push({ uri: u.raw, q: qOf(paramValue(na.params, 'q')) });
  }
  out.sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
  return out.slice(0, budget);
}
