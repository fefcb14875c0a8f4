/**
 * The CDR text that senders put in a cluster request to the writer node, and the writer's reply.
 *
 *   request  CDR1:{"cid":…,"ft":…,"tt":…,"from":…,"to":…,"start":…,"dur":…,"setup":…,"code":…,"reason":…,"node":…,"end":…}
 *   reply    CDROK:<acc row id>        written now, or found already written (a retry)
 *            CDRERR:<code>             refused for good (FEATURE_CDR_MALFORMED…) or for now (FEATURE_CDR_WRITE_FAILED)
 *
 * The version is in the prefix, so a v2 can travel next to v1 during an upgrade; unknown JSON keys
 * are ignored within v1. Decoding is bounded (MAX_CDR_TEXT_CHARS) and checks every field's type and
 * range: a bad text is a typed error the caller counts, never an exception.
 */
import { err, ok, type Result } from '../../lib/result.ts';
import {
  CALL_ENDS, MAX_CALL_MS, MAX_DOMAIN_CHARS, MAX_KEY_CHARS, MAX_REASON_CHARS, MAX_USER_CHARS, splitAor,
  type CallEnd, type CallRecord,
} from './call-record.ts';

export const CDR_PREFIX = 'CDR1:';
/** A CDR text is a few hundred bytes; this bound keeps a hostile one from costing a big parse. */
export const MAX_CDR_TEXT_CHARS = 4096;
export const MAX_REPLY_CHARS = 128;

export type CdrCodecCode = 'FEATURE_CDR_MALFORMED' | 'FEATURE_CDR_TOO_LARGE' | 'FEATURE_CDR_VERSION';
export interface CdrCodecError { readonly code: CdrCodecCode; readonly message: string }

/** True when a cluster message is meant for the CDR writer (any version). */
export function isCdrText(msg: string): boolean {
  return msg.length > 4 && msg.startsWith('CDR') && /^CDR\d+:/.test(msg.slice(0, 12));
}

export function encodeCdr(r: CallRecord): string {
  return CDR_PREFIX + JSON.stringify({
    cid: r.callid, ft: r.fromTag, tt: r.toTag, from: r.caller, to: r.callee,
    start: r.startWallMs, dur: r.durationMs, setup: r.setupMs, code: r.sipCode, reason: r.sipReason, node: r.nodeId, end: r.endedBy,
  });
}

export function decodeCdr(text: string): Result<CallRecord, CdrCodecError> {
  if (text.length > MAX_CDR_TEXT_CHARS) return fail('FEATURE_CDR_TOO_LARGE', `CDR text of ${text.length} chars (max ${MAX_CDR_TEXT_CHARS})`);
  if (!text.startsWith(CDR_PREFIX)) {
    return isCdrText(text) ? fail('FEATURE_CDR_VERSION', `unsupported CDR version ${text.slice(0, text.indexOf(':'))}`) : fail('FEATURE_CDR_MALFORMED', 'not a CDR1: text');
  }
  let o: unknown;
  try {
    o = JSON.parse(text.slice(CDR_PREFIX.length));
  } catch {
    return fail('FEATURE_CDR_MALFORMED', 'CDR body is not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return fail('FEATURE_CDR_MALFORMED', 'CDR body is not a JSON object');
  const f = o as Record<string, unknown>;
  const problems: string[] = [];
  const str = (k: string, min: number, max: number): string => {
    const v = f[k];
    if (typeof v !== 'string' || v.length < min || v.length > max) { problems.push(`${k}: string of ${min}..${max} chars`); return ''; }
    return v;
  };
  const int = (k: string, min: number, max: number): number => {
    const v = f[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) { problems.push(`${k}: integer in ${min}..${max}`); return 0; }
    return v;
  };
  const aor = (k: string): string => {
    const v = str(k, 0, MAX_USER_CHARS + 1 + MAX_DOMAIN_CHARS);
    const { user, domain } = splitAor(v);
    if (user.length > MAX_USER_CHARS || domain.length > MAX_DOMAIN_CHARS) problems.push(`${k}: user ≤ ${MAX_USER_CHARS}, domain ≤ ${MAX_DOMAIN_CHARS} chars`);
    return v;
  };
  const end = f.end;
  if (typeof end !== 'string' || !(CALL_ENDS as readonly string[]).includes(end)) problems.push(`end: one of ${CALL_ENDS.join(', ')}`);
  const r: CallRecord = {
    callid: str('cid', 1, MAX_KEY_CHARS),
    fromTag: str('ft', 0, MAX_KEY_CHARS),
    toTag: str('tt', 0, MAX_KEY_CHARS),
    caller: aor('from'),
    callee: aor('to'),
    // 2000-01-01 .. 2200-01-01: anything else is a broken clock or a forged record.
    startWallMs: int('start', 946_684_800_000, 7_258_118_400_000),
    durationMs: int('dur', 0, MAX_CALL_MS),
    setupMs: int('setup', 0, MAX_CALL_MS),
    sipCode: int('code', 200, 299),
    sipReason: str('reason', 0, MAX_REASON_CHARS),
    nodeId: int('node', 1, 0xffff),
    endedBy: end as CallEnd,
  };
  if (problems.length > 0) return fail('FEATURE_CDR_MALFORMED', `bad CDR field(s): ${problems.join('; ')}`);
  return ok(r);
}

/** What the writer answered: the row id, or a refusal code. */
export type CdrReply = { readonly ok: true; readonly id: number } | { readonly ok: false; readonly code: string };

export function encodeReply(r: CdrReply): string {
  return r.ok ? `CDROK:${r.id}` : `CDRERR:${r.code}`;
}

/** Undefined for a text that is no CDR reply at all (the caller counts it). */
export function decodeReply(text: string): CdrReply | undefined {
  if (text.length > MAX_REPLY_CHARS) return undefined;
  if (text.startsWith('CDROK:')) {
    const d = text.slice(6);
    const id = Number(d);
    return /^\d{1,15}$/.test(d) && Number.isSafeInteger(id) ? { ok: true, id } : undefined;
  }
  if (text.startsWith('CDRERR:')) {
    const code = text.slice(7);
    return /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? { ok: false, code } : undefined;
  }
  return undefined;
}

/** True for replies of the CDR protocol (so a late one is not handed to the routing script). */
export function isCdrReplyText(msg: string): boolean {
  return msg.startsWith('CDROK:') || msg.startsWith('CDRERR:');
}

function fail(code: CdrCodecCode, message: string): { ok: false; error: CdrCodecError } {
  return err({ code, message });
}
