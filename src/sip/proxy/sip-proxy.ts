/**
 * The stateful proxy core (RFC 3261 §16) behind SipCore: it matches every request and response
 * to its transaction, absorbs retransmissions, handles ACK and CANCEL, validates (§16.3),
 * preprocesses routes (§16.4) and hands each new request to the routing script as a ProxyRequest.
 * Without a script it relays to the Request-URI, as a plain proxy would.
 */
import type { CounterFactory } from '../../lib/counter.ts';
import type { Random, Timers } from '../../lib/time.ts';
import { DERIVED_TAG_LENGTH, deriveToTag, isRfc3261Branch, ownString, parseMessage, prepareHeaders, type SipMessage } from '../message/index.ts';
import { DEFAULT_TIMER_POLICY, ServerInviteTransaction, clientKey, serverKey, sixtyFourT1, type TimerPolicy } from '../transaction/index.ts';
import { AcceptedInvite, CompactStates, type ReplyHooksLease } from './completed-replies.ts';
import { Local2xxRetransmits } from './local-2xx-retransmits.ts';
import { OwnAddresses } from './own-addresses.ts';
import { ProxyCounters } from './proxy-counters.ts';
import type { ProxyEnv, ServerMatch, ClientMatch } from './proxy-env.ts';
import { ProxyRequest } from './proxy-request.ts';
import { ProxyTransaction } from './proxy-transaction.ts';
import type { ProxyAlias, ProxyListener, Resolver } from './proxy-types.ts';
import { checkTimerMs } from './relay-timers.ts';
import { checkRequest, type CheckOptions } from './request-checks.ts';
import { preprocessRoutes } from './route-set.ts';
import type { SipCore } from './sip-core.ts';
import type { SipOutput, SipSource } from './sip-source.ts';
import { forwardResponseStateless } from './stateless-forward.ts';
import { StatelessReplyTags } from './stateless-reply-tags.ts';
import { defaultPort, viaWithReceived, type ReceivedParams } from './via-routing.ts';

const AS_RECEIVED: ReceivedParams = { received: undefined, rport: undefined };
const noCount = (): void => {};

/** The routing script's entry point; a returned promise is awaited before the request counts as unhandled. */
export type RequestHandler = (pr: ProxyRequest) => void | Promise<void>;

export interface SipProxyOptions {
  readonly out: SipOutput;
  readonly counters: CounterFactory;
  readonly timers: Timers;
  readonly random: Random;
  readonly listeners: readonly ProxyListener[];
  readonly aliases?: readonly ProxyAlias[];
  readonly resolver?: Resolver;
  /** RFC 3261 timers; `timerCMs` is the relays' default timer C (config `proxy.inviteTimeoutMs`). */
  readonly policy?: TimerPolicy;
  /**
   * Relays' default wait for a reply before a branch ends as 408 (RelayOptions.noReplyTimeoutMs,
   * OpenSIPS fr_timeout; config `proxy.noReplyTimeoutMs`). Unset: timer B/F (64·T1).
   */
  readonly noReplyTimeoutMs?: number;
  readonly serverHeader: string;
  /** Allow of an OPTIONS with Max-Forwards 0 that we answer ourselves (§16.3 step 3). */
  readonly allow?: readonly string[];
  /** Option tags accepted in Proxy-Require (§16.3 step 5). */
  readonly proxyRequireSupported?: readonly string[];
  /**
   * REGISTER answered here ends with its final, without timer J's Completed state (RFC 3261 §8.2.7
   * stateless UAS; OpenSIPS/Kamailio save() replies with sl). Config `registrar.statelessReplies`.
   */
  readonly statelessRegisterReplies?: boolean;
  /** RFC 3261 §18.1.1: forwarded requests over 1300 bytes go by TCP, not UDP (config `sip.udpToTcpOnLargeRequests`). */
  readonly udpToTcpOnLargeRequests?: boolean;
  /** When given, the proxy installs itself as this core's handlers. */
  readonly core?: SipCore;
}

const DEFAULT_ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE'];

