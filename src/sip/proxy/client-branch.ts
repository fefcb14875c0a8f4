/**
 * One client branch of a proxied request (RFC 3261 §16.6 step 10–11, §16.8): the client
 * transaction, timer C for INVITE, and the CANCEL of the branch (§9.1, §16.10). It reports to its
 * owner — the response context — every response, and the local 408/503 that stand in for a
 * response when the branch times out or cannot be sent (§16.7 step 2 / §16.9).
 */
import { SipclusterError } from '../../lib/errors.ts';
import type { TimerHandle } from '../../lib/time.ts';
import { ownString, parseMessage, type SipMessage } from '../message/index.ts';
import {
  ClientInviteTransaction, ClientNonInviteTransaction, clientKey, sixtyFourT1, type ClientTxUser, type TxWire,
} from '../transaction/index.ts';
import { AcceptedBranch, CompletedBranch, ReplyHooksLease } from './completed-replies.ts';
import type { FailoverPlan } from './failover-plan.ts';
import type { ResponseEdits } from './forward-builder.ts';
import { buildCancel, buildNon2xxAck } from './hop-requests.ts';
import type { ClientMatch, ProxyEnv } from './proxy-env.ts';
import type { BranchInfo, ProxyListener } from './proxy-types.ts';
import type { ReplyObserver } from './reply-hooks.ts';
import { isReliable, type SendWatcher, type SipSource, type SipTarget } from './sip-source.ts';
import { TargetWire } from './target-wire.ts';

/**
 * The script's reply hook (OpenSIPS onreply_route armed by t_on_reply): what to change in this
 * response before it goes upstream (its Contact, its SDP), if anything.
 */
export type ReplyHook = (res: SipMessage, branch: BranchInfo) => ResponseEdits | undefined | void;

export interface BranchOwner {
  onBranchResponse(b: ClientBranch, res: SipMessage, status: number): void;
  /** The branch ended without a final response of its own: `status` is the one generated here. */
  onBranchLocalFinal(b: ClientBranch): void;
}

type CancelState = 'none' | 'wanted' | 'sent';

/** Responses to our CANCEL end its transaction; nothing goes upstream (§16.10: CANCEL is hop-by-hop). */
class CancelUser implements ClientTxUser<SipMessage>, ClientMatch {
  tx: ClientNonInviteTransaction<SipMessage> | undefined;
  constructor(private readonly env: ProxyEnv, private readonly key: string) {}
  receive(res: SipMessage): void { this.tx?.receiveResponse(res, res.status); }
  onResponse(): void {}
  onFailure(): void {}
  onTerminated(): void {
    if (this.env.clients.get(this.key) === this) this.env.clients.delete(this.key);
    this.env.counters.inuse.dec();
  }
}

export class ClientBranch implements BranchInfo, ClientTxUser<SipMessage>, ClientMatch, SendWatcher {
  status = 0;
  reason = '';
  /** The final response received, undefined for a local 408/503. */
  response: SipMessage | undefined;
  provisional = false;
  /** RFC 3263 §4.3: the destination's other targets, when its name resolved to more than one. */
  plan: FailoverPlan | undefined = undefined;
  /** A successor took over (failover) or its 3xx was recursed on: its final is not a candidate (§16.7 step 6). */
  superseded = false;
  /** How the branch ended without a response: timer B/F (or fr_timeout) or a transport error (timer C is not one: §16.8). */
  endedBy: 'timeout' | 'transport-error' | undefined = undefined;
  /** Contacts a 3xx on this branch may add (0: no recursion). */
  recurse = 0;
  /** The listener the script forced for the relay (send-socket.ts): the branches a 3xx adds keep it. */
  socket: ProxyListener | undefined = undefined;
  /** Where the last response came from (the reply hook's NAT tests and fix read it). */
  responseSource: SipSource | undefined = undefined;
  /**
   * The reply hook armed when the relay that made this branch was called; a branch that failover or
   * 3xx recursion adds in its place keeps it. Kamailio tm copies t->on_reply into each uac as it
   * adds the branch (t_fwd.c) and runs uac->on_reply for that branch's replies: a hook armed later,
   * for another relay, does not reach branches already made.
   */
  onReply: ReplyHook | undefined = undefined;
  /** What the reply hook changed in this branch's final response (fix_nated_contact / _sdp). */
  replyEdits: ResponseEdits | undefined = undefined;
  private cancelState: CancelState = 'none';
  private tx: ClientInviteTransaction<SipMessage> | ClientNonInviteTransaction<SipMessage> | undefined;
  private timerC: TimerHandle | undefined;
  private parsed: SipMessage | undefined;
  private readonly key: string;
  private readonly wire: TxWire;
  private readonly isInvite: boolean;

