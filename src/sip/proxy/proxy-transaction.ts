/**
 * The stateful side of one proxied request (RFC 3261 §16): its server transaction, its client
 * branches, and the response context of §16.7 — provisional responses and every 2xx forwarded at
 * once, finals collected and the best chosen when all branches are done, 6xx and forwarded finals
 * cancelling what is pending, serial forking by q, and the script's failure hook in between.
 */
import { invariant } from '../../lib/errors.ts';
import { H, buildResponseBytes, limits, parseMessage, type SipMessage } from '../message/index.ts';
import { ServerInviteTransaction, ServerNonInviteTransaction, sixtyFourT1, type ServerTxUser } from '../transaction/index.ts';
import { aggregatedChallenges, chooseBest } from './best-response.ts';
import { AcceptedInvite, CompletedReply } from './completed-replies.ts';
import { ClientBranch, type BranchOwner, type ReplyHook } from './client-branch.ts';
import { FailoverPlan, type PendingTarget } from './failover-plan.ts';
import { tcpInsteadOfUdp } from './large-request.ts';
import { buildForwardBytes, hopUriOf, stripTopVia, type ForwardInput, type RequestEdits, type ResponseEdits } from './forward-builder.ts';
import { loopHash, statefulBranch } from './loop-branch.ts';
import { nextHopOf, resolveHop } from './next-hop.ts';
import { pathRoutes, type PathRoutes } from './path-routes.ts';
import type { ProxyEnv, ServerMatch } from './proxy-env.ts';
import type { BestResponse, ProxyListener, RelayOptions, RelayOutcome, RelayTarget, ReplyOptions } from './proxy-types.ts';
import { DEFAULT_RECURSED_TARGETS, MAX_RECURSED_TARGETS, redirectPlan } from './redirect-targets.ts';
import { RelayResult, type OutcomeSource } from './relay-result.ts';
import { runReplyHooks } from './reply-hooks.ts';
import { outboundListener } from './send-socket.ts';
import type { SipSource, SipTarget } from './sip-source.ts';
import { TargetWire } from './target-wire.ts';
import { responseTarget, responseTopVia } from './via-routing.ts';

/** The script's handlers for this request (OpenSIPS onreply_route / failure_route). */
export interface TransactionHooks {
  /**
   * The reply hook for the branches the next relay() makes (OpenSIPS t_on_reply before t_relay):
   * each branch keeps the one armed when it was made (ClientBranch.onReply).
   */
  onReply: ReplyHook | undefined;
  /** Sees every response of every branch, whenever it was made, before the branch's reply hook (call accounting). */
  observeReply: ((res: SipMessage) => void) | undefined;
  /**
   * One per transaction, not per branch: it runs when the whole branch set ended without a 2xx, the
   * last one armed (OpenSIPS keeps t->on_negative in the transaction and clears it as it runs it).
   */
  onFailure: ((best: BestResponse) => Promise<void> | void) | undefined;
}

/** Failure-hook rounds per transaction (each a relay from the hook whose branch set failed again). */
export const MAX_FAILURE_ROUNDS = 16;

