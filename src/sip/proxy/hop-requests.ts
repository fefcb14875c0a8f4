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
  packRoutes(req.getList('Route'), h);
  return h;
}

/** A Route line of a request we generate stays well under the parser's line limit (8 KiB). */
const ROUTE_LINE_BYTES = 2048;

/**
 * The Route values in order, as few lines as fit ROUTE_LINE_BYTES each (§7.3.1: values on one line
 * or on several are the same set). All on one line, a Route set the request carried on several
 * lines could make a line longer than any parser takes; one line per value, more lines than it takes.
 */
function packRoutes(routes: readonly string[], h: Array<[string, string]>): void {
  let line = '';
  for (const r of routes) {
    if (line !== '' && line.length + 2 + r.length > ROUTE_LINE_BYTES) {
      h.push(['Route', line]);
      line = '';
    }
    line = line === '' ? r : `${line}, ${r}`;
  }
  if (line !== '') h.push(['Route', line]);
}

/** §9.1: the CANCEL of a branch; the To is the request's (no tag from a response). */
export function buildCancel(req: SipMessage): Buffer {
  return buildRequest({ method: 'CANCEL', uri: req.uriText, headers: common(req, 'CANCEL', req.get('To') ?? '') }).bytes;
}

/** §17.1.1.3: the ACK of a 300–699 response; its To carries the response's tag. */
export function buildNon2xxAck(req: SipMessage, res: SipMessage): Buffer {
  return buildRequest({ method: 'ACK', uri: req.uriText, headers: common(req, 'ACK', res.get('To') ?? '') }).bytes;
}