  constructor(
    private readonly env: ProxyEnv,
    private readonly owner: BranchOwner,
    readonly index: number,
    readonly uri: string,
    readonly target: SipTarget | undefined,
    private readonly branch: string,
    private readonly bytes: Buffer,
    method: string,
    readonly timerCMs: number,
    /** OpenSIPS fr_timeout: shortens the client transaction's timer B/F (relay option noReplyTimeoutMs). */
    readonly noReplyTimeoutMs: number | undefined,
  ) {
    this.isInvite = method === 'INVITE';
    // Flat and of its own (ownString): it stays in the client table for up to 64·T1.
    this.key = ownString(clientKey(branch, method));
    this.wire = new TargetWire(env.out, target, target !== undefined && isReliable(target.proto), this);
  }

  /** A branch that never went out (unroutable URI, no listener, DNS failure): final at once. */
  finishLocally(status: number, reason: string): void {
    this.status = status;
    this.reason = reason;
    this.owner.onBranchLocalFinal(this);
  }

  start(): void {
    const env = this.env;
    env.counters.uacTransactions.inc();
    env.counters.inuse.inc();
    env.counters.fwdRequests.inc();
    // fr_timeout is the wait of timer B/F made shorter: when it fires the branch ends as at timer
    // B/F (onFailure, a 408 that may fail over, §4.3 of RFC 3263), with no CANCEL yet (§9.1). The
    // client transaction stays in the table, silent, until its 64·T1 (tuTimedOut), so that a late
    // response is not forwarded statelessly (§16.7 step 1): see onFailure and onResponse.
    this.tx = this.isInvite
      ? new ClientInviteTransaction<SipMessage>(this.bytes, this.wire, env.timers, env.policy, this, (res) => buildNon2xxAck(this.request(), res), this.noReplyTimeoutMs)
      : new ClientNonInviteTransaction<SipMessage>(this.bytes, this.wire, env.timers, env.policy, this, this.noReplyTimeoutMs);
    env.clients.set(this.key, this);
    if (this.isInvite) this.timerC = env.timers.after(this.timerCMs, () => this.onTimerC());
    this.tx.start();
  }

  receive(res: SipMessage, src?: SipSource): void {
    this.responseSource = src;
    this.tx?.receiveResponse(res, res.status);
  }

  onResponse(res: SipMessage, status: number): void {
    if (status < 200) {
      this.provisional = true;
      // §16.7 step 2: a provisional response other than 100 restarts timer C.
      if (this.isInvite && status > 100 && this.status === 0) this.restartTimerC();
      if (this.cancelState === 'wanted') this.sendCancel();
    } else if (this.status === 0) {
      this.status = status;
      this.reason = res.reason;
      this.response = res;
      this.stopTimerC();
    } else if (status >= 300 || !this.isInvite) {
      // A late final after our local 408 (timer C, fr_timeout): ACKed by the INVITE client
      // transaction (§17.1.1.3) and absorbed, as OpenSIPS tm discards a final on a branch it
      // faked a 408 for; for a non-INVITE a 2xx too. A late 2xx to INVITE still goes up (§16.7
      // step 5: each is a dialog).
      return;
    }
    this.owner.onBranchResponse(this, res, status);
  }

