/**
 * The routing-script API: the only module a routes file imports (`import { defineRoutes } from
 * 'sipcluster'`). A routes module default-exports `defineRoutes({...})`; the node calls its
 * handlers with the message and a context. Handlers may be async: `await` a cluster reply, a
 * database or a timer without blocking other calls (DESIGN.md §4).
 */
import type { SipMessage } from '../sip/message/index.ts';

export type Request = SipMessage;
export type Response = SipMessage;

/**
 * Relay targets, options and outcomes are the proxy core's own types (src/sip/proxy): a target is
 * `{ uri, q?, destination?, path? }` (destination = $du, path = RFC 3327 Path as pre-loaded Route
 * set), options `{ parallel?, noReplyTimeoutMs?, timeoutMs?, recurse3xx?, maxRecursedTargets?, socket? }`
 * (noReplyTimeoutMs = OpenSIPS fr_timeout, timeoutMs = fr_inv_timeout / timer C, socket =
 * force_send_socket for this relay's branches), and the outcome
 * `{ result: 'answered' | 'failed' | 'cancelled' | 'refused', status, code? }`.
 */
export type { RelayOutcome, RelayTarget } from '../sip/proxy/index.ts';
import type { NatCheck, RelayOptions as ProxyRelayOptions, RelayOutcome, RelayTarget, SdpFixOptions } from '../sip/proxy/index.ts';

/**
 * relay()'s options: the proxy's (above) and the handlers of this relay's branch set — OpenSIPS
 * `t_on_reply("name")` and `t_on_failure("name")` armed before `t_relay()`:
 * - `onReply` runs for each response of the branches this relay starts (those that failover or 3xx
 *   recursion add in their place too), after the routes' `reply` handler (OpenSIPS runs the main
 *   onreply_route, then the armed one); an error in either does not keep the other from running.
 *   A later relay's `onReply` does not reach this relay's branches;
 * - `onFailure` runs instead of the routes' `failure` handler when this relay's branch set ends
 *   without a 2xx. A relay from it arms its own, or none: a later relay without `onFailure` goes
 *   back to the routes' `failure` handler (OpenSIPS: t_on_failure must be armed for each round).
 *   It is the transaction's: the last relay that armed one decides which runs.
 * A relay that starts no branch (refused, or throwing for a bad option) arms neither.
 * Both are ignored for a request forwarded without a transaction (an ACK of a 2xx, a CANCEL with
 * no response context here). Errors they throw go to the `error` handler, as any handler's.
 */
export interface RelayOptions<V extends VarShape = AnyVars> extends ProxyRelayOptions {
  readonly onReply?: (res: Response, ctx: ReplyContext<V>) => void | Promise<void>;
  readonly onFailure?: (best: Response | undefined, status: number, ctx: RequestContext<V>) => void | Promise<void>;
}
export type { NatCheck, SdpFixOptions } from '../sip/proxy/index.ts';
import type { EslEvent } from '../features/esl/index.ts';

/**
 * FreeSWITCH events (`esl:` in the node config, examples/esl-bridge): the event the local bridge
 * received (`eslEvent` handler), and the reader of the `ESL:<json>` cluster messages other nodes get
 * in `clusterRequest`.
 */
export type { EslBroadcast, EslEvent } from '../features/esl/index.ts';
export { ESL_PREFIX, parseEslBroadcast } from '../features/esl/index.ts';

/** A registered contact, as `ctx.location.lookup` returns it. */
export interface Contact {
  readonly uri: string;
  /** Where to send requests for it (the NAT source when the REGISTER came from elsewhere). */
  readonly destination: string | undefined;
  readonly q: number | undefined;
  readonly expiresInSec: number;
  readonly path: string | undefined;
  readonly instance: string | undefined;
}

export type AuthResult =
  | { readonly ok: true; readonly username: string; readonly realm: string }
  | { readonly ok: false; readonly code: string; readonly reason: string };

export type HeaderList = ReadonlyArray<readonly [string, string]>;