export class SipProxy {
  /** The routing script (OpenSIPS route{}); unset: every request is relayed to its Request-URI. */
  onRequest: RequestHandler | undefined = undefined;
  /**
   * Sees a response no client transaction matched before it is forwarded statelessly; true takes it
   * (replies to requests the node sent outside the proxy: the registrar's NAT pings). Only strays
   * reach it, so matched responses pay nothing.
   */
  onUnmatchedResponse: ((res: SipMessage) => boolean) | undefined = undefined;
  private readonly env: ProxyEnv;
  private readonly checks: CheckOptions;
  private readonly statelessRegister: boolean;
  /**
   * Stateless REGISTER transactions still running when the script returned (it awaited), entered in
   * the table by one microtask after the current message (enterPending). The usual await is on a
   * promise already settled (a digest check answered from the credential cache): the script's
   * continuation was queued first, answers, and the transaction never enters the table — no Map
   * insert and delete per request, and no shrink of V8's table back from one entry to none.
   * No other message is handled before a microtask runs except in the same synchronous loop (a
   * TCP read holding several messages), so receiveRequest also matches against this list.
   */
  private readonly pending: ProxyTransaction[] = [];
  private readonly enterPending = (): void => {
    const p = this.pending;
    for (let i = 0; i < p.length; i++) (p[i] as ProxyTransaction).enterTable();
    p.length = 0;
  };

  constructor(opts: SipProxyOptions) {
    const policy = opts.policy ?? DEFAULT_TIMER_POLICY;
    checkTimerMs('SipProxy noReplyTimeoutMs', opts.noReplyTimeoutMs);
    checkTimerMs('SipProxy policy.timerCMs', policy.timerCMs);
    const counters = new ProxyCounters(opts.counters);
    const servers = new Map<string, ServerMatch>();
    this.env = {
      out: opts.out, timers: opts.timers, random: opts.random, policy, noReplyTimeoutMs: opts.noReplyTimeoutMs,
      udpToTcpOnLargeRequests: opts.udpToTcpOnLargeRequests === true,
      counters, own: new OwnAddresses(opts.listeners, opts.aliases ?? []),
      resolver: opts.resolver, serverHeader: opts.serverHeader, serverLine: prepareHeaders([['Server', opts.serverHeader]]),
      clients: new Map<string, ClientMatch>(), servers,
      // Timer J over UDP, L and M are all 64·T1; K over UDP is T4 (RFC 3261 §17, RFC 6026).
      completed: new CompactStates(opts.timers, sixtyFourT1(policy), () => counters.inuse.dec()),
      lingering: new CompactStates(opts.timers, policy.t4Ms, () => counters.inuse.dec()),
      replyHooks: new Map<string, ReplyHooksLease>(),
      hookLeases: new CompactStates(opts.timers, policy.t4Ms, noCount),
      statelessTags: new StatelessReplyTags(opts.timers),
      local2xx: new Local2xxRetransmits(opts.out, opts.timers, policy, counters),
    };
    this.statelessRegister = opts.statelessRegisterReplies === true;
    this.checks = {
      supported: new Set((opts.proxyRequireSupported ?? []).map((s) => s.toLowerCase())),
      allow: (opts.allow ?? DEFAULT_ALLOW).join(', '),
    };
    if (opts.core !== undefined) opts.core.handlers = { onRequest: (m, s) => this.receiveRequest(m, s), onResponse: (m, s) => this.receiveResponse(m, s) };
  }

  get own(): OwnAddresses { return this.env.own; }
  /** Server and client transactions in the tables (tm:inuse_transactions counts the same). */
  get serverTransactionCount(): number { return this.env.servers.size; }
  get clientTransactionCount(): number { return this.env.clients.size; }
  /**
   * Transactions kept as compact 64·T1 entries (completed-replies.ts): Completed non-INVITE server
   * transactions over UDP, Accepted INVITE server transactions and their answering branches.
   */
  get completedCount(): number { return this.env.completed.size; }

