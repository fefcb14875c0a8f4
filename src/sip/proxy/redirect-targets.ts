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
  return redirectPlan(res, tried, budget).targets;
}

/**
 * The targets to add and whether they cover the 3xx: `all` is false when a Contact the proxy
 * could not use (tel:, sips:, …) or one over the budget was left out. §16.7 step 4 drops the 3xx
 * from the response context only when the proxy recursed on all of its Contacts; otherwise it
 * stays a candidate, so the caller can still see the alternatives we did not try.
 */
export function redirectPlan(res: SipMessage, tried: readonly string[], budget: number): { targets: RelayTarget[]; all: boolean } {
  if (budget <= 0) return { targets: [], all: false };
  const c = res.contacts();
  if (!c.ok || c.value.star) return { targets: [], all: false };
  const seen: Uri[] = [];
  for (const t of tried) {
    const u = parseUri(t);
    if (u !== undefined) seen.push(u);
  }
  const out: RelayTarget[] = [];
  let leftOut = false;
  for (const na of c.value.values) {
    const u = na.uri;
    if (paramValue(na.params, 'expires') === '0') continue;
    if (u.kind !== 'sip' || u.scheme !== 'sip') { leftOut = true; continue; }
    if (seen.some((s) => uriEquals(s, u))) continue;
    seen.push(u);
    out.push({ uri: u.raw, q: qOf(paramValue(na.params, 'q')) });
  }
  out.sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
  return { targets: out.slice(0, budget), all: !leftOut && out.length <= budget };
}