export interface ReplyOptions {
  readonly headers?: HeaderList;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  /**
   * OpenSIPS sl_send_reply: a final response sent without keeping the transaction — nothing stored,
   * nothing retransmitted, a retransmitted request runs the handler again, and the ACK of the
   * response is absorbed. For answers to floods and scanners (a 403 to a banned source, a 404 to
   * an unknown user), not for a request the script already relayed (false). After a stateful
   * provisional (`reply(180)`) the final is sent and the transaction forgotten with it, as OpenSIPS
   * sends sl_send_reply whatever the transaction. A provisional is refused (false).
   */
  readonly stateless?: boolean;
  /**
   * The To tag of a response to a request that has none (an initial request; an in-dialog one keeps
   * its own, and a 100 carries none). Default: one derived from the request, the same for each of
   * its responses; give a stable tag of your own (a B2B-style flow, a redirect whose dialog you
   * name) to every response of the request alike. The ACK of a stateless non-2xx with it is still
   * absorbed. Throws a TypeError for a tag that is not a token (RFC 3261 §25.1).
   */
  readonly toTag?: string;
}

/**
 * NAT traversal (OpenSIPS nathelper; docs/routing-script.md "NAT traversal"). REGISTER needs
 * neither: the registrar keeps a NATed contact's source as `received` and lookup() sends there.
 */
export interface NatApi {
  /**
   * OpenSIPS nat_uac_test: true when any named check says the sender is behind a NAT. Checks by
   * name (`'private-contact'`, `'diff-ip-src-via'`, `'private-via'`, `'private-sdp'`,
   * `'diff-port-src-via'`, `'diff-ip-src-contact'`, `'diff-port-src-contact'`, `'carrier-grade-nat'`)
   * or by OpenSIPS's old bit flags (`19`). Default: private-contact, diff-ip-src-via,
   * diff-port-src-via (`nat_uac_test(19)`) for a request, private-contact for a reply. Throws a
   * TypeError for an unknown check.
   */
  test(checks?: NatCheck | readonly NatCheck[] | number): boolean;
  /**
   * OpenSIPS fix_nated_contact([uri_params]): the first Contact URI's host:port becomes the packet's
   * source address and port, `uriParams` (e.g. `';nat=yes'`) appended to it, in the message that
   * is forwarded (the received one, `req`/`res`, is not changed). False when there is no SIP
   * Contact, or it was already edited (addContactAlias, or fixContact before: Kamailio refuses a
   * second Contact edit in either order). In the reply handler, only what it does before its first
   * `await` reaches the response.
   */
  fixContact(uriParams?: string): boolean;
  /**
   * OpenSIPS fix_nated_sdp: in the forwarded message's SDP (`application/sdp` bodies; multipart is
   * left alone), the address of each `c=` line (`rewrite-media-ip`), and with `origin: true` each
   * `o=` line (`rewrite-origin-ip`), becomes the packet's source or `address`; the address type
   * follows (IP4/IP6). 0.0.0.0 and :: stay unless `nullAddresses: true` (`rewrite-null-ips`). Media
   * still flows directly between the phones: this helps symmetric-RTP peers, it is not a media
   * relay (rtpproxy / rtpengine). False when there is nothing to change. Same `await` rule as
   * fixContact in the reply handler.
   */
  fixSdp(opts?: SdpFixOptions): boolean;
  /**
   * Kamailio add_contact_alias(): instead of rewriting the Contact (fixContact), its first URI keeps
   * the UA's host:port and gets `;alias=<ip>~<port>~<proto>` naming the packet's source (proto 1
   * UDP, 2 TCP; an IPv6 address in brackets). The peer's in-dialog requests then carry it in their
   * Request-URI, and handleRuriAlias() sends them there. False when nothing was added, which is
   * not an error: no SIP Contact or `*`, an alias already in it (a proxy nearer the UA added one),
   * the Contact already naming the source (IP, port and transport), or the Contact already
   * rewritten by fixContact (use one or the other). Same `await` rule as fixContact in the reply handler.
   */
  addContactAlias(): boolean;
}