export class ProxyTransaction implements ServerTxUser, BranchOwner, ServerMatch, OutcomeSource {
  readonly server: ServerInviteTransaction | ServerNonInviteTransaction;
  readonly branches: ClientBranch[] = [];
  hooks: TransactionHooks = { onReply: undefined, observeReply: undefined, onFailure: undefined };
  /**
   * Answer this request statelessly when it is answered here (RFC 3261 §8.2.7; `registrar.statelessReplies`
   * for REGISTER): the transaction absorbs retransmissions while the script runs, and ends with its
   * local final instead of keeping it for timer J. A relayed request stays stateful.
   */
  statelessFinal = false;
  /** relay() was called: the request is proxied (possibly still resolving its targets), so stateful. */
  private relaying = false;
  /** Status of the final response sent upstream, 0 while none. */
  finalStatus = 0;
  cancelled = false;
  private got6xx = false;
  private inFailureHook = false;
  /** Branches there were when the running failure hook began (what it relays comes after). */
  private failureHookBase = 0;
  /** The failure hook, held while it runs; a relay() from inside it arms it again for that new branch set. */
  private runningFailureHook: TransactionHooks['onFailure'] = undefined;
  private failureRounds = 0;
  private starting = false;
  private resolving = 0;
  private readonly groups: PendingTarget[][] = [];
  private outcome: RelayOutcome | undefined;
  private promise: Promise<RelayOutcome> | undefined;
  private settle: ((o: RelayOutcome) => void) | undefined;
  private loop: string | undefined;
  /** Targets added from 3xx Contacts so far (§16.5 recursion, bounded by the relay option). */
  private recursed = 0;
  private readonly upstream: SipTarget;
  /** The top Via of our own responses when received/rport must be written in (responseTopVia). */
  private readonly topVia: string | undefined;
  private readonly isInvite: boolean;
  /** Built with deferTable and enterTable() has not run yet. */
  private pendingEntry = false;
  /** Ended (forget) or went compact before entering the table: it never will. */
  private ended = false;

  /** The request and the script's edits; set when the request reaches the script (attach). */
  private f: ForwardInput | undefined;

  /**
   * `deferTable`: the caller enters the transaction in the table itself (enterTable) once the script's
   * synchronous part has run, and not at all when that part already ended it (a stateless final).
   * Nothing else runs in between, so no retransmission can miss it.
   */
  constructor(private readonly env: ProxyEnv, readonly msg: SipMessage, src: SipSource, readonly key: string, deferTable = false) {
    this.isInvite = msg.method === 'INVITE';
    this.upstream = responseTarget(msg.topVia, src);
    this.topVia = responseTopVia(msg.topVia, src);
    const wire = new TargetWire(env.out, this.upstream, src.proto !== 'udp');
    this.server = this.isInvite ? new ServerInviteTransaction(wire, env.timers, env.policy, this) : new ServerNonInviteTransaction(wire, env.timers, env.policy, this);
    env.counters.uasTransactions.inc();
    if (deferTable) this.pendingEntry = true;
    else this.enterTable();
  }

  /**
   * Puts the transaction in the server table (§17.2.3 matching), unless it already ended: a
   * REGISTER answered statelessly while the script ran synchronously never enters it, which spares
   * the table an insert and a delete (and V8's Map a shrink) per request.
   */
  enterTable(): void {
    this.pendingEntry = false;
    if (this.ended) return;
    this.env.servers.set(this.key, this);
    this.env.counters.inuse.inc();
  }

  /** Built with deferTable, not yet entered, and not ended: enterTable() would put it in the table. */
  get running(): boolean {
    return this.pendingEntry && !this.ended;
  }

  /** The table holds this transaction, or will when enterTable() runs. */
  private owned(): boolean {
    return this.pendingEntry ? !this.ended : this.env.servers.get(this.key) === this;
  }

  /** A compact entry takes this transaction's place in the table (counted in tm:inuse until it expires). */
  private replaceWith(e: CompletedReply | AcceptedInvite): void {
    this.env.servers.set(this.key, e);
    if (this.pendingEntry) {
      this.env.counters.inuse.inc();
      this.ended = true;
    }
    this.env.completed.hold(e);
  }

  /** The per-request object: its hooks are the script's, its edits shape every branch. */
  attach(input: ForwardInput, hooks: TransactionHooks): void {
    this.f = input;
    this.hooks = hooks;
  }

  /** §16.2: the 100 Trying that stops the caller's INVITE retransmissions. */
  sendTrying(): void {
    this.server.respond(100, buildResponseBytes(this.msg, 100, 'Trying', { prepared: this.env.serverLine, topVia: this.topVia }));
  }

  receiveRetransmission(): void { this.server.receiveRetransmission(); }
  onFailure(): void {}
  onTerminated(): void { this.forget(); }

