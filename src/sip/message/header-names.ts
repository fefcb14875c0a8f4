/**
 * Header names: numeric ids for the headers the SIP layers read, RFC 3261 §7.3.3 compact forms
 * (plus the IANA registry's later ones), and case-insensitive matching of a name directly in the
 * received Buffer, so the scanner classifies a header line without building a string.
 */
import { lower } from './chars.ts';

export const H = {
  other: 0,
  via: 1,
  from: 2,
  to: 3,
  callId: 4,
  cseq: 5,
  maxForwards: 6,
  route: 7,
  recordRoute: 8,
  contact: 9,
  expires: 10,
  contentLength: 11,
  contentType: 12,
  contentEncoding: 13,
  subject: 14,
  supported: 15,
  referTo: 16,
  allowEvents: 17,
  sessionExpires: 18,
  event: 19,
  identity: 20,
  referredBy: 21,
  acceptContact: 22,
  rejectContact: 23,
  requestDisposition: 24,
  identityInfo: 25,
  require: 26,
  proxyRequire: 27,
  // Read on every REGISTER (the binding's user agent, RFC 3327 Path, digest credentials): an id
  // spares get() a lower-cased name and a byte comparison per header line.
  userAgent: 28,
  path: 29,
  authorization: 30,
} as const;

export type HeaderId = (typeof H)[keyof typeof H];

/** Canonical spelling, indexed by id (RFC 3261 §20); what builders and the editor write. */
export const CANONICAL_NAMES: readonly string[] = [
  '', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Route', 'Record-Route', 'Contact',
  'Expires', 'Content-Length', 'Content-Type', 'Content-Encoding', 'Subject', 'Supported', 'Refer-To',
  'Allow-Events', 'Session-Expires', 'Event', 'Identity', 'Referred-By', 'Accept-Contact',
  'Reject-Contact', 'Request-Disposition', 'Identity-Info', 'Require', 'Proxy-Require',
  'User-Agent', 'Path', 'Authorization',
];

/** Compact forms: RFC 3261 §7.3.3 (c e f i k l m s t v) and the IANA SIP header registry. */
const COMPACT: Readonly<Record<string, HeaderId>> = {
  a: H.acceptContact, b: H.referredBy, c: H.contentType, d: H.requestDisposition, e: H.contentEncoding,
  f: H.from, i: H.callId, j: H.rejectContact, k: H.supported, l: H.contentLength, m: H.contact,
  n: H.identityInfo, o: H.event, r: H.referTo, s: H.subject, t: H.to, u: H.allowEvents, v: H.via,
  x: H.sessionExpires, y: H.identity,
};

const compactById = new Uint8Array(256);
for (const [k, id] of Object.entries(COMPACT)) compactById[k.charCodeAt(0)] = id;

const fullById = new Map<string, HeaderId>();
/** Candidates by name length: lower-case byte arrays to compare against the Buffer. */
const byLength: Array<Array<{ bytes: Uint8Array; id: HeaderId }>> = [];
for (let id = 1; id < CANONICAL_NAMES.length; id++) {
  const name = (CANONICAL_NAMES[id] ?? '').toLowerCase();
  fullById.set(name, id as HeaderId);
  const list = byLength[name.length] ?? (byLength[name.length] = []);
  list.push({ bytes: Buffer.from(name, 'latin1'), id: id as HeaderId });
}

/** Classifies the header name buf[start,end) (already known to be a token). */
export function headerIdAt(buf: Uint8Array, start: number, end: number): HeaderId {
  const len = end - start;
  if (len === 1) return compactById[lower(buf[start] ?? 0)] as HeaderId;
  const cands = byLength[len];
  if (cands === undefined) return H.other;
  outer: for (let k = 0; k < cands.length; k++) {
    const cand = cands[k];
    if (cand === undefined) continue;
    const b = cand.bytes;
    for (let i = 0; i < len; i++) {
      if (lower(buf[start + i] ?? 0) !== b[i]) continue outer;
    }
    return cand.id;
  }
  return H.other;
}

/**
 * Names looked up before, as given: scripts and the registrar pass the same few literals ('Contact',
 * 'Date') with every reply, and a literal's hash is cached, where toLowerCase() makes a new string
 * to hash each time. Bounded: a script building names at run time must not grow it without end.
 */
const byGivenName = new Map<string, HeaderId>();
const MAX_GIVEN_NAMES = 512;

/** The id of a header name given as a string (any case, full or compact form). */
export function headerIdOf(name: string): HeaderId {
  const known = byGivenName.get(name);
  if (known !== undefined) return known;
  const l = name.toLowerCase();
  const id = l.length === 1 ? compactById[l.charCodeAt(0)] as HeaderId : fullById.get(l) ?? H.other;
  if (byGivenName.size < MAX_GIVEN_NAMES) byGivenName.set(name, id);
  return id;
}

/** Case-insensitive comparison of buf[start,end) with an already lower-cased ASCII name. */
export function nameEqualsAt(buf: Uint8Array, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let i = 0; i < lowerName.length; i++) {
    if (lower(buf[start + i] ?? 0) !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

/** Canonical spelling for a name: known headers get RFC 3261 §20 case, others are kept as given. */
export function canonicalName(name: string): string {
  const id = headerIdOf(name);
  return id === H.other ? name : (CANONICAL_NAMES[id] ?? name);
}