/** ctx.nat of a request handler: the NAT helpers, and the in-dialog half of the alias. */
export interface RequestNatApi extends NatApi {
  /**
   * Kamailio handle_ruri_alias(): when the Request-URI (`ctx.requestUri`) has an `alias` parameter,
   * the request is sent to the address it names (`ctx.destination` becomes `sip:<ip>:<port>`, with
   * `;transport=` unless UDP; `sips:` for a sips Request-URI, which takes only a TLS or WSS alias)
   * and the Request-URI loses the parameter. False, nothing changed, when there is none or it is
   * malformed (not an IP address — 0.0.0.0 and :: are refused — port, or proto 1–6), and while a Route
   * remains after ours (that proxy is the next hop; Kamailio's config asks `!isdsturiset()`). The
   * alias comes from the peer: screen it as you would the Request-URI itself.
   */
  handleRuriAlias(): boolean;
}

/** The OpenSIPS return codes of cluster sends, by name: sent (1), disabled (-1), unreachable (-2), failed (-3). */
export type SendResult = 'sent' | 'disabled' | 'unreachable' | 'failed';

export interface ScriptLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * The per-transaction variables a routes module declares, by name and type (an interface or a type
 * literal): `defineRoutes<{ caller: string; attempts: number }>({...})`. VarShape itself, the
 * default, declares none: any name, and `ctx.vars` is a `Map<string, unknown>` (see Vars).
 */
// `any`, not `unknown`: an interface has no implicit index signature, and only `any` lets it through.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type VarShape = Record<string, any>;

/**
 * The default shape of Routes, the contexts and RelayOptions: any shape, declared or not, so a
 * `Routes<{ caller: string }>` is a `Routes` and a `RequestContext<{ caller: string }>` is a
 * `RequestContext` (what the node loads, what a helper function takes) with no cast. Not VarShape:
 * the contexts take `ctx.vars` typed and give it back (relay's onReply / onFailure), so their shape
 * is invariant and no declared shape would be assignable to the VarShape one. `Vars<any>` is the
 * Map<string, unknown> as for VarShape: no `any` reaches a handler's variables.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyVars = any;

/**
 * `ctx.vars` of a routes module that declared its variables: a Map whose `get` gives each name's
 * own type (or undefined) and whose `set` takes only that type; an undeclared name is a type error.
 * Types only: at run time it is the transaction's plain Map, as for an undeclared module. Iterating
 * it (`forEach`, `entries`) gives `unknown` values, as a `Map<string, unknown>` does.
 */
export interface TypedVars<V extends VarShape> extends Map<string, unknown> {
  get<K extends keyof V & string>(key: K): V[K] | undefined;
  set<K extends keyof V & string>(key: K, value: V[K]): this;
  has(key: keyof V & string): boolean;
  delete(key: keyof V & string): boolean;
}

/** `ctx.vars` for a shape: `Map<string, unknown>` when no names were declared (the default), else TypedVars. */
export type Vars<V extends VarShape = VarShape> = string extends keyof V ? Map<string, unknown> : TypedVars<V>;

/** What every handler gets: logging with the call's identity and per-transaction variables. */
export interface BaseContext<V extends VarShape = AnyVars> {
  readonly log: ScriptLogger;
  /** Per-transaction variables (OpenSIPS AVPs), shared by request, reply and failure handlers; typed by defineRoutes<V>. */
  readonly vars: Vars<V>;
  /** This node's id in the cluster, or undefined when the node is not in one. */
  readonly nodeId: number | undefined;
}

