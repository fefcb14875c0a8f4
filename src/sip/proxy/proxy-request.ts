/**
 * The per-request object the routing script works on (src/script builds its API on it): the
 * received message, the edits to apply when forwarding, and the actions of an OpenSIPS route —
 * t_reply, $ru / $du, record_route, loose_route, t_relay (forking), forward, drop — plus the
 * transaction variables (AVPs) and the reply / failure hooks (onreply_route, failure_route).
 */
import { H, buildResponseBytes, canonicalName, headerIdOf, parseUri, type HeaderId, type SipMessage } from '../message/index.ts';
import { TOKEN, isToken } from '../message/chars.ts';
import { RequestEdits, currentRequestUri, type ForwardInput } from './forward-builder.ts';
import { aliasedContactValue, ruriAliasRoute } from './contact-alias.ts';
import { fixedContactValue, fixedSdp, type SdpFixOptions } from './nat.ts';
import type { ProxyEnv } from './proxy-env.ts';
import type { ReplyHook } from './client-branch.ts';
import type { ProxyTransaction, TransactionHooks } from './proxy-transaction.ts';
import type { BestResponse, RelayOptions, RelayTarget, ReplyOptions } from './proxy-types.ts';
import { RelayResult } from './relay-result.ts';
import { checkRelayOptions } from './relay-timers.ts';
import type { RouteState } from './route-set.ts';
import { checkedSendSocket, socketName } from './send-socket.ts';
import { forwardRequestStateless } from './stateless-forward.ts';
import type { OwnAddresses } from './own-addresses.ts';
import type { SipSource } from './sip-source.ts';
import { responseTarget, responseTopVia } from './via-routing.ts';

/** What the script decided; 'pending' when it has not (yet) decided anything. */
export type RequestDisposition = 'pending' | 'relayed' | 'replied' | 'stateless' | 'dropped';

const NO_OPTIONS: RelayOptions = {};

export class ProxyRequest implements ForwardInput, TransactionHooks {
  private varsMap: Map<string, unknown> | undefined = undefined;
  readonly edits = new RequestEdits();
  disposition: RequestDisposition = 'pending';
  /**
   * Called for every response of the branches the next relay() makes (OpenSIPS onreply_route armed
   * by t_on_reply before t_relay). Each branch keeps the hook armed when its relay was called, so
   * setting another one after a relay changes only what later relays make (Kamailio tm copies the
   * armed route into each branch as it adds it); branches added by failover or 3xx recursion keep
   * the hook of the branch they stand in for.
   */
  onReply: ReplyHook | undefined = undefined;
  /** Sees every response of every branch of the request, whenever the branch was made (call accounting), before its reply hook. */
  observeReply: ((res: SipMessage) => void) | undefined = undefined;
  /**
   * Called when every branch ended without a 2xx (OpenSIPS failure_route), before the best
   * response goes upstream; it may reply or relay again (serial forking, failover). A relay from
   * inside it arms it again for that new branch set (as t_on_failure before t_relay), at most
   * MAX_FAILURE_ROUNDS times; it may await that relay's outcome.
   */
  onFailure: ((best: BestResponse) => Promise<void> | void) | undefined = undefined;

  constructor(
    private readonly env: ProxyEnv,
    readonly msg: SipMessage,
    readonly src: SipSource,
    readonly routes: RouteState | undefined,
    /** Undefined for the ACK of a 2xx, which has no transaction and can only be forwarded statelessly. */
    readonly transaction: ProxyTransaction | undefined,
  ) {
    transaction?.attach(this, this);
  }

  /**
   * Per-transaction variables (OpenSIPS AVPs), kept for the reply and failure hooks. Made on first
   * use: most requests (a REGISTER, an OPTIONS) never set one, and a Map is ~200 bytes per request.
   */
  get vars(): Map<string, unknown> {
    return (this.varsMap ??= new Map<string, unknown>());
  }

  get own(): OwnAddresses { return this.env.own; }
  get method(): string { return this.msg.method; }
  /** The Request-URI the request would be forwarded with ($ru). */
  get requestUri(): string { return currentRequestUri(this); }
  /** In-dialog request (To tag present), the usual test before looseRoute(). */
  get hasToTag(): boolean { return this.msg.to.tag !== undefined; }

  /**
   * A response through the server transaction (stateful, t_reply). A request without one (a CANCEL
   * without a response context, §16.10) is answered statelessly. False for ACK or after a final.
   */
  reply(status: number, reason: string, opts?: ReplyOptions): boolean {
    // Checked before anything changes: a bad status, reason or header threw inside the response
    // builder after the request was marked answered, so the error path sent no 500 and the caller
    // kept a 100 Trying and nothing else.
    checkReply(status, reason, opts);
    return this.replyFromNode(status, reason, opts);
  }