  /** Removes the server transaction from the table (script drop, or its machine terminated). */
  forget(): void {
    this.ended = true;
    if (this.env.servers.get(this.key) !== this) return;
    this.env.servers.delete(this.key);
    this.env.counters.inuse.dec();
  }

  /**
   * A final sent for this request without the transaction (ProxyRequest.reply with `stateless`,
   * OpenSIPS sl_send_reply): forgotten, yet answered — a later reply() or relay() is refused as
   * after a stateful final, or the caller would get a second final, or a forwarded request's answer.
   */
  answeredStatelessly(status: number): void {
    this.finalStatus = status;
    this.forget();
  }

  /** A response generated here, through the server transaction (t_reply). */
  reply(status: number, reason: string, opts: ReplyOptions = {}): boolean {
    if (this.finalStatus !== 0) return false;
    // Bytes only: a local reply is sent, never read again, so it is not parsed back (DESIGN.md §8).
    // One options object of one shape (no spreads: each was a CopyDataProperties call per reply).
    const res = buildResponseBytes(this.msg, status, reason, {
      prepared: this.env.serverLine, headers: opts.headers, body: opts.body, toTag: opts.toTag, topVia: this.topVia,
    });
    this.env.counters.localReplies.inc();
    if (status >= 200 && this.statelessFinal && !this.relaying && this.server instanceof ServerNonInviteTransaction) {
      this.server.respondStateless(status, res);
      this.finished(status, status < 300 ? 'answered' : 'failed');
      this.release();
      return true;
    }
    this.server.respond(status, res);
    // RFC 3261 §13.3.1.4: the core resends its own 2xx over UDP until the ACK (local-2xx-retransmits.ts).
    if (this.server.state === 'accepted' && this.upstream.proto === 'udp') this.env.local2xx.start(this.msg, opts.toTag, this.upstream, res);
    if (status >= 200) this.finished(status, status < 300 ? 'answered' : 'failed');
    return true;
  }

  /**
   * §16.10 (the 200 to the CANCEL is the caller's): every pending branch is cancelled, and the
   * INVITE's final is chosen from the branches' finals as ever (§16.7): the callee's 487, or a 2xx
   * that raced the CANCEL, which then goes up as the answer rather than after a 487 of ours (as
   * OpenSIPS/Kamailio relay). 487 at once while no branch is pending (the script has not relayed).
   */
  receiveCancel(): void {
    if (this.finalStatus !== 0) return;
    this.cancelled = true;
    this.groups.length = 0;
    if (!this.branches.some((b) => b.status === 0)) { this.reply(487, 'Request Terminated'); return; }
    for (const b of this.branches) b.cancelForCaller();
  }

  /**
   * Starts branches for `targets` (§16.5–16.6); equal q in parallel, lower q after (serial forking).
   * `socket`: the listener the script forced for them ($fs or the relay option, already checked).
   */
  relay(targets: readonly RelayTarget[], opts: RelayOptions, socket?: ProxyListener): RelayResult {
    if (this.cancelled) return RelayResult.now({ result: 'cancelled', status: this.finalStatus });
    if (this.finalStatus !== 0) return RelayResult.now({ result: 'refused', status: this.finalStatus, code: 'SIP_PROXY_ALREADY_ANSWERED' });
    if (this.got6xx) return RelayResult.now({ result: 'refused', status: 0, code: 'SIP_PROXY_AFTER_6XX' });
    if (targets.length === 0) return RelayResult.now({ result: 'refused', status: 0, code: 'SIP_PROXY_NO_TARGET' });
    this.relaying = true;
    // A relay from the failure hook (serial forking, failover): when that branch set ends without a
    // 2xx, the hook runs again, as OpenSIPS scripts get by t_on_failure() before t_relay(); bounded.
    if (this.inFailureHook && this.hooks.onFailure === undefined && this.failureRounds < MAX_FAILURE_ROUNDS) this.hooks.onFailure = this.runningFailureHook;
    // The relay's own values override the node's (config proxy.inviteTimeoutMs / noReplyTimeoutMs).
    const timerCMs = opts.timeoutMs ?? this.env.policy.timerCMs;
    const noReplyTimeoutMs = opts.noReplyTimeoutMs ?? this.env.noReplyTimeoutMs;
    const recurse = opts.recurse3xx === true ? Math.max(0, Math.min(opts.maxRecursedTargets ?? DEFAULT_RECURSED_TARGETS, MAX_RECURSED_TARGETS)) : 0;
    // Taken now: this relay's branches, the later q groups included, keep the hook armed for it.
    const onReply = this.hooks.onReply;
    const sorted = [...targets].sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
    let group: PendingTarget[] = [];
    for (const t of sorted) {
      if (group.length > 0 && opts.parallel !== true && (group[0]?.t.q ?? 1) !== (t.q ?? 1)) { this.groups.push(group); group = []; }
      group.push({ t, timerCMs, noReplyTimeoutMs, recurse, socket, onReply });
    }
    this.groups.push(group);
    if (!this.hasPending()) this.startNextGroup();
    return new RelayResult(this);
  }