export interface RequestContext<V extends VarShape = AnyVars> extends BaseContext<V> {
  readonly req: Request;
  /** The packet's source (what NAT traversal and ban lists key on, never the Via). */
  readonly source: { readonly proto: 'udp' | 'tcp'; readonly address: string; readonly port: number };
  /**
   * Answers the request (statefully: retransmissions are answered from the transaction). False
   * when nothing was sent: a final response already went upstream (OpenSIPS t_reply's -1), or an
   * ACK. Throws a TypeError for a status outside 100–699, a reason with CR/LF, a header the
   * response copies from the request or a `toTag` that is not a token.
   */
  reply(status: number, reason?: string, opts?: ReplyOptions): boolean;
  /** Forwards statefully to the targets (default: the Request-URI / destination). Resolves when a final response went upstream or the failure handler ran. */
  relay(targets?: string | RelayTarget | Contact | ReadonlyArray<string | RelayTarget | Contact>, opts?: RelayOptions<V>): Promise<RelayOutcome>;
  /** Forwards without a transaction (OpenSIPS forward()). */
  forwardStateless(destination?: string): void;
  /** Drops the request on purpose: no answer (what a ban list in drop mode does). */
  drop(): void;
  recordRoute(): void;
  /** OpenSIPS loose_route(): true when the request carried a Route set to follow (in-dialog). */
  looseRoute(): boolean;
  /** $ru. Throws a TypeError for a string that is not a URI. */
  setRequestUri(uri: string): void;
  /** Next hop without touching the Request-URI ($du). Throws a TypeError for a string that is not a URI. */
  setDestination(uri: string): void;
  /** $ru as it stands: the Request-URI the request is relayed with, after setRequestUri (req.uriText stays the received one). */
  readonly requestUri: string;
  /** $du as it stands: what setDestination set, else undefined. */
  readonly destination: string | undefined;
  /**
   * OpenSIPS `force_send_socket()` / `$fs =`: the listener this request's later relays and stateless
   * forwards leave from, and that their Via and Record-Route name, as `proto:address[:port]`
   * (`'udp:192.0.2.1:5060'`, `'tcp:[2001:db8::1]:5060'`; without a port, the first listener of that
   * address). A destination that needs another transport gets that transport's listener on the
   * same address and port, else the usual one. `undefined` goes back to the usual choice (the
   * listener the request came in on, for UDP). Throws a TypeError for another form or an address
   * this node does not listen on. The relay option `socket` does the same for one relay.
   */
  setSendSocket(socket: string | undefined): void;
  /** $fs as it stands: `proto:address:port` of the forced listener, else undefined. */
  readonly sendSocket: string | undefined;
  /**
   * Adds a header to the forwarded request. Throws a TypeError for a name that is not a token, a
   * value with CR, LF or another control character, or a header the proxy keeps itself (Via, From,
   * To, Call-ID, CSeq, Max-Forwards, Content-Length).
   */
  addHeader(name: string, value: string): void;
  /** Removes every line of a header from the forwarded request; the headers addHeader refuses are refused here too. */
  removeHeader(name: string): void;
  /** True when this request has a To tag (in-dialog). */
  readonly inDialog: boolean;
  /**
   * OpenSIPS t_was_cancelled(): the caller CANCELled this INVITE: answered 487 at once when not yet
   * relayed, else its branches are cancelled and their final (the callee's 487, or a 2xx that raced
   * the CANCEL) goes up (RFC 3261 §16.10).
   * A handler that awaited something (a cluster query, a database) can stop here; relay() after it
   * starts nothing and resolves `{ result: 'cancelled' }`. The failure handler does not run for a
   * cancelled INVITE (OpenSIPS runs failure_route with t_was_cancelled() true).
   */
  readonly cancelled: boolean;
  /** NAT detection and Contact fixing for this request (OpenSIPS nat_uac_test / fix_nated_contact, Kamailio's alias). */
  readonly nat: RequestNatApi;
  readonly registrar: {
    /** Processes a REGISTER (RFC 3261 §10.3) and answers it. Resolves with the status sent. */
    save(): Promise<number>;
    isRegistered(aor: string): boolean;
    /** True when the AoR is a subscriber (a row in the `subscriber` table), registered or not. */
    userExists(aorOrUri: string): Promise<boolean>;
  };
  readonly location: {
    /** Current contacts of an AoR (`user@domain`, or a SIP URI), best q first. */
    lookup(aorOrUri: string): Contact[];
  };
  readonly auth: {
    /** Checks the request's credentials (Authorization for REGISTER, Proxy-Authorization otherwise). */
    check(realm?: string): Promise<AuthResult>;
    /** Sends 401 (REGISTER) or 407 (other requests) with a fresh challenge. */
    challenge(realm?: string, stale?: boolean): void;
    /** check() and, when it fails, challenge() (or 400/403): resolves true when the request may go on; always true for ACK and CANCEL, which cannot be challenged (OpenSIPS www/proxy_authorize). */
    authorize(realm?: string): Promise<boolean>;
    /**
     * OpenSIPS/Kamailio consume_credentials(): the Authorization (REGISTER) or Proxy-Authorization
     * line that the last successful check() or authorize() of this request verified is left out of
     * the forwarded request — every branch relayed afterwards, failover and failure-handler relays
     * included — so the next hop does not get credentials meant for us. Other lines stay: another
     * realm's credentials are not ours to remove (RFC 3261 §22.3). False, and nothing removed, when
     * no check of this request succeeded (none made, all failed, or authorize() let an ACK or
     * CANCEL on unchecked), or when the verified line was already consumed.
     */
    consumeCredentials(): boolean;
  };
  readonly cluster: ClusterApi;
  /** The node's ban list (`banList:` in the node config); `enabled` is false without one. */
  readonly bans: BanApi;
  /** Call accounting (`cdr:` in the node config); `enabled` is false without it. */
  readonly cdr: CdrApi;
  /** The node's replicated key/value maps (`maps:` in the node config). */
  readonly maps: MapsApi;
}

