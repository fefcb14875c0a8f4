/**
 * The script's reply observer and a branch's reply hook run on one response (OpenSIPS onreply_route
 * armed by t_on_reply, Kamailio uac->on_reply): by the live response context for every response,
 * and by a branch compacted after its 2xx for the 2xx of a new dialog (completed-replies.ts).
 */
import type { SipMessage } from '../message/index.ts';
import type { ReplyHook } from './client-branch.ts';
import type { ResponseEdits } from './forward-builder.ts';
import type { ProxyCounters } from './proxy-counters.ts';
import type { BranchInfo } from './proxy-types.ts';

/** The transaction's observer of every response (call accounting), which runs before the branch's hook. */
export type ReplyObserver = (res: SipMessage) => void;

/**
 * What the hook changed in `res`, if anything. A hook or observer that throws is counted as a
 * dropped reply and changes nothing; the response still goes on (the script's error is its own).
 */
export function runReplyHooks(
  observe: ReplyObserver | undefined, hook: ReplyHook | undefined, res: SipMessage, b: BranchInfo, counters: ProxyCounters,
): ResponseEdits | undefined {
  let edits: ResponseEdits | undefined;
  try {
    if (observe !== undefined) observe(res);
    if (hook !== undefined) edits = hook(res, b) ?? undefined;
  } catch { counters.dropReplies.inc(); }
  return edits;
}
