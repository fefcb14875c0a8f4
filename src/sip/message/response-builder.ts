/**
 * Responses built from a request (RFC 3261 §8.2.6): the Via, From, To, Call-ID and CSeq lines are
 * copied byte for byte from the request (Via values in the same order, §8.2.6.2), the To tag is added
 * when absent and the status is above 100, Content-Length is computed.
 */
import { H } from './header-names.ts';
import { HDR_STRIDE, HDR_LINE_START, HDR_VALUE_END, type SipMessage } from './sip-message.ts';
import { joinPieces, headerLine, type Piece } from './serializer.ts';
import { parseMessage } from './parser.ts';
import { canonicalName } from './header-names.ts';
import { SipclusterError, invariant } from '../../lib/errors.ts';

export interface ResponseOptions {
  /** To tag for a response that creates or confirms a dialog. Default: derived (see deriveToTag). */
  readonly toTag?: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Header lines built once with prepareHeaders() (constant sets: Server, Allow…), after `headers`. */
  readonly prepared?: PreparedHeaders;
  readonly body?: Buffer | string;
}

/** Header lines validated and encoded once, for the header sets a node sends with every reply. */
export interface PreparedHeaders {
  readonly bytes: Buffer;
}

export function prepareHeaders(headers: ReadonlyArray<readonly [string, string]>): PreparedHeaders {
  for (const [name] of headers) invariant(name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'l', 'Content-Length is computed');
  return { bytes: Buffer.from(headers.map(([n, v]) => headerLine(canonicalName(n), v)).join(''), 'utf8') };
}

const NO_BODY_TAIL = 'Content-Length: 0\r\n\r\n';

/**
 * A To tag computed from the request (FNV-1a of Call-ID, From tag and top Via branch), so that a
 * retransmitted request answered statelessly gets the same tag (RFC 3261 §16.3 / §8.2.6.2) without
 * the pure message layer needing randomness.
 */
export function deriveToTag(req: SipMessage): string {
  // Two FNV-style hashes over Call-ID, From tag, branch and CSeq number, fed piece by piece (a
  // concatenated key would be built, flattened and thrown away for every reply).
  const h = SCRATCH;
  h[0] = 0x811c9dc5;
  h[1] = 0x01000193;
  mix(h, req.callId);
  mix(h, req.from.tag ?? '');
  mix(h, req.topVia.branch ?? '');
  mix(h, String(req.cseq.seq));
  return (h[0] as number).toString(16).padStart(8, '0') + (h[1] as number).toString(16).padStart(8, '0');
}

const SCRATCH = new Uint32Array(2);

function mix(h: Uint32Array, s: string): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  // A separator, so ("ab", "c") and ("a", "bc") differ.
  h[0] = Math.imul(h1, 0x01000193);
  h[1] = Math.imul(h2, 0x5bd1e995);
}

function validReason(reason: string): boolean {
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return false;
  }
  return true;
}

/**
 * The bytes of the response to `req`, without parsing them back: what a proxy sends on the hot
 * path (a stateless 200 to OPTIONS, a 100 Trying). Throws (programming error) on a bad status or header.
 */
export function buildResponseBytes(req: SipMessage, status: number, reason: string, opts: ResponseOptions = {}): Buffer {
  invariant(req.kind === 'request', 'buildResponse needs a request');
  invariant(Number.isInteger(status) && status >= 100 && status <= 699, `bad status ${status}`);
  invariant(validReason(reason), 'reason phrase must not contain CR or LF');
  const buf = req.buffer;
  const t = req.table;
  const pieces: Piece[] = [`SIP/2.0 ${status} ${reason}\r\n`];
  const needTag = status > 100 && req.to.tag === undefined;
  for (let i = 0; i < req.headerCount; i++) {
    const id = req.headerId(i);
    if (id !== H.via && id !== H.from && id !== H.to && id !== H.callId && id !== H.cseq) continue;
    const b = i * HDR_STRIDE;
    pieces.push(buf.subarray(t[b + HDR_LINE_START] ?? 0, t[b + HDR_VALUE_END] ?? 0));
    if (id === H.to && needTag) pieces.push(`;tag=${opts.toTag ?? deriveToTag(req)}`);
    pieces.push('\r\n');
  }
  for (const [name, value] of opts.headers ?? []) {
    invariant(name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'l', 'Content-Length is computed');
    pieces.push(headerLine(canonicalName(name), value));
  }
  if (opts.prepared !== undefined) pieces.push(opts.prepared.bytes);
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body;
  if (body === undefined || body.length === 0) {
    pieces.push(NO_BODY_TAIL);
  } else {
    pieces.push(headerLine('Content-Length', String(body.length)), '\r\n', body);
  }
  return joinPieces(pieces);
}

/** Builds the response to `req` as a parsed message; throws (programming error) on a bad status or header. */
export function buildResponse(req: SipMessage, status: number, reason: string, opts: ResponseOptions = {}): SipMessage {
  const r = parseMessage(buildResponseBytes(req, status, reason, opts), { framing: 'stream' });
  if (!r.ok) throw new SipclusterError('INTERNAL_INVARIANT', `built response does not parse: ${r.error.code} ${r.error.message}`);
  return r.value;
}
