/**
 * Choosing the response that goes upstream when no 2xx did (RFC 3261 §16.7 steps 6–7).
 */
import type { SipMessage } from '../message/index.ts';
import type { BestResponse } from './proxy-types.ts';

/** §16.7 step 6: 4xx responses that tell the UAC how to retry are preferred in their class. */
function retryInformation(status: number): boolean {
  return status === 401 || status === 407 || status === 415 || status === 420 || status === 484;
}

/** A smaller rank is better: any 6xx, then the lowest class, then retry-informing 4xx. */
function rank(status: number): number {
  const cls = Math.floor(status / 100);
  if (cls === 6) return 0;
  return cls * 10 + (cls === 4 && retryInformation(status) ? 0 : 1);
}

/**
 * The best of the final responses (first received wins a tie). With none at all — every branch
 * failed before answering and was given a local response — the caller passes those too, so the
 * list is empty only when no branch ever existed: then 408, as §16.7 step 6 prescribes.
 */
export function chooseBest(finals: readonly BestResponse[]): BestResponse {
  let best: BestResponse | undefined;
  for (const f of finals) if (best === undefined || rank(f.status) < rank(best.status)) best = f;
  return best ?? { status: 408, reason: 'Request Timeout', msg: undefined, branch: undefined };
}

/**
 * §16.7 step 7: when the best is a 401 or 407, the challenges of every other 401/407 received are
 * added to it, so the UAC can answer all of them in one retry.
 */
export function aggregatedChallenges(best: BestResponse, finals: readonly BestResponse[]): Array<[string, string]> | undefined {
  if (best.status !== 401 && best.status !== 407) return undefined;
  let out: Array<[string, string]> | undefined;
  for (const f of finals) {
    if (f === best || f.msg === undefined || (f.status !== 401 && f.status !== 407)) continue;
    out = appendChallenges(out, f.msg, 'WWW-Authenticate');
    out = appendChallenges(out, f.msg, 'Proxy-Authenticate');
  }
  return out;
}

function appendChallenges(out: Array<[string, string]> | undefined, msg: SipMessage, name: string): Array<[string, string]> | undefined {
  const values = msg.getAll(name);
  if (values.length === 0) return out;
  const o = out ?? [];
  // Values are copied into the response we build; a CR or LF in one (never valid in a header
  // value, and not checked since this header is never parsed) would make the builder throw.
  for (const v of values) if (v.indexOf('\r') < 0 && v.indexOf('\n') < 0) o.push([name, v]);
  return o;
}
