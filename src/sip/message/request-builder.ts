/**
 * Requests built by this node (the transaction layer's ACK and CANCEL, RFC 3261 §17.1.1.3 and §9.1;
 * requests a routing script originates). The result goes through parseMessage, so a built request
 * has exactly the accessors and guarantees of a received one.
 */
import { formatMessage } from './serializer.ts';
import { parseMessage } from './parser.ts';
import { canonicalName } from './header-names.ts';
import { isToken } from './chars.ts';
import type { SipMessage } from './sip-message.ts';
import { SipclusterError, invariant } from '../../lib/errors.ts';

export interface RequestInit {
  readonly method: string;
  /** The Request-URI as text (see formatUri). */
  readonly uri: string;
  /** Must include Via, From, To, Call-ID, CSeq (and normally Max-Forwards); not Content-Length. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer | string;
}


/** Builds a request; throws (programming error) when the parts do not make a valid message. */
export function buildRequest(init: RequestInit): SipMessage {
  if (!isToken(init.method)) invariant(false, `method "${init.method}" is not a token`);
  const headers: Array<readonly [string, string]> = [];
  for (const [name, value] of init.headers) {
    if (!isToken(name)) invariant(false, `header name "${name}" is not a token`);
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) invariant(false, `header ${name} value contains CR/LF`);
    invariant(canonicalName(name) !== 'Content-Length', 'Content-Length is computed');
    headers.push([canonicalName(name), value]);
  }
  const bytes = init.body === undefined
    ? formatMessage({ startLine: `${init.method} ${init.uri} SIP/2.0`, headers })
    : formatMessage({ startLine: `${init.method} ${init.uri} SIP/2.0`, headers, body: init.body });
  const r = parseMessage(bytes, { framing: 'stream' });
  if (!r.ok) throw new SipclusterError('INTERNAL_INVARIANT', `built request does not parse: ${r.error.code} ${r.error.message}`);
  return r.value;
}