  onFailure(reason: 'timeout' | 'transport-error'): void {
    if (this.status !== 0) return;
    this.stopTimerC();
    this.endedBy = reason;
    // fr_timeout (the client transaction lives on, tuTimedOut): a provisional that still comes gets
    // its CANCEL at once (§9.1 allows one then), as OpenSIPS marks such a branch T_UAC_TO_CANCEL.
    if (reason === 'timeout' && this.isInvite) this.cancelState = 'wanted';
    // §16.7 step 2 / §16.9: a timeout counts as a 408 and a transport error as a 503 of the branch.
    if (reason === 'timeout') this.finishLocally(408, 'Request Timeout');
    else this.finishLocally(503, 'Service Unavailable');
  }

  /**
   * The transport found after the send that the request could not go (a TCP connect refused or
   * timed out, a datagram the kernel refused at flush): a transport error as if send had returned
   * false (RFC 3261 §17.1.1.2 / §17.1.2.2 → Terminated; §16.9 a local 503; RFC 3263 §4.3 failover),
   * not a wait for timer B/F. Only this branch's request counts: its CANCEL and ACK share the wire,
   * and a CANCEL that cannot go leaves the INVITE to its own final response or timers.
   */
  sendFailed(data: Buffer): void {
    if (data === this.bytes) this.tx?.transportError();
  }

  onTerminated(): void {
    this.stopTimerC();
    if (this.env.clients.get(this.key) === this) {
      this.env.clients.delete(this.key);
      this.env.counters.inuse.dec();
    }
  }

  /**
   * Whether the branch's client transaction is over or in a last state a compact entry can stand in
   * for: INVITE Accepted (2xx, timer M), non-INVITE Completed over UDP (timer K). An INVITE branch
   * Completed by a non-2xx (timer D) still needs its machine to ACK retransmitted finals, and one
   * given up by fr_timeout (tuTimedOut, still Calling/Proceeding) to catch late responses.
   */
  get compactable(): boolean {
    if (this.status === 0) return false;
    const tx = this.tx;
    if (tx === undefined || tx.state === 'terminated') return true;
    if (tx instanceof ClientInviteTransaction) return tx.state === 'accepted';
    return tx.state === 'completed' && !this.wire.reliable;
  }

  /**
   * Hands the client transaction's last state to a compact entry (completed-replies.ts); see
   * `compactable`. `observe`: the transaction's reply observer, which an Accepted branch keeps with
   * its reply hook for the 2xx of a new dialog.
   */
  compact(upstream: SipTarget, observe?: ReplyObserver): void {
    const tx = this.tx;
    const env = this.env;
    if (tx instanceof ClientInviteTransaction) {
      if (!tx.handOffAccepted()) return;
      const e = new AcceptedBranch(this.key, env.clients, env.out, upstream, env.counters, this.replyEdits, env.replyHooks);
      if (observe !== undefined || this.onReply !== undefined) {
        // This branch is the hook's branch (the hooks hold the script's objects anyway);
        // this.response is the 2xx it went Accepted with.
        const lease = new ReplyHooksLease(this.key, env.replyHooks, this, observe, this.onReply, this.response?.to.tag);
        env.replyHooks.set(this.key, lease);
        env.hookLeases.hold(lease);
      }
      env.clients.set(this.key, e);
      env.completed.hold(e);
    } else if (tx !== undefined) {
      if (!tx.handOffCompleted()) return;
      const e = new CompletedBranch(this.key, env.clients);
      env.clients.set(this.key, e);
      env.lingering.hold(e);
    } else return;
    this.tx = undefined;
    this.response = undefined;
    this.parsed = undefined;
  }