  outcomePromise(): Promise<RelayOutcome> {
    if (this.outcome !== undefined) return Promise.resolve(this.outcome);
    return (this.promise ??= new Promise((resolve) => { this.settle = resolve; }));
  }

  private hasPending(): boolean {
    if (this.resolving > 0) return true;
    for (const b of this.branches) if (b.status === 0) return true;
    return false;
  }

  private startNextGroup(): void {
    const group = this.groups.shift();
    if (group === undefined) return;
    this.starting = true;
    for (const p of group) this.startTarget(p);
    this.starting = false;
    this.checkDone();
  }

  private startTarget(p: PendingTarget): void {
    const f = this.f;
    invariant(f !== undefined, 'relay before the request was attached');
    // RFC 3327 §5.3: a contact's Path is the branch's pre-loaded Route set (an unusable one is refused, not ignored).
    let path: PathRoutes | undefined;
    if (p.t.path !== undefined && (path = pathRoutes(p.t.path)) === undefined) { this.localBranch(p, undefined, 'Service Unavailable (unusable Path)'); return; }
    const routes = path?.values;
    const hop = hopUriOf(f, p.t.uri, p.t.destination, path?.firstUri);
    const nh = nextHopOf(hop.uri);
    if (nh.kind === 'target') { this.startBranch(f, p, hop.strict, nh.target, routes, undefined); return; }
    if (nh.kind === 'error') { this.localBranch(p, undefined, 'Service Unavailable (unroutable URI)'); return; }
    this.resolving++;
    // Resolution gets the first attempt's time (timer C for INVITE, 64·T1 otherwise): a DNS that
    // keeps answering slowly must not hold the transaction for minutes.
    const budgetMs = this.isInvite ? p.timerCMs : sixtyFourT1(this.env.policy);
    let settled = false;
    const deadline = this.env.timers.after(budgetMs, () => {
      if (settled) return;
      settled = true;
      this.resolving--;
      if (this.finalStatus !== 0 || this.cancelled || this.got6xx) { this.checkDone(); return; }
      this.localBranch(p, undefined, 'Service Unavailable (DNS resolution timed out)');
    });
    void resolveHop(this.env.resolver, nh.host, nh.port, nh.proto).then((t) => {
      if (settled) return;
      settled = true;
      deadline.cancel();
      this.resolving--;
      // §16.7 step 5: after a 6xx no new branch starts, also one whose DNS answered late.
      if (this.finalStatus !== 0 || this.cancelled || this.got6xx) { this.checkDone(); return; }
      if (typeof t === 'string') { this.localBranch(p, undefined, 'Service Unavailable (unresolvable destination)'); return; }
      try {
        // RFC 3263 §4.3: the other targets wait in a plan, for failover within the first attempt's time.
        const plan = t.length > 1 ? new FailoverPlan(p, hop.strict, routes, t.slice(1), this.env.timers, budgetMs) : undefined;
        this.startBranch(f, p, hop.strict, t[0] as SipTarget, routes, plan);
      } catch {
        // Nothing here may escape into the resolver's promise (an unhandled rejection ends the process).
        this.localBranch(p, undefined, 'Service Unavailable (the request could not be built)');
      }
    });
  }

