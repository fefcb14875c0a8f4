/**
 * Follows accounted calls from the initial INVITE to their end, like OpenSIPS's dialog module
 * does for `do_accounting("db", "cdr")`: the call starts with the first 2xx to the INVITE, ends
 * with a BYE from either side or with the dialog timeout (OpenSIPS dialog `default_timeout`), and
 * then becomes a CallRecord handed to `onRecord`. Pure: time comes from the injected Clock and
 * `sweep()` is called by the driver once a second.
 *
 * A call that never gets a 2xx (every branch failed, CANCEL) leaves no record; it is forgotten
 * after `setupTimeoutMs`, longer than any INVITE transaction can last (timer C, 181 s by default),
 * because one branch's 4xx does not end a forked call while another branch may still answer.
 * A 2xx that arrives after the call was answered (a retransmission, another fork's dialog) is
 * ignored: the first dialog is the accounted one.
 */
import type { Clock } from '../../lib/time.ts';
import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import { MAX_KEY_CHARS, MAX_REASON_CHARS, recordFieldProblem, type CallEnd, type CallRecord } from './call-record.ts';

export interface TrackerParams {
  /** Dialog timeout: an answered call without BYE ends (endedBy 'timeout') after this long. */
  readonly maxCallMs: number;
  /** An INVITE without any 2xx is forgotten after this long. */
  readonly setupTimeoutMs: number;
  /** At most this many calls followed at once (further ones are refused and counted). */
  readonly maxCalls: number;
}

export interface TrackerDeps {
  readonly clock: Clock;
  readonly counters: CounterFactory;
  readonly nodeId: number;
  readonly onRecord: (r: CallRecord) => void;
}

export interface InviteInfo {
  readonly callid: string;
  readonly fromTag: string;
  readonly caller: string;
  readonly callee: string;
}

export type TrackResult =
  | { readonly ok: true; readonly change: 'tracking' | 'already' }
  | { readonly ok: false; readonly code: 'FEATURE_CDR_TOO_MANY_CALLS' | 'FEATURE_CDR_FIELD_TOO_LONG'; readonly message: string };

interface Call {
  readonly info: InviteInfo;
  readonly inviteAtMs: number;
  answered?: { readonly atMs: number; readonly wallMs: number; readonly toTag: string; readonly code: number; readonly reason: string };
}

export class CallTracker {
  /** Call-ID + '\n' + From tag of the INVITE → call. */
  private readonly calls = new Map<string, Call>();
  private readonly started: Counter;
  private readonly completed: Counter;
  private readonly timedOut: Counter;
  private readonly unanswered: Counter;
  private readonly refused: Counter;
  private readonly active: Gauge;

  constructor(readonly params: TrackerParams, private readonly deps: TrackerDeps) {
    const c = deps.counters;
    this.started = c.counter('cdr:accounted', 'calls the routing script accounted (ctx.cdr.account())');
    this.completed = c.counter('cdr:completed', 'answered calls that ended and made a CDR');
    this.timedOut = c.counter('cdr:dialog_timeouts', 'answered calls ended by the dialog timeout (no BYE seen)');
    this.unanswered = c.counter('cdr:unanswered', 'accounted calls never answered with a 2xx (no CDR)');
    this.refused = c.counter('cdr:account_refused', 'calls that could not be accounted (too many, or a field too long for acc)');
    this.active = c.gauge('cdr:active_calls', 'accounted calls in setup or in progress');
  }

  get size(): number {
    return this.calls.size;
  }

  /** The routing script accounts an initial INVITE. Idempotent for a retransmitted INVITE. */
  start(info: InviteInfo): TrackResult {
    const key = keyOf(info.callid, info.fromTag);
    if (this.calls.has(key)) return { ok: true, change: 'already' };
    const problem = recordFieldProblem({ ...info, toTag: '' });
    if (problem !== undefined) {
      this.refused.inc();
      return { ok: false, code: 'FEATURE_CDR_FIELD_TOO_LONG', message: `call not accounted: ${problem}` };
    }
    if (this.calls.size >= this.params.maxCalls) {
      this.refused.inc();
      return { ok: false, code: 'FEATURE_CDR_TOO_MANY_CALLS', message: `call not accounted: ${this.params.maxCalls} calls already followed` };
    }
    this.calls.set(key, { info, inviteAtMs: this.deps.clock.nowMs() });
    this.started.inc();
    this.active.set(this.calls.size);
    return { ok: true, change: 'tracking' };
  }

  /** A response to an accounted INVITE (from any branch). Only the first 2xx matters. */
  response(callid: string, fromTag: string, toTag: string, status: number, reason: string): void {
    if (status < 200 || status >= 300) return;
    const call = this.calls.get(keyOf(callid, fromTag));
    if (call === undefined || call.answered !== undefined) return;
    if (toTag.length > MAX_KEY_CHARS) return; // cannot be keyed in acc; the call is swept as unanswered
    call.answered = { atMs: this.deps.clock.nowMs(), wallMs: this.deps.clock.wallMs(), toTag, code: status, reason: reason.slice(0, MAX_REASON_CHARS) };
  }

  /**
   * An in-dialog request. A BYE ends the call whichever side sent it (RFC 3261 §15.1.1): from the
   * caller its From tag is the caller's, from the callee its From tag is the callee's.
   */
  request(method: string, callid: string, fromTag: string, toTag: string): void {
    if (method !== 'BYE') return;
    const byCaller = this.calls.get(keyOf(callid, fromTag));
    if (byCaller?.answered !== undefined && byCaller.answered.toTag === toTag) {
      this.end(keyOf(callid, fromTag), byCaller, 'caller');
      return;
    }
    const byCallee = this.calls.get(keyOf(callid, toTag));
    if (byCallee?.answered !== undefined && byCallee.answered.toTag === fromTag) this.end(keyOf(callid, toTag), byCallee, 'callee');
  }

  /** Ends calls past the dialog timeout and forgets INVITEs never answered. */
  sweep(): void {
    const now = this.deps.clock.nowMs();
    for (const [key, call] of this.calls) {
      if (call.answered !== undefined) {
        if (now - call.answered.atMs >= this.params.maxCallMs) this.end(key, call, 'timeout');
      } else if (now - call.inviteAtMs >= this.params.setupTimeoutMs) {
        this.calls.delete(key);
        this.unanswered.inc();
      }
    }
    this.active.set(this.calls.size);
  }

  private end(key: string, call: Call, by: CallEnd): void {
    const a = call.answered;
    if (a === undefined) return;
    this.calls.delete(key);
    this.active.set(this.calls.size);
    const now = this.deps.clock.nowMs();
    const durationMs = by === 'timeout' ? this.params.maxCallMs : Math.max(0, Math.round(now - a.atMs));
    this.completed.inc();
    if (by === 'timeout') this.timedOut.inc();
    this.deps.onRecord({
      callid: call.info.callid, fromTag: call.info.fromTag, toTag: a.toTag, caller: call.info.caller, callee: call.info.callee,
      startWallMs: Math.round(a.wallMs), durationMs, setupMs: Math.max(0, Math.round(a.atMs - call.inviteAtMs)),
      sipCode: a.code, sipReason: a.reason, nodeId: this.deps.nodeId, endedBy: by,
    });
  }
}

function keyOf(callid: string, tag: string): string {
  return `${callid}\n${tag}`;
}