/**
 * Call accounting, OpenSIPS `do_accounting("db", "cdr")` for sipcluster: the script turns it on
 * per call; the node follows the dialog (2xx → BYE or dialog timeout) and delivers one CDR to the
 * writer node's `acc` table (examples/central-cdr).
 */
export interface CdrApi {
  readonly enabled: boolean;
  /**
   * Accounts this call: only for an initial INVITE (no To tag). False when accounting is off, the
   * request is not an initial INVITE, or the call cannot be accounted (too many calls followed, a
   * Call-ID or tag longer than acc's 64 characters; logged at warn). Calling it twice is harmless.
   */
  account(): boolean;
}

/** A ban as `ctx.bans.list()` shows it. */
export interface BanInfo {
  /** The banned packet source address (never a Via value). */
  readonly address: string;
  readonly reason: string;
  readonly userAgent: string;
  readonly expiresInMs: number;
  /** The node that detected the attacker; undefined for a ban set by hand. */
  readonly originNodeId: number | undefined;
}

/**
 * The node's ban list. The node itself counts failed REGISTERs (401 to credentials, 403, 404) per
 * source and bans at the configured threshold, then calls the script's `banDetected` handler;
 * sharing the ban with the cluster is the script's (examples/ban-list).
 */
export interface BanApi {
  readonly enabled: boolean;
  /**
   * Bans (or extends the ban of) an address for `banMs`; the later expiry wins. False when the
   * address is trusted, a cluster peer, not an IP address, or the ban list is off.
   */
  ban(address: string, opts: { banMs: number; reason?: string; userAgent?: string; originNodeId?: number }): boolean;
  unban(address: string): boolean;
  isBanned(address: string): boolean;
  /** Live bans, longest remaining first. */
  list(): BanInfo[];
  /** Counts one failure the script itself judged (e.g. a bad INVITE credential); true when it made a ban. */
  recordFailure(address: string, userAgent?: string): boolean;
}

/** This node detected an attacker and banned it locally (the script shares it with the cluster). */
export interface BanDetectedEvent {
  readonly address: string;
  readonly userAgent: string;
  readonly banMs: number;
  readonly failures: number;
  readonly reason: string;
}

/** An entry of a replicated map as the script sees it. */
export interface MapEntryInfo {
  readonly key: string;
  readonly value: string;
  /** The node that owns the entry (the only one that refreshes or releases it). */
  readonly ownerNodeId: number;
  /** True when this node is the owner. */
  readonly mine: boolean;
  readonly expiresInMs: number;
}

