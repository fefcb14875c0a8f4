/**
 * Types of the stateful proxy core (RFC 3261 §16) that the routing script (src/script) and the
 * composition root (src/app) see: the node's listening addresses, the DNS port, relay targets and
 * outcomes, and the hooks a script installs on a request.
 */
import type { SipMessage } from '../message/index.ts';
import type { SipProto, SipSource, SipTarget } from './sip-source.ts';

/** One socket the node listens on, and what it advertises in Via/Record-Route (NAT, public IP). */
export interface ProxyListener {
  readonly proto: SipProto;
  readonly address: string;
  readonly port: number;
  readonly advertisedAddress?: string;
  readonly advertisedPort?: number;
}

/** Another name the node answers to (a domain name, a VIP), for §16.4 "is this Route ours". */
export interface ProxyAlias {
  readonly host: string;
  /** Undefined matches any port. */
  readonly port?: number;
}

/**
 * RFC 3263 §4: the targets to try, in order, for a host name (numeric hosts never reach it).
 * `port` is undefined when the URI had none (SRV then chooses it); `proto` is undefined when the URI
 * had no `transport` parameter (NAPTR then chooses it). The proxy fails over along the list (§4.3).
 * src/app's implementation runs locateServer() (server-location.ts) over node:dns.
 */
export interface Resolver {
  resolve(host: string, port: number | undefined, proto: SipProto | undefined): Promise<readonly SipTarget[]>;
}

/** One destination of a relay: the Request-URI of the branch, its q-value, an explicit next hop ($du). */
export interface RelayTarget {
  readonly uri: string;
  /** 0..1, default 1 (RFC 3261 §20.10 Contact q). */
  readonly q?: number;
  /** Next hop URI overriding Route and Request-URI for sending ($du / outbound proxy). */
  readonly destination?: string;
  /**
   * RFC 3327 Path of a registered contact (the comma-joined values `Contact.path` holds): they
   * become the branch's pre-loaded Route set and the first one its next hop (§5.3, OpenSIPS lookup()).
   */
  readonly path?: string;
}

export interface RelayOptions {
  /** Every target at once, whatever its q (default: groups of equal q, highest first, §16.6). */
  readonly parallel?: boolean;
  /**
   * Timer C of this relay's INVITE branches (RFC 3261 §16.6 step 11, §16.8; OpenSIPS
   * `fr_inv_timeout` / `$T_fr_inv_timeout`): the wait for a final response, started with the
   * branch and again at each provisional response other than 100 (§16.7 step 2). When it fires the
   * branch is CANCELled (once it had a provisional) and ends as 408. Default: the node's
   * `proxy.inviteTimeoutMs` (181 s). Positive and finite, else relay() throws a TypeError; unlike
   * the config key it may be 3 minutes or less, as the script's deliberate choice.
   */
  readonly timeoutMs?: number;
  /**
   * OpenSIPS `fr_timeout` / `$T_fr_timeout`: how long a branch waits for a reply before it ends as
   * a local 408 (and the failure handler runs, or the next target of a resolved name is tried,
   * RFC 3263 §4.3). INVITE: until its first response of any kind, a 100 included (after one, timer
   * C alone bounds the wait); no CANCEL is sent, RFC 3261 §9.1 forbids one before a provisional.
   * Non-INVITE: until its final response; a provisional does not stop it. It shortens timer B/F
   * (64·T1, 32 s): a longer value changes nothing. Default: the node's `proxy.noReplyTimeoutMs`,
   * unset = timer B/F. Positive and finite, else relay() throws a TypeError.
   */
  readonly noReplyTimeoutMs?: number;
  /**
   * RFC 3261 §16.5 / §16.7 step 4: a 3xx on a branch adds its Contacts to the target set instead of
   * going upstream (best q first, never a target already tried). Off by default, as in OpenSIPS and
   * Kamailio where the script must ask for it.
   */
  readonly recurse3xx?: boolean;
  /** How many Contacts 3xx recursion may add to this transaction (default 8, at most 32). */
  readonly maxRecursedTargets?: number;
  /**
   * OpenSIPS `force_send_socket()` for this relay's branches only: `proto:address[:port]` of one of
   * this node's listeners (send-socket.ts), which they leave from and which their Via and
   * Record-Route name. Overrides the request's `setSendSocket()`; a branch whose destination needs
   * another transport uses that transport's listener on the same address and port, else the usual
   * one. Not one of ours, or not of that form: relay() throws a TypeError.
   */
  readonly socket?: string;
}

/**
 * How a request's transaction ended, from the script's side.
 * - `answered`: a 2xx went upstream;
 * - `failed`: every branch ended without a 2xx and the best response went upstream;
 * - `cancelled`: the caller CANCELled (487 upstream);
 * - `refused`: this relay call started no branch (`code` says why).
 */
export interface RelayOutcome {
  readonly result: 'answered' | 'failed' | 'cancelled' | 'refused';
  /** The final status sent upstream (0 when none was sent, e.g. refused before any answer). */
  readonly status: number;
  readonly code?: ProxyErrorCode;
}

/** Stable codes of the proxy (docs/reference/errors.md, "SIP proxy"). */
export type ProxyErrorCode =
  | 'SIP_PROXY_ALREADY_ANSWERED'
  | 'SIP_PROXY_NO_TARGET'
  | 'SIP_PROXY_AFTER_6XX'
  | 'SIP_PROXY_UNROUTABLE_URI'
  | 'SIP_PROXY_UNRESOLVABLE'
  | 'SIP_PROXY_NO_LISTENER'
  | 'SIP_PROXY_SCRIPT_ERROR';

/** One client branch as the script sees it in its reply hook. */
export interface BranchInfo {
  /** 0-based, in creation order over the whole transaction (failure-hook branches continue the count). */
  readonly index: number;
  /** Request-URI of the branch. */
  readonly uri: string;
  readonly target: SipTarget | undefined;
  /** The final status of the branch, 0 while pending. Local 408/503 included. */
  readonly status: number;
  /** Where the branch's last response came from (undefined before one did). */
  readonly responseSource: SipSource | undefined;
}

/** The response context's best final response (§16.7 step 6), given to the failure hook. */
export interface BestResponse {
  readonly status: number;
  readonly reason: string;
  /** The received response, undefined for one generated here (408 timeout, 503 transport error). */
  readonly msg: SipMessage | undefined;
  readonly branch: BranchInfo | undefined;
}

export interface ReplyOptions {
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  // `| undefined` on body and toTag: the script's reply passes one object of one shape (request-context.ts).
  readonly body?: Buffer | string | undefined;
  /**
   * To tag of a response that has none in its request. Default: derived from the request (deriveToTag).
   * The ACK of a stateless non-2xx with a chosen tag is still absorbed, for a few seconds
   * (stateless-reply-tags.ts). Not a token (RFC 3261 §25.1): reply() throws a TypeError.
   */
  readonly toTag?: string | undefined;
  /**
   * OpenSIPS sl_send_reply: a final response sent without a transaction, which is forgotten. Nothing
   * is kept or retransmitted (an INVITE's 4xx is not resent until an ACK that a scanner never
   * sends: 10 datagrams toward a forged source over 32 s); a retransmitted request runs the script
   * again, and the ACK of such a response is absorbed (SipProxy, as OpenSIPS sl_filter_ACK).
   */
  readonly stateless?: boolean;
}