  /** RFC 3263 §4.3: a branch that timed out (B/F), hit a transport error or got 503 goes on to the next target. */
  private failOver(b: ClientBranch): boolean {
    const plan = b.plan;
    if (plan === undefined || this.finalStatus !== 0 || this.cancelled || this.got6xx) return false;
    if (b.endedBy === undefined && !(b.response !== undefined && b.status === 503)) return false;
    const f = this.f;
    const next = plan.next();
    if (f === undefined || next === undefined) return false;
    b.superseded = true;
    this.env.counters.failovers.inc();
    this.startBranch(f, plan.pending, plan.strict, next, plan.routes, plan);
    return true;
  }

  /**
   * §16.5 / §16.7 step 4 (relay option recurse3xx): the 3xx's Contacts join the target set. The
   * best-q group starts now, beside any branch still pending; lower q groups go before the relay's
   * remaining groups. The 3xx then no longer competes for the best response.
   */
  private recurse3xx(b: ClientBranch, res: SipMessage): boolean {
    if (b.recurse <= 0 || this.cancelled || this.got6xx) return false;
    const tried: string[] = this.branches.map((x) => x.uri);
    for (const g of this.groups) for (const p of g) tried.push(p.t.uri);
    const plan = redirectPlan(res, tried, b.recurse - this.recursed);
    const add = plan.targets;
    if (add.length === 0) return false;
    this.recursed += add.length;
    this.env.counters.recursedTargets.inc(add.length);
    // §16.7 step 4: the 3xx leaves the response context only when every Contact was recursed on.
    b.superseded = plan.all;
    const groups: PendingTarget[][] = [];
    for (const t of add) {
      const last = groups[groups.length - 1];
      const p: PendingTarget = { t, timerCMs: b.timerCMs, noReplyTimeoutMs: b.noReplyTimeoutMs, recurse: b.recurse, socket: b.socket, onReply: b.onReply };
      if (last !== undefined && (last[0]?.t.q ?? 1) === (t.q ?? 1)) last.push(p);
      else groups.push([p]);
    }
    const now = groups.shift() ?? [];
    this.groups.unshift(...groups);
    const wasStarting = this.starting;
    this.starting = true;
    for (const p of now) this.startTarget(p);
    this.starting = wasStarting;
    return true;
  }

  private localBranch(p: PendingTarget, target: SipTarget | undefined, reason: string, status = 503): void {
    const b = new ClientBranch(this.env, this, this.branches.length, p.t.uri, target, '', Buffer.alloc(0), this.msg.method, p.timerCMs, p.noReplyTimeoutMs);
    this.branches.push(b);
    b.finishLocally(status, reason);
  }

