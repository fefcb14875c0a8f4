/**
 * The headers every request and response must carry, decoded right after the scan (RFC 3261 §8.1.1
 * for requests, §8.2 and §16.3 for what a UAS or proxy checks): Request-URI, Via, CSeq, Call-ID,
 * From, To exactly once (RFC 4475 multi01, insuf), and Max-Forwards when present. Also what a failed
 * parse could still read, so the node can answer 400 with a reason.
 */
import { H, CANONICAL_NAMES, type HeaderId } from './header-names.ts';
import { parseCSeq, parseCallId, parseMaxForwards } from './scalar-headers.ts';
import { parseNameAddr } from './name-addr.ts';
import { parseVia } from './via.ts';
import { parseUri } from './uri.ts';
import { splitListOffsets, decodeValue } from './header-values.ts';
import { parseError, type SipParseError, type PartialMessage } from './errors.ts';
import { HDR_STRIDE, HDR_VALUE_START, HDR_VALUE_END, FOLDED_FLAG, type SipMessage } from './sip-message.ts';
import type { Result } from '../../lib/result.ts';

const single = (id: HeaderId, msg: SipMessage): number | SipParseError => {
  const i = msg.indexOfId(id);
  const name = CANONICAL_NAMES[id] ?? '';
  if (i < 0) return parseError('SIP_PARSE_MISSING_HEADER', `Missing ${name}`);
  if (msg.indexOfId(id, i + 1) >= 0) return parseError('SIP_PARSE_DUPLICATE_HEADER', `More than one ${name}`);
  return i;
};

function decodeSingle<T>(msg: SipMessage, id: HeaderId, parse: (s: string) => Result<T, SipParseError>): T | SipParseError {
  const i = single(id, msg);
  if (typeof i !== 'number') return i;
  const r = parse(msg.headerValue(i));
  return r.ok ? r.value : r.error;
}

function topVia(msg: SipMessage): SipParseError | undefined {
  const i = msg.indexOfId(H.via);
  if (i < 0) return parseError('SIP_PARSE_MISSING_HEADER', 'Missing Via');
  const b = i * HDR_STRIDE;
  const offs: number[] = [];
  splitListOffsets(msg.buffer, msg.table[b + HDR_VALUE_START] ?? 0, msg.table[b + HDR_VALUE_END] ?? 0, offs, 1 << 30);
  const folded = ((msg.table[b] ?? 0) & FOLDED_FLAG) !== 0;
  // Every element of the first line must parse (RFC 4475 badinv01: `;;,;,,`), the top one is kept.
  for (let k = 0; k < offs.length; k += 2) {
    const r = parseVia(decodeValue(msg.buffer, offs[k] ?? 0, offs[k + 1] ?? 0, folded));
    if (!r.ok) return r.error;
    if (k === 0) msg.topViaCache = r.value;
  }
  return undefined;
}

/** Decodes and caches the essential headers; returns the first problem found. */
export function checkEssentials(msg: SipMessage): SipParseError | undefined {
  if (msg.kind === 'request') {
    const uri = parseUri(msg.uriText);
    if (uri === undefined) return parseError('SIP_PARSE_BAD_REQUEST_URI', 'Request-URI is not a URI', msg.uriStart);
    // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 escruri).
    if (uri.kind === 'sip' && uri.headers.length > 0) return parseError('SIP_PARSE_BAD_REQUEST_URI', 'headers in Request-URI', msg.uriStart);
    msg.requestUri = uri;
  }
  const v = topVia(msg);
  if (v !== undefined) return v;
  const cseq = decodeSingle(msg, H.cseq, parseCSeq);
  if ('code' in cseq) return cseq;
  msg.cseqCache = cseq;
  const callId = decodeSingle(msg, H.callId, parseCallId);
  if (typeof callId !== 'string') return callId;
  msg.callIdCache = callId;
  const from = decodeSingle(msg, H.from, parseNameAddr);
  if ('code' in from) return prefix(from, 'From');
  msg.fromCache = from;
  const to = decodeSingle(msg, H.to, parseNameAddr);
  if ('code' in to) return prefix(to, 'To');
  msg.toCache = to;
  if (msg.indexOfId(H.maxForwards) >= 0) {
    const mf = decodeSingle(msg, H.maxForwards, parseMaxForwards);
    if (typeof mf !== 'number') return mf;
    msg.maxForwardsCache = mf;
  }
  return undefined;
}

function prefix(e: SipParseError, name: string): SipParseError {
  return e.message.startsWith('M') ? e : { ...e, message: `${name}: ${e.message}` };
}

/** Whatever essential header can be read from a message whose parse failed. */
export function partialOf(msg: SipMessage): PartialMessage {
  if (msg.topViaCache === undefined && msg.indexOfId(H.via) >= 0) topVia(msg);
  const via = msg.topViaCache;
  const get = <T>(id: HeaderId, parse: (s: string) => Result<T, SipParseError>): T | undefined => {
    const i = msg.indexOfId(id);
    if (i < 0) return undefined;
    const r = parse(msg.headerValue(i));
    return r.ok ? r.value : undefined;
  };
  return {
    kind: msg.kind,
    method: msg.kind === 'request' ? msg.method || undefined : undefined,
    status: msg.kind === 'response' ? msg.status : undefined,
    topVia: via,
    callId: get(H.callId, parseCallId),
    cseq: get(H.cseq, parseCSeq),
    from: get(H.from, parseNameAddr),
    to: get(H.to, parseNameAddr),
  };
}
