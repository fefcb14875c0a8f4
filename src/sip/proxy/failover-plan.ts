/**
 * RFC 3263 §4.3: when a request to one of a destination's located targets fails in the transaction
 * layer (timer B/F, transport error) or gets a 503, the client tries the next target of the list
 * with a new transaction (new branch). One plan per relay target whose name resolved to more than
 * one address; the branch keeps it and hands it to its successor.
 *
 * "Within the transaction's time": the plan stops offering targets once the time the first attempt
 * had is over (timer C for INVITE, 64·T1 — the caller's own timer F — otherwise), so a failover
 * never outlives what the caller waits for.
 */
import type { TimerHandle, Timers } from '../../lib/time.ts';
import type { ReplyHook } from './client-branch.ts';
import type { ProxyListener, RelayTarget } from './proxy-types.ts';
import type { SipTarget } from './sip-source.ts';

/** One relay target as the transaction starts it: the target, its timer C and no-reply wait, its 3xx recursion budget, its reply hook. */
export interface PendingTarget {
  readonly t: RelayTarget;
  readonly timerCMs: number;
  /** OpenSIPS fr_timeout of the branch (undefined: timer B/F alone). */
  readonly noReplyTimeoutMs: number | undefined;
  /** Contacts of a 3xx this branch may add to the target set (0: no recursion, the default). */
  readonly recurse: number;
  /** The listener the script forced for this relay (send-socket.ts), undefined: the usual choice. */
  readonly socket: ProxyListener | undefined;
  /** The reply hook armed when the relay was called (ClientBranch.onReply): its branches keep it. */
  readonly onReply: ReplyHook | undefined;
}

export class FailoverPlan {
  private expired = false;
  private timer: TimerHandle | undefined;
  private readonly rest: SipTarget[];

  constructor(
    /** What the successor branch is built from (the relay target, its timer C, the route decision). */
    readonly pending: PendingTarget,
    readonly strict: boolean,
    readonly routes: readonly string[] | undefined,
    rest: readonly SipTarget[],
    timers: Timers,
    budgetMs: number,
  ) {
    this.rest = [...rest];
    this.timer = timers.after(budgetMs, () => { this.expired = true; this.timer = undefined; });
  }

  /** The next target, or undefined when the list or the time is used up. */
  next(): SipTarget | undefined {
    if (this.expired) return undefined;
    const t = this.rest.shift();
    if (this.rest.length === 0) this.done();
    return t;
  }

  get remaining(): number { return this.expired ? 0 : this.rest.length; }

  /** The destination is settled (answered, or the transaction ended): drop the timer. */
  done(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