  /**
   * reply() for a response this node built itself — the registrar's answer to a REGISTER, a digest
   * challenge — whose status, reason and headers come from our code, not from a script: not checked
   * again here (the response builder still asserts them). Scanning the registrar's Contact and Date
   * values a second time was ~4 % of a REGISTER's CPU.
   */
  replyFromNode(status: number, reason: string, opts?: ReplyOptions): boolean {
    if (this.transaction === undefined) return this.replyStateless(status, reason, opts);
    if (opts?.stateless === true) {
      // Only a final goes out without a transaction (§8.2.6: a provisional one means nothing then);
      // the transaction is forgotten only once the response is certain to be sent. After a stateful
      // provisional (t_reply 180, then sl_send_reply 486) OpenSIPS sends the final regardless of the
      // transaction; it is sent here too, and the transaction, answered, is forgotten: kept, it would
      // sit in Proceeding and could still send a second final. After relay() the branches own the answer.
      if (status < 200 || this.msg.method === 'ACK' || !this.unanswered()) return false;
      this.transaction.answeredStatelessly(status);
      return this.sendStateless(status, reason, opts);
    }
    if (this.disposition === 'pending') this.disposition = 'replied';
    return this.transaction.reply(status, reason, opts);
  }

  // The script's edits are checked when made (a TypeError the script sees, its request a 500),
  // not when the request is built: a bad one then threw inside relay() and left the caller with a
  // 100 Trying and a transaction that never ended.
  setRequestUri(uri: string): void { this.edits.requestUri = checkedUri(uri, 'Request-URI'); }
  /** $du: send to this URI's host/port/transport whatever Route and Request-URI say. */
  setDestination(uri: string | undefined): void { this.edits.destination = uri === undefined ? undefined : checkedUri(uri, 'destination'); }
  /**
   * $fs (OpenSIPS force_send_socket): `proto:address[:port]` of the listener every later relay or
   * stateless forward of this request leaves from (send-socket.ts); undefined goes back to the
   * usual choice. A TypeError for a string of another form or naming no listener of this node.
   */
  setSendSocket(socket: string | undefined): void {
    this.edits.sendSocket = socket === undefined ? undefined : checkedSendSocket(this.env.own.listeners, socket);
  }
  /** $fs as it stands: `proto:address:port` of the forced listener, undefined when none is. */
  get sendSocket(): string | undefined {
    const l = this.edits.sendSocket;
    return l === undefined ? undefined : socketName(l);
  }
  addHeader(name: string, value: string, position: 'top' | 'bottom' = 'bottom'): void {
    checkEditable(name, 'add');
    if (!isFieldValue(value)) throw new TypeError(`header ${name}: the value holds CR, LF or another control character`);
    (this.edits.added ??= []).push([name, value, position]);
  }
  removeHeader(name: string): void {
    checkEditable(name, 'remove');
    (this.edits.removed ??= []).push(name);
  }
  /**
   * Removes header line `index` of the received message (msg.indexOf) from the forwarded request,
   * and no other line of its name: the one credentials value a digest check verified (OpenSIPS
   * consume_credentials), while other realms' stay (RFC 3261 §22.3). Recorded with removeHeader's
   * edits, so every branch built afterwards leaves it out. A TypeError for no such line or one the proxy keeps.
   */
  removeHeaderLine(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.msg.headerCount) throw new TypeError(`no header line ${String(index)}`);
    if (MANAGED.has(this.msg.headerId(index))) throw new TypeError(`cannot remove ${this.msg.headerName(index)}: the proxy keeps it (RFC 3261 §16.6, §8.1.1)`);
    (this.edits.removed ??= []).push(index);
  }
  /**
   * OpenSIPS fix_nated_contact: the forwarded request's Contact URI gets the packet's source as
   * host:port (nat.ts), and `uriParams` appended. False when there is no SIP Contact to rewrite, or
   * the Contact was already edited (addContactAlias, or a call before): Kamailio's nathelper
   * refuses a second edit of one Contact in either order ("you can't call fix_nated_contact twice"),
   * and rewriting it here would silently drop the alias the script added.
   */
  fixNatedContact(uriParams?: string): boolean {
    if (this.edits.contact !== undefined) return false;
    const v = fixedContactValue(this.msg, { address: this.src.remoteAddress, port: this.src.remotePort }, uriParams);
    if (v === undefined) return false;
    this.edits.contact = v;
    return true;
  }
  /**
   * Kamailio add_contact_alias(): the forwarded request's first Contact URI gets
   * `;alias=<source ip>~<port>~<proto>` (contact-alias.ts). False when nothing was added: no SIP
   * Contact, `*`, an alias already there, the Contact already naming the source, or the Contact
   * already rewritten (fixNatedContact, or a call before: Kamailio refuses a second Contact edit too).
   */
  addContactAlias(): boolean {
    if (this.edits.contact !== undefined) return false;
    const s = this.src;
    const v = aliasedContactValue(this.msg, { address: s.remoteAddress, port: s.remotePort, proto: s.proto });
    if (v === undefined) return false;
    this.edits.contact = v;
    return true;
  }
  /**
   * Kamailio handle_ruri_alias(): when the Request-URI ($ru, as the script left it) has an `alias`
   * parameter, the request goes to the address it names ($du) and the Request-URI loses it. False,
   * and nothing changed, when there is no alias or it is malformed, or when a Route is left after
   * ours: that Route is the next hop (RFC 3261 §16.6 steps 6–7) and $du would skip it; the alias is
   * for the proxy nearest the UA. Kamailio's default config asks the same with
   * `if (!isdsturiset()) handle_ruri_alias()` after loose_route(), which sets $du to a next Route.
   */
  handleRuriAlias(): boolean {
    if (this.routes !== undefined && this.routes.values.length > 0) return false;
    const r = ruriAliasRoute(this.requestUri);
    if (r === undefined) return false;
    this.edits.requestUri = r.requestUri;
    this.edits.destination = r.destination;
    return true;
  }
  /**
   * OpenSIPS fix_nated_sdp: the forwarded request's SDP `c=` (and with `origin`, `o=`) addresses
   * become the packet's source (nat.ts). False when there is no SDP body or nothing to change.
   */
  fixNatedSdp(opts?: SdpFixOptions): boolean {
    const body = fixedSdp(this.msg, { address: this.src.remoteAddress, port: this.src.remotePort }, opts);
    if (body === undefined) return false;
    this.edits.body = body;
    return true;
  }
  /** OpenSIPS t_was_cancelled(): the caller CANCELled this INVITE (it was answered 487). */
  get cancelled(): boolean { return this.transaction?.cancelled === true; }
  /** Adds our Record-Route (two when the request leaves on another interface) on forwarding. */
  recordRoute(): void { this.edits.recordRoute = true; }

  /**
   * OpenSIPS loose_route(): true when the request carried Route headers (our own ones were
   * already removed, §16.4), i.e. it follows a route set; the next hop is then the first remaining
   * loose Route, a strict router (§16.12, handled when forwarding), or the Request-URI.
   */
  looseRoute(): boolean {
    const r = this.routes;
    return r !== undefined && (r.hadRoutes || r.restoredUri !== undefined);
  }

  /**
   * Forwards statefully to `targets` (default: the Request-URI), each sent to its destination or
   * else $du when set. Equal q in parallel,
   * lower q serially; resolves when the transaction's final answer is known. A request without a
   * transaction (the ACK of a 2xx, a CANCEL without a response context) is forwarded statelessly,
   * to the first target when there are targets: without state there is no forking.
   */
  relay(targets?: readonly RelayTarget[], opts: RelayOptions = NO_OPTIONS): RelayResult {
    // Before anything changes: thrown later, the request would count as relayed and get no 500.
    checkRelayOptions(opts);
    const socket = opts.socket === undefined ? this.edits.sendSocket : checkedSendSocket(this.env.own.listeners, opts.socket);
    const tx = this.transaction;
    if (tx === undefined) {
      const first = targets?.[0];
      if (first !== undefined) {
        this.edits.requestUri = first.uri;
        if (first.destination !== undefined) this.edits.destination = first.destination;
      }
      // The option holds for this relay only (as with a transaction); $fs stays as the script set it.
      const forced = this.edits.sendSocket;
      this.edits.sendSocket = socket;
      const ok = this.forwardStateless();
      this.edits.sendSocket = forced;
      return RelayResult.now({ result: ok ? 'answered' : 'refused', status: 0, ...(ok ? {} : { code: 'SIP_PROXY_NO_TARGET' as const }) });
    }
    this.disposition = 'relayed';
    // $du (setDestination) goes to every target without a destination of its own (a contact
    // behind NAT has its received address): given targets, it was silently ignored.
    const du = this.edits.destination;
    const ts = targets === undefined ? [du === undefined ? { uri: this.requestUri } : { uri: this.requestUri, destination: du }]
      : du === undefined ? targets : targets.map((t) => (t.destination === undefined ? { ...t, destination: du } : t));
    return tx.relay(ts, opts, socket);
  }

  /** Forwards without a transaction (§16.11). False when there was nowhere to send it. */
  forwardStateless(): boolean {
    this.disposition = 'stateless';
    // Stateless forwarding leaves the server transaction nothing to do.
    this.transaction?.forget();
    return forwardRequestStateless(this.env, this);
  }

  /** Nothing decided yet, or only provisionals sent by reply(): a final may still be sent from here. */
  private unanswered(): boolean {
    const d = this.disposition;
    return d === 'pending' || (d === 'replied' && this.transaction !== undefined && this.transaction.finalStatus === 0);
  }

  /** A final response sent without a transaction (as SipCore answers), back along the top Via (§18.2.2). */
  private replyStateless(status: number, reason: string, opts: ReplyOptions | undefined): boolean {
    // §17.1.1.3: an ACK is never answered; a provisional response without a transaction means nothing.
    if (this.msg.method === 'ACK' || status < 200 || this.disposition !== 'pending') return false;
    return this.sendStateless(status, reason, opts);
  }

  private sendStateless(status: number, reason: string, opts: ReplyOptions | undefined): boolean {
    this.disposition = 'replied';
    const res = buildResponseBytes(this.msg, status, reason, {
      prepared: this.env.serverLine, headers: opts?.headers, body: opts?.body, toTag: opts?.toTag,
      topVia: responseTopVia(this.msg.topVia, this.src),
    });
    this.env.counters.localReplies.inc();
    // §17.1.1.3: the ACK of a non-2xx to INVITE ends here. SipProxy absorbs it by the tag it derives;
    // any other tag (the request's own, §8.2.6.2, else the caller's choice) is remembered for it.
    if (status >= 300 && this.msg.method === 'INVITE' && this.transaction !== undefined) {
      const tag = this.msg.to.tag ?? opts?.toTag;
      if (tag !== undefined) this.env.statelessTags.remember(this.transaction.key, tag);
    }
    return this.env.out.send(responseTarget(this.msg.topVia, this.src), res);
  }

  /** Discards the request (OpenSIPS drop / end of route): no answer, no transaction kept. */
  drop(): void {
    if (this.disposition !== 'pending') return;
    this.disposition = 'dropped';
    this.transaction?.forget();
    this.env.counters.dropRequests.inc();
  }
}