  /** §16.10 / §16.7 step 10: cancel a pending INVITE branch; waits for a provisional response (§9.1). */
  cancel(): void {
    if (this.status !== 0 || !this.isInvite || this.tx === undefined || this.cancelState !== 'none') return;
    if (this.provisional) this.sendCancel();
    else this.cancelState = 'wanted';
  }

  /**
   * The caller CANCELled (§16.10): with a provisional response the branch is CANCELled and waits for
   * its final. Without one it cannot be yet (§9.1): it stops retransmitting and ends now as a local
   * 487 (Kamailio cancel_b_method 0), a late provisional still gets its CANCEL and a late 2xx still
   * goes up (§16.7 step 5); forgotten after 64·T1 as after timer C. A CANCELled branch whose next
   * hop sends no final within 64·T1 ends as a local 487 (§9.1: the client "SHOULD then consider the
   * original transaction cancelled"), not at timer C minutes later.
   */
  cancelForCaller(): void {
    if (this.status !== 0 || !this.isInvite || this.tx === undefined) return;
    if (this.provisional) {
      this.cancel();
      this.env.timers.after(sixtyFourT1(this.env.policy), () => this.onCancelUnanswered());
      return;
    }
    this.cancelState = 'wanted';
    if (this.tx instanceof ClientInviteTransaction) this.tx.stopRetransmissions();
    this.finishLocally(487, 'Request Terminated');
    this.env.timers.after(sixtyFourT1(this.env.policy), () => this.onTerminated());
  }

  /** 64·T1 after the caller's CANCEL went to a ringing branch and no final came (§9.1). */
  private onCancelUnanswered(): void {
    if (this.status !== 0) return;
    this.finishLocally(487, 'Request Terminated');
    // The INVITE client transaction in Proceeding has no timer left: forgotten 64·T1 later, as after timer C.
    this.env.timers.after(sixtyFourT1(this.env.policy), () => this.onTerminated());
  }

  private sendCancel(): void {
    this.cancelState = 'sent';
    const env = this.env;
    const key = clientKey(this.branch, 'CANCEL');
    const user = new CancelUser(env, key);
    user.tx = new ClientNonInviteTransaction<SipMessage>(buildCancel(this.request()), this.wire, env.timers, env.policy, user);
    env.clients.set(key, user);
    env.counters.uacTransactions.inc();
    env.counters.inuse.inc();
    user.tx.start();
  }

  /** The forwarded request, parsed only when a CANCEL or ACK must be built from it. */
  private request(): SipMessage {
    if (this.parsed === undefined) {
      const r = parseMessage(this.bytes, { framing: 'stream' });
      if (!r.ok) throw new SipclusterError('INTERNAL_INVARIANT', `forwarded request does not parse: ${r.error.code}`);
      this.parsed = r.value;
    }
    return this.parsed;
  }

  private onTimerC(): void {
    this.timerC = undefined;
    if (this.status !== 0) return;
    // §16.8: with a provisional response the branch is CANCELled; either way it ends as a 408. Once
    // only: a branch the caller's CANCEL (or a 2xx elsewhere) already cancelled gets no second
    // CANCEL transaction (OpenSIPS/Kamailio should_cancel_branch skips a branch with a local CANCEL).
    if (!this.provisional) {
      this.cancelState = 'wanted'; // a late provisional response still gets its CANCEL
      if (this.tx instanceof ClientInviteTransaction) this.tx.stopRetransmissions();
    } else if (this.cancelState !== 'sent') this.sendCancel();
    this.finishLocally(408, 'Request Timeout');
    // In 'proceeding' the INVITE client transaction has no timer left; if the CANCEL gets no
    // final response, forget the branch after 64·T1 so the table does not keep it.
    this.env.timers.after(sixtyFourT1(this.env.policy), () => this.onTerminated());
  }

  private restartTimerC(): void {
    this.timerC?.cancel();
    this.timerC = this.env.timers.after(this.timerCMs, () => this.onTimerC());
  }

  private stopTimerC(): void {
    this.timerC?.cancel();
    this.timerC = undefined;
  }
}
