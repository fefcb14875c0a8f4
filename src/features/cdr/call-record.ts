/**
 * One finished call as the CDR writer stores it, and the bounds every field must respect. The
 * widths are those of OpenSIPS's `acc` table (callid, from_tag, to_tag CHAR(64)) and of the extra
 * columns sipcluster adds (src_user/dst_user CHAR(64), src_domain/dst_domain CHAR(128), migration
 * 3): a record that would not fit is refused when the call is accounted, never truncated, because
 * a truncated Call-ID could make two calls share one idempotency key.
 */
export interface CallRecord {
  readonly callid: string;
  /** The caller's tag (From tag of the initial INVITE). */
  readonly fromTag: string;
  /** The callee's tag (To tag of the 2xx that answered the INVITE). */
  readonly toTag: string;
  /** `user@domain` of the From URI of the initial INVITE. */
  readonly caller: string;
  /** `user@domain` of the Request-URI of the initial INVITE, as received. */
  readonly callee: string;
  /** Wall-clock time of the 2xx to the INVITE (the call's start), ms since the Unix epoch. */
  readonly startWallMs: number;
  /** From the 2xx to the BYE (either side) or the dialog timeout. */
  readonly durationMs: number;
  /** From the INVITE to its 2xx (post-dial delay plus ringing). */
  readonly setupMs: number;
  /** Status and reason phrase of the answering 2xx (OpenSIPS acc sip_code / sip_reason). */
  readonly sipCode: number;
  readonly sipReason: string;
  /** The node that carried the call. */
  readonly nodeId: number;
  /** What ended it: a BYE from the caller, from the callee, or the dialog timeout. */
  readonly endedBy: CallEnd;
}

export type CallEnd = 'caller' | 'callee' | 'timeout';
export const CALL_ENDS: readonly CallEnd[] = ['caller', 'callee', 'timeout'];

/** acc.callid / from_tag / to_tag are CHAR(64) in OpenSIPS's schema. */
export const MAX_KEY_CHARS = 64;
export const MAX_USER_CHARS = 64;
export const MAX_DOMAIN_CHARS = 128;
/** acc.sip_reason is CHAR(32). */
export const MAX_REASON_CHARS = 32;
/** A call longer than a year is a clock bug, not a call. */
export const MAX_CALL_MS = 366 * 24 * 3600 * 1000;

/** Splits `user@domain` at the last `@` (a user part may itself hold an escaped `@`). */
export function splitAor(aor: string): { user: string; domain: string } {
  const at = aor.lastIndexOf('@');
  return at < 0 ? { user: aor, domain: '' } : { user: aor.slice(0, at), domain: aor.slice(at + 1) };
}

/** Why a call cannot be accounted, or undefined when every field fits its column. */
export function recordFieldProblem(r: Pick<CallRecord, 'callid' | 'fromTag' | 'toTag' | 'caller' | 'callee'>): string | undefined {
  if (r.callid.length === 0 || r.callid.length > MAX_KEY_CHARS) return `Call-ID of ${r.callid.length} chars (1..${MAX_KEY_CHARS})`;
  if (r.fromTag.length > MAX_KEY_CHARS) return `From tag of ${r.fromTag.length} chars (max ${MAX_KEY_CHARS})`;
  if (r.toTag.length > MAX_KEY_CHARS) return `To tag of ${r.toTag.length} chars (max ${MAX_KEY_CHARS})`;
  for (const [what, aor] of [['caller', r.caller], ['callee', r.callee]] as const) {
    const { user, domain } = splitAor(aor);
    if (user.length > MAX_USER_CHARS) return `${what} user of ${user.length} chars (max ${MAX_USER_CHARS})`;
    if (domain.length > MAX_DOMAIN_CHARS) return `${what} domain of ${domain.length} chars (max ${MAX_DOMAIN_CHARS})`;
  }
  return undefined;
}