  private startBranch(
    f: ForwardInput, p: PendingTarget, strict: boolean, target: SipTarget, routes: readonly string[] | undefined, plan: FailoverPlan | undefined,
  ): void {
    // OpenSIPS get_send_socket(): the socket the script forced when it suits the destination's
    // transport (send-socket.ts), else over UDP the listener the request arrived on when it suits.
    let out = outboundListener(this.env, target, f.src, p.socket);
    if (out === undefined) {
      // A located target on a transport we do not listen on: the next one, if any (RFC 3263 §4.1).
      const next = plan?.next();
      if (next !== undefined) this.startBranch(f, p, strict, next, routes, plan);
      else this.localBranch(p, target, 'Service Unavailable (no listener for the transport)');
      return;
    }
    const msg = this.msg;
    this.loop ??= loopHash(msg, msg.uriText, msg.topVia);
    const branch = statefulBranch(this.loop, this.env.random);
    let bytes = buildForwardBytes(f, p.t.uri, strict, out, branch, routes);
    const tcp = tcpInsteadOfUdp(this.env, target, f.src, p.socket, bytes.length);
    // RFC 3261 §18.1.1 (sip.udpToTcpOnLargeRequests): built again, with the TCP listener in Via and Record-Route.
    if (tcp !== undefined) { target = tcp.target; out = tcp.out; bytes = buildForwardBytes(f, p.t.uri, strict, out, branch, routes); }
    // The request as forwarded must stay within our own parser's limits: its CANCEL and the ACK of
    // a non-2xx are built from its parse. One received at the limits (256 header lines, a Via line
    // near 8 KiB, 64 KiB) grew past them with our Via, rport and Record-Route, and that parse then
    // failed inside the receive path. Checked only near the limits; such a branch ends as 513.
    if (nearParserLimits(msg, bytes, f.edits, routes) && !parseMessage(bytes, { framing: 'stream' }).ok) {
      this.localBranch(p, target, 'Message Too Large', 513);
      return;
    }
    // The branch's request, its retransmissions, CANCEL and non-2xx ACK leave from the listener its
    // Via names: the next hop sees the source our headers name.
    const b = new ClientBranch(this.env, this, this.branches.length, p.t.uri, this.env.own.sendFrom(target, out), branch, bytes, msg.method, p.timerCMs, p.noReplyTimeoutMs);
    b.plan = plan;
    b.recurse = p.recurse;
    b.socket = p.socket;
    b.onReply = p.onReply;
    if (routes !== undefined) this.env.counters.pathRoutedBranches.inc();
    this.branches.push(b);
    b.start();
  }

  onBranchResponse(b: ClientBranch, res: SipMessage, status: number): void {
    const observe = this.hooks.observeReply;
    // The hook of the relay that made this branch, not the one armed last (ClientBranch.onReply).
    const hook = b.onReply;
    let edits: ResponseEdits | undefined;
    if (observe !== undefined || hook !== undefined) {
      // Made by the hook only when it changes something: no object per response otherwise.
      edits = runReplyHooks(observe, hook, res, b, this.env.counters);
      // Kept for this branch's final: the best response is sent later, and a 2xx retransmitted
      // after the transaction was compacted is forwarded with them, without the hook (AcceptedBranch).
      if (status >= 200) {
        if (edits !== undefined) edits.toTag = res.to.tag;
        b.replyEdits = edits;
      }
    }
    // §16.7 step 3: "If no Via header field values remain in the response, the response was meant
    // for this element and MUST NOT be forwarded". A final of that kind is answered by us (below).
    if (status < 300 && !hasViaBelowOurs(res)) {
      this.env.counters.dropReplies.inc();
      // A 2xx we cannot relay still ends the caller's wait: 502, as for a next hop that answers nonsense.
      if (status >= 200 && this.finalStatus === 0) this.reply(502, 'Bad Gateway');
      return;
    }
    if (status < 200) {
      // §16.7 step 5: provisional responses other than 100 go up while no final did.
      if (status > 100 && this.finalStatus === 0 && b.status === 0) this.forward(status, stripTopVia(res, undefined, edits));
      return;
    }
    if (status < 300) {
      // §16.7 step 5: every 2xx to INVITE is forwarded, even after another final (each is a dialog).
      if (this.finalStatus === 0) {
        this.forward(status, stripTopVia(res, undefined, edits));
        this.finished(status, 'answered');
      } else if (this.isInvite) {
        const bytes = stripTopVia(res, undefined, edits);
        this.env.counters.fwdReplies.inc();
        if (!this.server.respond(status, bytes)) this.env.out.send(this.upstream, bytes);
      }
      return;
    }
    if (this.finalStatus !== 0) {
      // The last pending branch of a non-INVITE answered after the final went up (its timer J entry
      // then lives from now: at most timer F longer). An INVITE is compacted only at its 2xx
      // (compactAccepted): it keeps its machines here.
      if (!this.isInvite && this.branches.every((x) => x.status !== 0)) this.compact();
      return;
    }
    if (status >= 600) {
      // §16.7 step 5: a 6xx ends the search: cancel what is pending, fork no more.
      this.got6xx = true;
      this.groups.length = 0;
      this.cancelPending();
    } else if (status === 503) this.failOver(b);
    else if (status < 400) this.recurse3xx(b, res);
    this.checkDone();
  }