/**
 * One replicated key/value map (`maps:` in the node config; docs/routing-script.md "Replicated
 * maps"). Each entry has an owner node and an expiry: the owner claims, refreshes (automatically,
 * every TTL/3, until it releases) and releases; the other nodes hold read-only copies and drop
 * them when they lapse or the owner goes Down. Crossing claims: the earlier claim wins, then the
 * lower node id, on every node alike.
 */
export interface SharedMapApi {
  readonly name: string;
  readonly defaultTtlMs: number;
  /** The live entry of `key`, from any owner. */
  get(key: string): MapEntryInfo | undefined;
  /**
   * Get-or-claim: the entry of the node that owns `key` (known here, or learned by asking the
   * cluster first), else a new entry owned by this node with `value`, announced to every node.
   * On a key this node owns: a refresh (and the new value). Keys: 1–128 printable characters
   * without `:`; values: one line of at most 512 characters (else it throws FEATURE_MAP_INVALID_KEY/_VALUE).
   */
  claim(key: string, value: string, opts?: { ttlMs?: number; refresh?: boolean; ask?: boolean }): Promise<MapEntryInfo>;
  /** Gives up a key this node owns, on every node. False when this node does not own it. */
  release(key: string): boolean;
  /** Live entries, own and learned. */
  list(): MapEntryInfo[];
}

export interface MapsApi {
  /** The names of the configured maps. */
  readonly names: readonly string[];
  /** A configured map; throws SCRIPT_NO_MAP for a name that is not in `maps:`. */
  get(name: string): SharedMapApi;
}

/** What cluster event handlers get: the cluster, and read access to the location service. */
export interface EventContext extends BaseContext {
  readonly cluster: ClusterApi;
  readonly location: RequestContext['location'];
  readonly registrar: Pick<RequestContext['registrar'], 'isRegistered' | 'userExists'>;
  readonly bans: BanApi;
  readonly maps: MapsApi;
}

export interface ReplyContext<V extends VarShape = AnyVars> extends BaseContext<V> {
  readonly req: Request;
  /** The branch this response came on (OpenSIPS $T_branch_idx, the branch's R-URI and where it went). */
  readonly branch: ReplyBranch;
  /** Where this response came from (the packet's source). */
  readonly source: { readonly proto: 'udp' | 'tcp'; readonly address: string; readonly port: number } | undefined;
  /** NAT tests on this response and fix_nated_contact of it before it goes upstream. */
  readonly nat: NatApi;
}

export interface ReplyBranch {
  /** 0-based, in creation order over the transaction (branches relayed from `failure` continue the count). */
  readonly index: number;
  /** The branch's Request-URI. */
  readonly uri: string;
  /** Where it was sent, once resolved. */
  readonly target: { readonly proto: 'udp' | 'tcp'; readonly address: string; readonly port: number } | undefined;
}

/** Events of the talking cluster (OpenSIPS E_CLUSTERER_REQ_RECEIVED / E_CLUSTERER_RPL_RECEIVED). */
export interface ClusterMessageEvent {
  readonly clusterId: number;
  readonly srcId: number;
  readonly msg: string;
  readonly tag: string;
}

export interface NodeStateEvent {
  readonly clusterId: number;
  readonly nodeId: number;
  readonly state: 'up' | 'down';
}

export interface ClusterRequestOptions {
  /** Unicast to this node instead of broadcasting. */
  readonly nodeId?: number;
  readonly timeoutMs: number;
  /** 'first' (default): resolve with the first reply; 'all': every reply until the deadline or until every reachable node answered. */
  readonly collect?: 'first' | 'all';
  /** OpenSIPS 3.6 include_self: deliver a broadcast to this node's own handler too. */
  readonly includeSelf?: boolean;
}

/** Replies collected by `request(…, { collect: 'all' })`; `complete` when every reachable node answered in time. */
/**
 * What `request(…, { collect: 'all' })` collected. `complete`: every node the request reached
 * answered before the deadline (true when there was nobody to ask). `result`: how the sending went,
 * as the send methods name it — `unreachable` when no node could be asked at all.
 */