  receiveRequest(msg: SipMessage, src: SipSource): void {
    const method = msg.method;
    if (method === 'ACK') { this.receiveAck(msg, src); return; }
    const key = keyOf(msg, method);
    const existing = this.env.servers.get(key) ?? (this.pending.length === 0 ? undefined : this.pendingMatch(key));
    if (existing !== undefined) { existing.receiveRetransmission(); return; }
    if (method === 'CANCEL') { this.receiveCancel(msg, src, key); return; }
    // A REGISTER answered statelessly (registrar.statelessReplies) usually ends before the script
    // returns, or in the microtask after: it enters the table only if it is still running then
    // (ProxyTransaction.enterTable, via `pending`).
    const stateless = method === 'REGISTER' && this.statelessRegister;
    const tx = new ProxyTransaction(this.env, msg, src, key, stateless);
    if (stateless) tx.statelessFinal = true;
    // OpenSIPS t_relay answers 100 at once, so the caller stops retransmitting (§16.2, §17.2.1).
    if (method === 'INVITE') tx.sendTrying();
    try {
      const rej = checkRequest(msg, this.env.own, this.checks);
      if (rej !== undefined) {
        this.env.counters.errRequests.inc();
        tx.reply(rej.status, rej.reason, { headers: rej.headers });
      } else this.dispatch(new ProxyRequest(this.env, msg, src, preprocessRoutes(msg, this.env.own), tx));
    } finally {
      // Even when something above threw: a transaction still running must be found by its retransmissions.
      if (stateless) this.deferEntry(tx);
    }
  }

  /** Queues a stateless transaction for the table unless it already ended (see `pending`). */
  private deferEntry(tx: ProxyTransaction): void {
    if (!tx.running) { tx.enterTable(); return; }
    if (this.pending.push(tx) === 1) queueMicrotask(this.enterPending);
  }

  /** A queued transaction with this key that has not ended, for a retransmission in the same loop. */
  private pendingMatch(key: string): ProxyTransaction | undefined {
    for (const tx of this.pending) if (tx.key === key && tx.running) return tx;
    return undefined;
  }

  receiveResponse(res: SipMessage, src?: SipSource): void {
    const c = this.env.clients.get(clientKey(res.topVia.branch ?? '', res.cseq.method));
    if (c !== undefined) c.receive(res, src);
    else if (this.onUnmatchedResponse?.(res) !== true) forwardResponseStateless(this.env, res, src);
  }

  /** §17.2.3: an ACK matching an INVITE server transaction acknowledges our non-2xx; any other is end to end. */
  private receiveAck(msg: SipMessage, src: SipSource): void {
    const key = keyOf(msg, 'INVITE');
    const t = this.env.servers.get(key);
    if (t instanceof ProxyTransaction && t.server instanceof ServerInviteTransaction && t.server.state !== 'accepted'
      && (isRfc3261Branch(msg.topVia.branch) || acksOurFinal(t.server, msg))) {
      t.server.receiveAck();
      return;
    }
    // The ACK of a 2xx the node sent itself (§13.3.1.4) stops its retransmission and ends here.
    if (this.env.local2xx.size > 0 && this.env.local2xx.receiveAck(msg)) return;
    // The ACK of a response this node generated (its To tag is the one we derive from the request,
    // §17.1.1.3: a non-2xx ACK keeps the INVITE's branch) whose transaction is gone or never was (a
    // stateless reply): it ends here, as OpenSIPS sl_filter_ACK does. Handed to the script, an
    // in-dialog-looking ACK would be relayed to the Request-URI, a callee that never saw the INVITE.
    // A tag we did not derive (chosen by the caller, or an in-dialog INVITE's own) is remembered for
    // a few seconds after the stateless final that carried it (stateless-reply-tags.ts).
    const tag = msg.to.tag;
    if (tag !== undefined && ((tag.length === DERIVED_TAG_LENGTH && tag === deriveToTag(msg)) || this.remembered(key, tag))) {
      this.env.counters.filteredAcks.inc();
      return;
    }
    // §16.3 step 3 applies to the ACK of a 2xx too; there is nobody to answer, so it is dropped.
    if (msg.maxForwards === 0) { this.env.counters.dropRequests.inc(); return; }
    this.dispatch(new ProxyRequest(this.env, msg, src, preprocessRoutes(msg, this.env.own), undefined));
  }

  private remembered(inviteKey: string, tag: string): boolean {
    const tags = this.env.statelessTags;
    return tags.size > 0 && tags.matches(inviteKey, tag);
  }

