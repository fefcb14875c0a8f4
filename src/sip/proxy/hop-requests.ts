/**
 * Requests a proxy generates hop by hop from a branch it forwarded: CANCEL (RFC 3261 §9.1) and
 * the ACK of a non-2xx final response (§17.1.1.3). Both copy Request-URI, Call-ID, From, CSeq
 * number and Route from the branch request, and carry only its top Via (our Via, same branch),
 * so the downstream server transaction matches them.
 */
import { buildRequest, type SipMessage } from '../message/index.ts';

const HOP_MAX_FORWARDS = '70';

function common(req: SipMessage, method: string, to: string): Array<[string, string]> {
  const h: Array<[string, string]> = [
    ['Via', req.get('Via') ?? ''],
    ['Max-Forwards', HOP_MAX_FORWARDS],
    ['From', req.get('From') ?? ''],
    ['To', to],
    ['Call-ID', req.callId],
    ['CSeq', `${req.cseq.seq} ${method}`],
  ];
  const routes = req.getList('Route');
  if (routes.length > 0) h.push(['Route', routes.join(', ')]);
  return h;
}

/** §9.1: the CANCEL of a branch; the To is the request's (no tag from a response). */
export function buildCancel(req: SipMessage): Buffer {
  return buildRequest({ method: 'CANCEL', uri: req.uriText, headers: common(req, 'CANCEL', req.get('To') ?? '') }).bytes;
}

/** §17.1.1.3: the ACK of a 300–699 response; its To carries the response's tag. */
export function buildNon2xxAck(req: SipMessage, res: SipMessage): Buffer {
  return buildRequest({ method: 'ACK', uri: req.uriText, headers: common(req, 'ACK', res.get('To') ?? '') }).bytes;
}
