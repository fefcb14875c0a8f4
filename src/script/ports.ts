/**
 * What the script host needs from the node, as interfaces: the per-request object of the proxy
 * core, the registrar and the cluster. src/app binds the real parts to these; tests bind fakes.
 */
import type { SipMessage } from '../sip/message/index.ts';
import type { ReplyOptions, SdpFixOptions } from '../sip/proxy/index.ts';
import type { AuthResult, ClusterMessageEvent, Contact, RelayOptions, RelayOutcome, RelayTarget, ReplyBranch, SendResult } from './api.ts';

export interface ScriptSource {
  readonly proto: 'udp' | 'tcp';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** One response as the reply handler sees it: where it came from, and the edit it may make before it goes upstream. */
export interface ReplyPort {
  /** The response's packet source; undefined only where the proxy was not told (unit tests). */
  readonly source: { readonly proto: 'udp' | 'tcp'; readonly address: string; readonly port: number } | undefined;
  /** OpenSIPS fix_nated_contact in onreply_route; false when the response has no SIP Contact. */
  fixContact(uriParams?: string): boolean;
  /** OpenSIPS fix_nated_sdp in onreply_route; false when there is no SDP or nothing to change. */
  fixSdp(opts?: SdpFixOptions): boolean;
  /** Kamailio add_contact_alias in onreply_route; false when nothing was added. */
  addContactAlias(): boolean;
}

/** The script's reply and failure handlers as the proxy runs them (OpenSIPS onreply_route / failure_route). */
export interface ScriptHooks {
  onReply?: (res: SipMessage, branch: ReplyBranch, reply: ReplyPort) => void;
  onFailure?: (best: SipMessage | undefined, status: number) => Promise<void> | void;
}

/** relay()'s answer: awaitable, and `settled` when the outcome was known at once (the relay started no branch). */
export type RelayAnswer = Promise<RelayOutcome> & { readonly settled?: RelayOutcome | undefined };

/** The proxy core's view of one request (src/sip/proxy). */
export interface ProxyRequestPort {
  readonly msg: SipMessage;
  readonly src: ScriptSource;
  readonly vars: Map<string, unknown>;
  reply(status: number, reason: string, opts?: ReplyOptions): boolean;
  /** reply() for an answer the node built (registrar, digest challenge): not checked again (ProxyRequest.replyFromNode). */
  replyFromNode(status: number, reason: string, opts?: ReplyOptions): boolean;
  /**
   * Awaitable; a promise is only made when awaited (the proxy's RelayResult), so sync scripts pay
   * nothing. `hooks`: handlers armed with this relay (setHooks), in place before its first branch
   * starts (one that fails at once runs them), and put back as they were when the relay starts
   * none — refused, or throwing for a bad option (OpenSIPS arms t_on_* for the t_relay that follows).
   */
  relay(targets: readonly RelayTarget[] | undefined, opts: RelayOptions, hooks?: ScriptHooks): RelayAnswer;
  forwardStateless(destination?: string): void;
  drop(): void;
  recordRoute(): void;
  looseRoute(): boolean;
  setRequestUri(uri: string): void;
  setDestination(uri: string): void;
  /** $fs (OpenSIPS force_send_socket): `proto:address[:port]` of one of our listeners, undefined for none. */
  setSendSocket(socket: string | undefined): void;
  /** $ru, $du and $fs as they stand after the script's edits. */
  readonly requestUri: string;
  readonly destination: string | undefined;
  readonly sendSocket: string | undefined;
  addHeader(name: string, value: string): void;
  removeHeader(name: string): void;
  /** Removes one header line of the received message (msg.indexOf's index) from the forwarded request; its other lines stay. */
  removeHeaderLine(index: number): void;
  /** The caller CANCELled this INVITE (OpenSIPS t_was_cancelled()). */
  readonly cancelled: boolean;
  /** OpenSIPS fix_nated_contact on the forwarded request; false when it has no SIP Contact. */
  fixNatedContact(uriParams?: string): boolean;
  /** OpenSIPS fix_nated_sdp on the forwarded request; false when there is no SDP or nothing to change. */
  fixNatedSdp(opts?: SdpFixOptions): boolean;
  /** Kamailio add_contact_alias on the forwarded request; false when nothing was added. */
  addContactAlias(): boolean;
  /** Kamailio handle_ruri_alias: $du from the Request-URI's alias, which it loses; false when there is none or it is malformed. */
  handleRuriAlias(): boolean;
  /**
   * The script's reply and failure handlers, armed for the next relay (OpenSIPS t_on_reply /
   * t_on_failure before t_relay): the reply handler stays with the branches that relay makes
   * (those of an earlier relay keep theirs); the failure handler is the transaction's, the last armed.
   */
  setHooks(hooks: ScriptHooks): void;
  /** True once a final response was sent or the request was relayed/dropped. */
  readonly handled: boolean;
  /** Sees every response the request's branches receive, next to the script's reply hook (call accounting). */
  observeReplies(fn: (res: SipMessage) => void): void;
}

/** Call accounting (`cdr:`); absent when the node has none. */
export interface CdrPort {
  /** Starts following the call of this initial INVITE; false (and why, in the log) when it cannot. */
  account(pr: ProxyRequestPort): boolean;
}

/** The registrar's answer to a REGISTER (its `headers` double as the reply's options). */
export interface SaveReply {
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export interface RegistrarPort {
  /**
   * Runs §10.3 processing: the reply to send, at once when nothing is being written (no
   * persistence, write-back), else a promise that resolves once the write-through write settled.
   */
  save(req: SipMessage, src: ScriptSource): SaveReply | Promise<SaveReply>;
  lookup(aor: string): Contact[];
  isRegistered(aor: string): boolean;
  userExists(aor: string): Promise<boolean>;
  aorOf(aorOrUri: string): string;
}

/**
 * A digest check's verdict and, on failure, what the script's authorize() answers; on success,
 * which credentials verified, for consumeCredentials: the header, and which of its lines (0: the
 * first with that name) — one credentials value a line (RFC 3261 §20.28).
 */
export type AuthCheck = AuthResult & {
  action?: 'challenge' | 'stale' | 'bad-request';
  header?: 'Authorization' | 'Proxy-Authorization';
  nth?: number;
};

export interface AuthPort {
  /** The verdict on the request's credentials; synchronous when there is nothing to look up (no credentials). */
  check(req: SipMessage, realm: string): AuthCheck | Promise<AuthCheck>;
  challenge(kind: 'www' | 'proxy', realm: string, stale: boolean): { status: number; reason: string; headers: ReadonlyArray<readonly [string, string]> };
  /** Realm to use when the script gives none (config `auth.realm`, else the From/To domain). */
  defaultRealm(req: SipMessage): string;
}

/** The talking cluster (issue 7); absent when the node is not in a cluster. */
export interface ClusterPort {
  readonly nodeId: number;
  readonly sipAddress: string | undefined;
  broadcastReq(clusterId: number, msg: string, includeSelf: boolean): { tag: string; result: SendResult };
  sendReq(clusterId: number, nodeId: number, msg: string): { tag: string; result: SendResult };
  sendRpl(clusterId: number, nodeId: number, msg: string, tag: string): { tag: string; result: SendResult };
  request(clusterId: number, msg: string, opts: { nodeId?: number; timeoutMs: number; collect: 'first' | 'all'; includeSelf?: boolean }): Promise<{ replies: ClusterMessageEvent[]; complete: boolean; result: SendResult }>;
}
