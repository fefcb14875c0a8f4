/**
 * Transaction matching keys.
 *
 * Server side (RFC 3261 §17.2.3): with a branch that starts with the magic cookie `z9hG4bK`, a
 * request matches by (branch, sent-by of the top Via, method), where ACK matches INVITE. CANCEL
 * has its own transaction and finds the INVITE it cancels by the same branch and sent-by (§9.2).
 * Without the cookie (RFC 2543 peers), matching falls back to Request-URI, To tag, From tag,
 * Call-ID, CSeq number and the whole top Via; for an ACK the To tag is the one we sent.
 *
 * Client side (§17.1.3): a response matches by the branch we put in the top Via and the CSeq method
 * (ACK included: it matches no INVITE there).
 */
export const MAGIC_COOKIE = 'z9hG4bK';

export interface ServerKeyInput {
  readonly method: string;
  readonly branch: string | undefined;
  /** host[:port] of the top Via, lower-cased host, port defaulted by transport. */
  readonly sentBy: string;
  /** The RFC 2543 fallback fields. */
  readonly requestUri: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly callId: string;
  readonly cseqNumber: number;
  readonly topVia: string;
}

/** The key a request looks up; for ACK and CANCEL, the key of the INVITE they refer to is `inviteKey`. */
export function serverKey(k: ServerKeyInput): string {
  const method = k.method === 'ACK' ? 'INVITE' : k.method;
  if (k.branch !== undefined && k.branch.startsWith(MAGIC_COOKIE)) return `${k.branch}\u0000${k.sentBy}\u0000${method}`;
  // RFC 2543: "the Request-URI, To tag, From tag, Call-ID, CSeq, and top Via" (§17.2.3). The ACK's
  // To tag is ours, not in the INVITE, so INVITE and ACK match without it (last paragraphs); every
  // other request keeps it (two BYEs to two forked dialogs are two transactions).
  const toTag = method === 'INVITE' ? '' : k.toTag;
  return `2543\u0000${k.requestUri}\u0000${toTag}\u0000${k.fromTag}\u0000${k.callId}\u0000${k.cseqNumber}\u0000${k.topVia}\u0000${method}`;
}

/** Key of the INVITE server transaction that a CANCEL targets (§9.2). */
export function inviteKeyForCancel(k: ServerKeyInput): string {
  return serverKey({ ...k, method: 'INVITE' });
}

/**
 * §17.1.3: a response matches by its top Via branch and "the method parameter in the CSeq header
 * field matches the method of the request that created the transaction". ACK creates none here and
 * has no response, so CSeq ACK matches nothing (as in Kamailio's t_reply_matching); only the
 * server side lets ACK find its INVITE (§17.2.3).
 */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}\u0000${cseqMethod}`;
}