  /**
   * §16.10: a CANCEL whose INVITE has a response context gets its own transaction and 200, and
   * cancels the INVITE's pending branches. Without one, "the element does not have any knowledge of
   * the request to apply the CANCEL to. It MUST statelessly forward the CANCEL request (it may have
   * statelessly forwarded the associated request previously)": it goes to the script without a
   * transaction, which routes it as it routed the INVITE (relay() forwards it statelessly, reply()
   * answers statelessly, e.g. 481), or, without a script, it is forwarded by its Request-URI/Route.
   */
  private receiveCancel(msg: SipMessage, src: SipSource, key: string): void {
    const invite = this.env.servers.get(keyOf(msg, 'INVITE'));
    if (invite instanceof AcceptedInvite) {
      // The response context exists (kept compact after its 2xx); the CANCEL changes nothing.
      new ProxyTransaction(this.env, msg, src, key).reply(200, 'OK');
      return;
    }
    if (!(invite instanceof ProxyTransaction)) {
      const pr = new ProxyRequest(this.env, msg, src, preprocessRoutes(msg, this.env.own), undefined);
      // §16.3 step 3 before forwarding it: Max-Forwards 0 is answered 483, never decremented below zero.
      if (msg.maxForwards === 0) {
        this.env.counters.errRequests.inc();
        pr.reply(483, 'Too Many Hops');
        return;
      }
      this.dispatch(pr);
      return;
    }
    new ProxyTransaction(this.env, msg, src, key).reply(200, 'OK');
    invite.receiveCancel();
  }

  private dispatch(pr: ProxyRequest): void {
    const handler = this.onRequest;
    if (handler === undefined) {
      if (pr.transaction === undefined) pr.forwardStateless();
      else pr.relay();
      return;
    }
    let r: void | Promise<void>;
    try {
      r = handler(pr);
    } catch {
      scriptFailed(pr);
      return;
    }
    if (r !== undefined && typeof r.then === 'function') r.then(() => unhandled(pr), () => scriptFailed(pr));
    else unhandled(pr);
  }
}

/**
 * §17.2.3 RFC 2543 fallback: an ACK matches the INVITE's transaction only when its To tag is that of
 * the response the transaction sent; the key leaves the tag out (the INVITE had none). An ACK with
 * another tag acknowledges a 2xx forwarded after that final (one that raced a CANCEL or a 6xx,
 * §16.7 step 5): it is end to end and goes on. The final is parsed only here, for RFC 2543 peers.
 */
function acksOurFinal(server: ServerInviteTransaction, ack: SipMessage): boolean {
  const final = server.nonSuccessFinal;
  if (final === undefined) return true;
  const r = parseMessage(final, { framing: 'stream' });
  return !r.ok || r.value.to.tag === ack.to.tag;
}

/** End of the script without a decision: OpenSIPS drops the request. */
function unhandled(pr: ProxyRequest): void {
  if (pr.disposition === 'pending') pr.drop();
}

/** DESIGN.md §4: a script error answers 500 for that request and the node keeps running. */
function scriptFailed(pr: ProxyRequest): void {
  if (pr.transaction !== undefined && pr.transaction.finalStatus === 0 && pr.disposition !== 'relayed') {
    pr.reply(500, 'Server Internal Error', { headers: [['Warning', '399 sipcluster "SIP_PROXY_SCRIPT_ERROR"']] });
  } else unhandled(pr);
}

/**
 * The §17.2.3 key of a request as `method` (ACK and CANCEL look up their INVITE with 'INVITE').
 * Flat and of its own (ownString): built from slices of the message's header block, the key would
 * keep that block (~500 bytes) alive for as long as the table holds it — 32 s for a Completed one.
 */
function keyOf(msg: SipMessage, method: string): string {
  return ownString(keyParts(msg, method));
}

function keyParts(msg: SipMessage, method: string): string {
  const v = msg.topVia;
  const sentBy = `${v.host.toLowerCase()}:${v.port ?? defaultPort(v.transport)}`;
  if (isRfc3261Branch(v.branch)) {
    return serverKey({ method, branch: v.branch, sentBy, requestUri: '', fromTag: '', toTag: '', callId: '', cseqNumber: 0, topVia: '' });
  }
  const toTag = method === 'INVITE' || method === 'ACK' ? '' : (msg.to.tag ?? '');
  return serverKey({
    method, branch: v.branch, sentBy, requestUri: msg.uriText, fromTag: msg.from.tag ?? '', toTag,
    // §17.2.3 "the top Via header field": its first value, not the whole first line (the ACK and
    // CANCEL carry only that value, §17.1.1.3, §9.1), in one canonical form.
    callId: msg.callId, cseqNumber: msg.cseq.seq, topVia: viaWithReceived(v, AS_RECEIVED),
  });
}
