/**
 * Checks on a message that parsed but that an RFC 3261 element must still refuse (RFC 4475 §3.1.2.16
 * badvers, §3.1.2.17/18 mismatch01/02, §3.3.2 unkscm): the parser keeps them readable so the layer
 * above can answer with the right status instead of dropping them. Answering is that layer's job.
 */
import type { SipMessage } from './sip-message.ts';

export interface SemanticProblem {
  readonly status: 400 | 416 | 505;
  readonly reason: string;
}

/** The first problem that makes a UAS or proxy refuse this request, or undefined. */
export function checkRequestSemantics(req: SipMessage): SemanticProblem | undefined {
  if (req.kind !== 'request') return undefined;
  // RFC 3261 §7.1 / §21.5.7: only SIP/2.0 is understood.
  if (req.version !== 'SIP/2.0') return { status: 505, reason: 'Version Not Supported' };
  // RFC 3261 §8.1.1.5: the CSeq method matches the request method.
  if (req.cseq.method !== req.method) return { status: 400, reason: 'Bad Request (CSeq method does not match)' };
  // RFC 3261 §8.2.2.1: a Request-URI scheme we do not understand gets 416.
  const scheme = req.uriScheme;
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return { status: 416, reason: 'Unsupported URI Scheme' };
  return undefined;
}