/**
 * Headers the proxy writes itself (Via, Max-Forwards §16.6 steps 3 and 8; Content-Length) or that
 * name the transaction and dialog (From, To, Call-ID, CSeq, §8.1.1): adding one made a request
 * with two, removing one a request without (its next response then could not be matched).
 */
const MANAGED: ReadonlySet<HeaderId> = new Set<HeaderId>([H.via, H.from, H.to, H.callId, H.cseq, H.maxForwards, H.contentLength]);

function checkEditable(name: string, what: 'add' | 'remove'): void {
  if (name.length === 0) throw new TypeError(`cannot ${what} a header without a name`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f || TOKEN[c] !== 1) throw new TypeError(`header name ${JSON.stringify(name)} is not a token (RFC 3261 §25.1)`);
  }
  if (MANAGED.has(headerIdOf(name))) throw new TypeError(`cannot ${what} ${canonicalName(name)}: the proxy keeps it (RFC 3261 §16.6, §8.1.1)`);
}

/** A reply the script asks for: a status 100–699, a one-line reason, headers it may add (not those copied from the request). */
function checkReply(status: number, reason: string, opts: ReplyOptions | undefined): void {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new TypeError(`reply status ${String(status)} is not 100-699 (RFC 3261 §7.2)`);
  if (typeof reason !== 'string' || !isFieldValue(reason)) throw new TypeError('a reason phrase holds no CR, LF or control character (RFC 3261 §25.1)');
  for (const [name, value] of opts?.headers ?? []) {
    checkEditable(name, 'add');
    if (typeof value !== 'string' || !isFieldValue(value)) throw new TypeError(`header ${name}: CR, LF or a control character in the value`);
  }
  // The response builder asserts it (a programming error there); from a script it is the script's
  // error, seen before the request is marked answered (§25.1 tag-param = "tag" EQUAL token).
  const toTag = opts?.toTag;
  if (toTag !== undefined && (typeof toTag !== 'string' || !isToken(toTag))) {
    throw new TypeError(`toTag ${JSON.stringify(String(toTag).slice(0, 80))} is not a token (RFC 3261 §25.1)`);
  }
}

/** TEXT-UTF8 and LWS without line breaks: no CR, LF or other control character but HTAB. */
function isFieldValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

function checkedUri(uri: string, what: string): string {
  if (parseUri(uri) === undefined) throw new TypeError(`${what} ${JSON.stringify(uri.slice(0, 80))} is not a URI`);
  return uri;
}