  onBranchLocalFinal(b: ClientBranch): void {
    this.failOver(b);
    this.checkDone();
  }

  private forward(status: number, bytes: Buffer): void {
    this.env.counters.fwdReplies.inc();
    this.env.counters.relayedReplies.inc();
    this.server.respond(status, bytes);
  }

  /** A final went upstream: count it, cancel pending branches (§16.7 step 10), tell the script. */
  private finished(status: number, result: RelayOutcome['result']): void {
    this.finalStatus = status;
    this.env.counters.final(status);
    // Setting an array's length goes through a runtime accessor even when it changes nothing.
    if (this.groups.length > 0) this.groups.length = 0;
    this.cancelPending();
    for (const b of this.branches) b.plan?.done();
    this.outcome = { result: this.cancelled && status >= 300 ? 'cancelled' : result, status };
    this.settle?.(this.outcome);
    if (!this.isInvite) { if (this.branches.every((b) => b.status !== 0)) this.compact(); } else if (status < 300) this.compactAccepted();
  }

  /**
   * A non-INVITE whose final went up (answered here, or relayed with every branch done) lives on
   * for timer J (32 s over UDP) only to answer retransmissions with that final: over UDP that
   * state moves to the compact cache (completed-replies.ts) and this object, the request and the
   * script's objects are freed; over a reliable transport timer J is zero and the machine ends on
   * its own (DESIGN.md §8).
   */
  private compact(): void {
    const server = this.server as ServerNonInviteTransaction;
    if (server.state !== 'completed' || this.upstream.proto !== 'udp' || !this.owned()) return;
    const bytes = server.handOff();
    if (bytes === undefined) return;
    const env = this.env;
    this.replaceWith(new CompletedReply(this.key, env.servers, env.out, this.upstream, env.completed.keep(bytes)));
    // The branches' own Completed state (timer K) goes compact too, or it would keep all of this alive.
    for (const b of this.branches) if (b.compactable) b.compact(this.upstream);
    this.release();
  }

  /**
   * RFC 6026: after a 2xx the INVITE server transaction is Accepted for timer L and each answering
   * branch for timer M (64·T1 both). Once every branch is done and none needs its machine (a branch
   * Completed by a non-2xx must ACK retransmitted finals for timer D), these states move to compact
   * entries (completed-replies.ts) and this object, the request and the script's objects are freed
   * (unless a branch keeps the script's hooks for a new dialog's 2xx: AcceptedBranch). A
   * retransmitted 2xx then goes upstream without the script's reply hook. It is done only at the
   * 2xx itself (finished), so each entry lives the timer of the state it stands in for, from when
   * that state began (a forked call whose other branches end later keeps its machines instead).
   */
  private compactAccepted(): void {
    const server = this.server;
    if (!(server instanceof ServerInviteTransaction) || server.state !== 'accepted' || !this.owned()) return;
    for (const b of this.branches) if (!b.compactable) return;
    if (!server.handOffAccepted()) return;
    this.replaceWith(new AcceptedInvite(this.key, this.env.servers));
    // The observer goes with each branch: a 2xx of a new dialog there still runs it and the hook.
    for (const b of this.branches) b.compact(this.upstream, this.hooks.observeReply);
    this.release();
  }

  /** Drops what only the live transaction needed (the script's objects, the edits, the outcome promise). */
  private release(): void {
    this.f = undefined;
    this.hooks = { onReply: undefined, observeReply: undefined, onFailure: undefined };
    // A branch left in the client table (timer D, a CANCEL pending) no longer keeps the script's objects.
    for (const b of this.branches) b.onReply = undefined;
    this.promise = undefined;
    this.settle = undefined;
  }