export type ClusterReplies = ClusterMessageEvent[] & { readonly complete: boolean; readonly result: SendResult };

export interface ClusterApi {
  /** This node's id and SIP address (`cluster.sipAddress`), to put in answers. */
  readonly nodeId: number;
  readonly sipAddress: string | undefined;
  broadcastReq(clusterId: number, msg: string, opts?: { includeSelf?: boolean }): { tag: string; result: SendResult };
  sendReq(clusterId: number, nodeId: number, msg: string): { tag: string; result: SendResult };
  sendRpl(clusterId: number, nodeId: number, msg: string, tag: string): { tag: string; result: SendResult };
  request(clusterId: number, msg: string, opts: ClusterRequestOptions & { collect?: 'first' }): Promise<ClusterMessageEvent | null>;
  request(clusterId: number, msg: string, opts: ClusterRequestOptions & { collect: 'all' }): Promise<ClusterReplies>;
}

/**
 * A routes module's handlers. `V` declares its per-transaction variables (VarShape): the request,
 * reply, failure and error handlers, and a relay's onReply / onFailure, see them typed. Event
 * handlers get a fresh, undeclared map per event.
 */
export interface Routes<V extends VarShape = AnyVars> {
  /** Every request, initial and in-dialog (OpenSIPS route{}). */
  request(req: Request, ctx: RequestContext<V>): void | Promise<void>;
  /**
   * Each response a relayed request's branch receives (onreply_route). After an INVITE's 2xx went
   * up, a retransmitted 2xx is forwarded by the transaction layer without calling this again.
   */
  reply?(res: Response, ctx: ReplyContext<V>): void | Promise<void>;
  /**
   * A branch set ended without 2xx (failure_route): relay again to serial-fork or fail over, or let
   * the best response go up. A relay from here calls this again if its branch set fails too (as
   * t_on_failure before t_relay in OpenSIPS; at most 16 rounds); awaiting that relay is fine.
   */
  failure?(best: Response | undefined, status: number, ctx: RequestContext<V>): void | Promise<void>;
  /** A handler threw: the request gets 500 unless this handler answers it. */
  error?(err: unknown, ctx: RequestContext<V> | undefined): void | Promise<void>;
  /** E_CLUSTERER_REQ_RECEIVED: answer with ctx.cluster.sendRpl(ev.clusterId, ev.srcId, text, ev.tag). */
  clusterRequest?(ev: ClusterMessageEvent, ctx: EventContext): void | Promise<void>;
  /** E_CLUSTERER_RPL_RECEIVED for replies no request() waits for (unsolicited, or after its deadline). */
  clusterReply?(ev: ClusterMessageEvent, ctx: EventContext): void | Promise<void>;
  nodeStateChanged?(ev: NodeStateEvent, ctx: EventContext): void | Promise<void>;
  /** This node banned an attacker it detected (`banList:`); broadcast it so every node bans it. */
  banDetected?(ev: BanDetectedEvent, ctx: EventContext): void | Promise<void>;
  /**
   * The node's ESL bridge received one of the chosen FreeSWITCH events (`esl:`). Return false (or
   * resolve to false) to keep it from the cluster; anything else lets the node broadcast it as
   * `ESL:<json>`. Events are broadcast in the order FreeSWITCH sent them, even when this is async.
   */
  eslEvent?(ev: EslEvent, ctx: EventContext): boolean | void | Promise<boolean | void>;
}

/**
 * Marks a routes object; it is only an identity function with a type, so editors check handlers.
 * `defineRoutes<{ caller: string; attempts: number }>({...})` declares the per-transaction
 * variables: `ctx.vars.get('caller')` is then `string | undefined` and `ctx.vars.set('attempts', 'x')`
 * a type error. Without the type argument, `ctx.vars` is a `Map<string, unknown>`.
 */
export function defineRoutes<V extends VarShape = VarShape, T extends Routes<V> = Routes<V>>(routes: T): T {
  return routes;
}