  private cancelPending(): void {
    for (const b of this.branches) b.cancel();
  }

  /** §16.7 step 4: all branches done without a 2xx → next q group, the failure hook, or the best response. */
  private checkDone(): void {
    if (this.starting || this.finalStatus !== 0 || this.hasPending()) return;
    // While the failure hook runs, only the branches it relayed may end the transaction: it may be
    // awaiting their outcome, which only this settles (waiting for the hook here never ended).
    if (this.inFailureHook && this.branches.length === this.failureHookBase && this.groups.length === 0) return;
    if (this.groups.length > 0) { this.startNextGroup(); return; }
    const finals = this.finals();
    const best = chooseBest(finals);
    const hook = this.hooks.onFailure;
    // The bound holds however the hook was armed: re-armed by relay() below, or armed anew for each
    // round by the script (RelayOptions onFailure, the routes' failure given back by a relay with
    // onReply), which would otherwise fork serially without end (OpenSIPS stops at max_branches).
    if (hook === undefined || this.cancelled || this.failureRounds >= MAX_FAILURE_ROUNDS) { this.sendBest(best, finals); return; }
    // One-shot, as OpenSIPS t_on_failure; relay() from inside the hook arms it again (see relay).
    this.hooks.onFailure = undefined;
    this.runningFailureHook = hook;
    this.failureRounds++;
    const before = this.branches.length;
    const outer = { inHook: this.inFailureHook, base: this.failureHookBase };
    this.inFailureHook = true;
    this.failureHookBase = before;
    const after = (): void => {
      this.inFailureHook = outer.inHook;
      this.failureHookBase = outer.base;
      if (this.finalStatus !== 0) return;
      if (this.branches.length !== before || this.resolving > 0 || this.groups.length > 0) this.checkDone();
      else this.sendBest(best, finals);
    };
    let r: Promise<void> | void;
    try { r = hook(best); } catch { r = undefined; }
    if (r !== undefined && typeof r.then === 'function') r.then(after, after);
    else after();
  }

  private finals(): BestResponse[] {
    const out: BestResponse[] = [];
    for (const b of this.branches) if (!b.superseded) out.push({ status: b.status, reason: b.reason, msg: b.response, branch: b });
    return out;
  }

  private sendBest(best: BestResponse, finals: readonly BestResponse[]): void {
    // §16.7 step 6: a received 503 means "this proxy's next hop is unavailable", not "retry here".
    if (best.msg === undefined || best.status === 503 || !hasViaBelowOurs(best.msg)) {
      if (best.msg === undefined) this.reply(best.status, best.reason);
      else if (best.status === 503) this.reply(500, 'Server Internal Error');
      else this.reply(best.status, best.reason);
      return;
    }
    this.forward(best.status, stripTopVia(best.msg, aggregatedChallenges(best, finals), best.branch instanceof ClientBranch ? best.branch.replyEdits : undefined));
    this.finished(best.status, 'failed');
  }
}

/**
 * Could the forwarded request exceed the parser's limits? (Then it is parsed to know.) No line can
 * be longer than the whole request, so one shorter than a line's limit is safe whatever the script
 * added; the header count adds what the script and a Path put in to what was received.
 */
function nearParserLimits(msg: SipMessage, bytes: Buffer, edits: RequestEdits, routes: readonly string[] | undefined): boolean {
  return bytes.length > limits.MAX_LINE_BYTES - 512
    || msg.headerCount + (edits.added?.length ?? 0) + (routes?.length ?? 0) > limits.MAX_HEADERS - 16;
}

/** Does a Via remain once ours (the top one) is removed? Two Via lines say yes at once; one line is parsed for a second value. */
function hasViaBelowOurs(res: SipMessage): boolean {
  if (res.countId(H.via) >= 2) return true;
  const v = res.vias();
  return v.ok && v.value.length >= 2;
}
