import type { SipMessage } from '../sip/message/index.ts';
import { DEFAULT_NAT_CHECKS, natChecksOf, natTest, type NatCheck, type SdpFixOptions } from '../sip/proxy/index.ts';
import type {
  AuthResult, BanApi, CdrApi, ClusterApi, Contact, MapsApi, NatApi, RelayOptions, RequestNatApi, RelayOutcome, RelayTarget, ReplyOptions, RequestContext, Routes, ScriptLogger,
} from './api.ts';
import { NO_BANS } from './ban-api.ts';
import { cdrApiOf, NO_CDR } from './cdr-api.ts';
import { clusterApiOf } from './cluster-api.ts';
import { NO_MAPS } from './map-api.ts';
import type { AuthCheck, AuthPort, CdrPort, ClusterPort, ProxyRequestPort, RegistrarPort, ReplyPort, RelayAnswer, SaveReply, ScriptHooks } from './ports.ts';

export interface ContextDeps {
  readonly registrar: RegistrarPort;
  readonly auth: AuthPort;
  readonly cluster: ClusterPort | undefined;
  /** The node's ban list (`banList:`, built once with banApiOf), when configured. */
  readonly bans?: BanApi | undefined;
  /** Call accounting (`cdr:`), when configured. */
  readonly cdr?: CdrPort | undefined;
  /** The node's replicated maps (`maps:`, built once with mapsApiOf), when configured. */
  readonly maps?: MapsApi | undefined;
}

type TargetArg = string | RelayTarget | Contact;

/**
 * Makes the reply and failure handlers of one relay's branch set (RelayOptions onReply and
 * onFailure; undefined for both: the routes' own again), which the relay arms. The script host
 * implements it: it owns the routes a transaction started with and the error handling every handler gets.
 */
export interface RelayHookArmer {
  relayHooks(ctx: ScriptRequestContext, onReply: RelayOptions['onReply'], onFailure: RelayOptions['onFailure']): ScriptHooks;
}

/**
 * A relay target from what a script passes: a URI, a RelayTarget, or a Contact from lookup(). A
 * Contact with a Path is sent along it (RFC 3327 §5.3): its received address is then the last
 * proxy's, which the Path already names, so it is not used as destination (OpenSIPS lookup()
 * without path_use_received does the same).
 */
export function toTarget(t: TargetArg): RelayTarget {
  if (typeof t === 'string') return { uri: t };
  const out: { uri: string; q?: number; destination?: string; path?: string } = { uri: t.uri };
  if (t.q !== undefined) out.q = t.q;
  if (t.path !== undefined && t.path !== '') out.path = t.path;
  else if (t.destination !== undefined) out.destination = t.destination;
  return out;
}

/**
 * The `ctx` a request handler receives: thin methods over the proxy's per-request object, the
 * registrar, digest auth and the cluster. `dropped` records an explicit drop so the host does not
 * answer 500 for a request the script meant to ignore.
 */
export class ScriptRequestContext implements RequestContext {
  dropped = false;
  // The facades below are built on first use: most requests touch one of them or none, and a
  // request must not pay for closures it never calls (DESIGN.md §8).
  private registrarApi: RequestContext['registrar'] | undefined;
  private locationApi: RequestContext['location'] | undefined;
  private authApi: RequestContext['auth'] | undefined;
  private clusterApi: ClusterApi | undefined;
  private natApi: RequestNatApi | undefined;
  /** The last relay armed handlers of its own (RelayOptions onReply/onFailure). */
  private relayHooksArmed = false;

  constructor(
    readonly pr: ProxyRequestPort, private readonly deps: ContextDeps, readonly log: ScriptLogger,
    private readonly armer?: RelayHookArmer,
    /** The routes this request started with (a reload does not change a transaction's handlers). */
    readonly routes?: Routes,
  ) {}

  get source(): RequestContext['source'] {
    const s = this.pr.src;
    return { proto: s.proto, address: s.remoteAddress, port: s.remotePort };
  }

  get registrar(): RequestContext['registrar'] {
    this.registrarApi ??= new RegistrarFacade(this.deps.registrar, this.pr);
    return this.registrarApi;
  }

  get location(): RequestContext['location'] {
    this.locationApi ??= new LocationFacade(this.deps.registrar);
    return this.locationApi;
  }

  get auth(): RequestContext['auth'] {
    this.authApi ??= new AuthFacade(this);
    return this.authApi;
  }

  get cluster(): ClusterApi {
    this.clusterApi ??= clusterApiOf(this.deps.cluster);
    return this.clusterApi;
  }

  get nat(): RequestNatApi {
    this.natApi ??= new RequestNat(this.pr);
    return this.natApi;
  }

  get bans(): BanApi {
    return this.deps.bans ?? NO_BANS;
  }

  get cdr(): CdrApi {
    const port = this.deps.cdr;
    return port === undefined ? NO_CDR : cdrApiOf(port, this.pr);
  }

  get maps(): MapsApi {
    return this.deps.maps ?? NO_MAPS;
  }

  get req(): SipMessage {
    return this.pr.msg;
  }

  get vars(): Map<string, unknown> {
    return this.pr.vars;
  }

  get nodeId(): number | undefined {
    return this.deps.cluster?.nodeId;
  }

  get cancelled(): boolean {
    return this.pr.cancelled;
  }

  get inDialog(): boolean {
    return this.pr.msg.to.tag !== undefined;
  }

  reply(status: number, reason?: string, opts: ReplyOptions = {}): boolean {
    const headers = [...(opts.headers ?? [])];
    if (opts.contentType !== undefined) headers.push(['Content-Type', opts.contentType]);
    const stateless = opts.stateless === true;
    return this.pr.reply(status, reason ?? defaultReason(status), { headers, body: opts.body, stateless, toTag: opts.toTag });
  }

  get requestUri(): string {
    return this.pr.requestUri;
  }

  get destination(): string | undefined {
    return this.pr.destination;
  }

  get sendSocket(): string | undefined {
    return this.pr.sendSocket;
  }

  relay(targets?: TargetArg | readonly TargetArg[], opts: RelayOptions = {}): Promise<RelayOutcome> {
    let list: RelayTarget[] | undefined;
    if (targets !== undefined) {
      const given = Array.isArray(targets) ? (targets as readonly TargetArg[]) : [targets as TargetArg];
      // Refused before anything is armed: the handlers stay those of the relays before.
      if (given.length === 0) return Promise.resolve({ result: 'refused', status: 0, code: 'SIP_PROXY_NO_TARGET' });
      list = given.map(toTarget);
    }
    const own = opts.onReply !== undefined || opts.onFailure !== undefined;
    // This relay's handlers, or the routes' again after a relay that had its own.
    if (!(own || this.relayHooksArmed) || this.armer === undefined) return this.pr.relay(list, opts);
    // Set before the relay: one whose branch fails at once runs the failure handler inside it, and
    // a relay from there must see what this one armed. A relay that starts nothing (refused, or a
    // bad option thrown) arms nothing: the port puts the handlers back, and this goes back too.
    const armedBefore = this.relayHooksArmed;
    this.relayHooksArmed = own;
    let r: RelayAnswer;
    try {
      r = this.pr.relay(list, opts, this.armer.relayHooks(this, opts.onReply, opts.onFailure));
    } catch (e) {
      this.relayHooksArmed = armedBefore;
      throw e;
    }
    if (r.settled !== undefined) this.relayHooksArmed = armedBefore;
    return r;
  }

  forwardStateless(destination?: string): void {
    this.pr.forwardStateless(destination);
  }

  drop(): void {
    this.dropped = true;
    this.pr.drop();
  }

  recordRoute(): void { this.pr.recordRoute(); }
  looseRoute(): boolean { return this.pr.looseRoute(); }
  setRequestUri(uri: string): void { this.pr.setRequestUri(uri); }
  setDestination(uri: string): void { this.pr.setDestination(uri); }
  setSendSocket(socket: string | undefined): void { this.pr.setSendSocket(socket); }
  addHeader(name: string, value: string): void { this.pr.addHeader(name, value); }
  removeHeader(name: string): void { this.pr.removeHeader(name); }

  /** @internal (AuthFacade) */
  checkAuth(realm: string | undefined): AuthCheck | Promise<AuthCheck> {
    return this.deps.auth.check(this.pr.msg, realm ?? this.deps.auth.defaultRealm(this.pr.msg));
  }

  /** @internal (AuthFacade) */
  challenge(realm: string | undefined, stale: boolean): void {
    const kind = this.pr.msg.method === 'REGISTER' ? 'www' : 'proxy';
    const c = this.deps.auth.challenge(kind, realm ?? this.deps.auth.defaultRealm(this.pr.msg), stale);
    this.pr.replyFromNode(c.status, c.reason, { headers: c.headers });
  }
}

// The facades are classes, not object literals of arrow functions: one object per request and
// no closures (each closure also costs a keep-names call under tsx). Their methods are bound on
// the prototype, so call them on the facade (`ctx.registrar.save()`), as the API documents.

class RegistrarFacade implements NonNullable<RequestContext['registrar']> {
  constructor(private readonly reg: RegistrarPort, private readonly pr: ProxyRequestPort) {}

  save(): Promise<number> {
    try {
      const r = this.reg.save(this.pr.msg, this.pr.src);
      if (isPromise(r)) return r.then((v) => this.replied(v));
      // Nothing to wait for (no write-through write): answered now, and the script awaits a
      // shared already-resolved promise instead of a chain of async frames.
      return resolvedStatus(this.replied(r));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private replied(r: SaveReply): number {
    // The reply's only option is the headers, which the SaveReply carries: it serves as the options.
    this.pr.replyFromNode(r.status, r.reason, r);
    return r.status;
  }

  isRegistered(aor: string): boolean { return this.reg.isRegistered(this.reg.aorOf(aor)); }
  userExists(aor: string): Promise<boolean> { return this.reg.userExists(this.reg.aorOf(aor)); }
}

class LocationFacade implements NonNullable<RequestContext['location']> {
  constructor(private readonly reg: RegistrarPort) {}
  lookup(aorOrUri: string): Contact[] { return this.reg.lookup(this.reg.aorOf(aorOrUri)); }
}

class AuthFacade implements NonNullable<RequestContext['auth']> {
  /**
   * The last successful check of this request, until consumeCredentials took its line out. Kept
   * here, not in the context: a request that never touches ctx.auth carries no such field. A failed
   * check leaves it, as OpenSIPS keeps the credentials it marked authorized.
   */
  private verified: AuthCheck | undefined = undefined;

  constructor(private readonly ctx: ScriptRequestContext) {}

  check(realm?: string): Promise<AuthResult> {
    try {
      const r = this.ctx.checkAuth(realm);
      return isPromise(r) ? r.then((v) => this.noted(v)) : Promise.resolve(this.noted(r));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  challenge(realm?: string, stale = false): void { this.ctx.challenge(realm, stale); }

  /**
   * OpenSIPS/Kamailio consume_credentials(): the line the last successful check verified leaves the
   * forwarded request, and nothing else: other realms' credentials are not ours to remove (RFC 3261
   * §22.3). False when no check succeeded (OpenSIPS returns an error then), or its line already went.
   */
  consumeCredentials(): boolean {
    const v = this.verified;
    if (v === undefined || v.header === undefined || v.nth === undefined) return false;
    this.verified = undefined;
    const pr = this.ctx.pr;
    let line = pr.msg.indexOf(v.header);
    for (let k = 0; k < v.nth && line >= 0; k++) line = pr.msg.indexOf(v.header, line + 1);
    if (line < 0) return false;
    pr.removeHeaderLine(line);
    return true;
  }

  private noted(r: AuthCheck): AuthCheck {
    if (r.ok) this.verified = r;
    return r;
  }

  authorize(realm?: string): Promise<boolean> {
    // OpenSIPS pre_auth: ACK and CANCEL are always authorized. Neither can be challenged: an ACK
    // gets no response (RFC 3261 §17.1.1.3), and a CANCEL carries its INVITE's CSeq (§9.1), so it
    // cannot be resent with credentials; a 407 would leave the call impossible to cancel.
    const method = this.ctx.pr.msg.method;
    if (method === 'ACK' || method === 'CANCEL') return RESOLVED_TRUE;
    try {
      const r = this.ctx.checkAuth(realm);
      if (isPromise(r)) return r.then((v) => this.decide(v, realm));
      // No credentials (the first REGISTER of every digest exchange): challenged now, no promise chain.
      return this.decide(r, realm) ? RESOLVED_TRUE : RESOLVED_FALSE;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private decide(r: AuthCheck, realm: string | undefined): boolean {
    if (r.ok) {
      this.verified = r;
      return true;
    }
    const action = r.action;
    if (action === 'bad-request') this.ctx.pr.reply(400, `Bad Request (${r.reason})`);
    else this.ctx.challenge(realm, action === 'stale');
    return false;
  }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === 'function';
}

// Promises are immutable once settled, so requests share these instead of allocating their own.
const RESOLVED_TRUE = Promise.resolve(true);
const RESOLVED_FALSE = Promise.resolve(false);
const RESOLVED_STATUS: Array<Promise<number> | undefined> = new Array<Promise<number> | undefined>(700).fill(undefined);

function resolvedStatus(status: number): Promise<number> {
  if (!Number.isInteger(status) || status < 0 || status >= RESOLVED_STATUS.length) return Promise.resolve(status);
  return (RESOLVED_STATUS[status] ??= Promise.resolve(status));
}

/** RFC 3261 §21 reason phrases for the codes scripts use most. */
export function defaultReason(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Trying' : status < 300 ? 'OK' : status < 400 ? 'Redirect' : status < 500 ? 'Client Error' : status < 600 ? 'Server Error' : 'Global Failure');
}

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 202: 'Accepted', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 420: 'Bad Extension', 423: 'Interval Too Brief', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Server Time-out',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/** ctx.nat of a request: tests against the packet's source; the fix edits the forwarded request. */
class RequestNat implements RequestNatApi {
  constructor(private readonly pr: ProxyRequestPort) {}

  test(checks?: NatCheck | readonly NatCheck[] | number): boolean {
    const s = this.pr.src;
    return natTest(this.pr.msg, { address: s.remoteAddress, port: s.remotePort }, natChecksOf(checks ?? DEFAULT_NAT_CHECKS));
  }

  fixContact(uriParams?: string): boolean { return this.pr.fixNatedContact(uriParams); }
  fixSdp(opts?: SdpFixOptions): boolean { return this.pr.fixNatedSdp(opts); }
  addContactAlias(): boolean { return this.pr.addContactAlias(); }
  handleRuriAlias(): boolean { return this.pr.handleRuriAlias(); }
}

/** What a reply handler's NAT test takes when it names none: OpenSIPS onreply_route's `nat_uac_test(1)`. */
const REPLY_NAT_CHECKS: NatCheck = 'private-contact';

/** ctx.nat of a reply handler: tests against the response's source; the fix edits the forwarded response. */
export class ReplyNat implements NatApi {
  constructor(private readonly res: SipMessage, private readonly reply: ReplyPort) {}

  test(checks?: NatCheck | readonly NatCheck[] | number): boolean {
    const set = natChecksOf(checks ?? REPLY_NAT_CHECKS);
    const s = this.reply.source;
    return s === undefined ? false : natTest(this.res, s, set);
  }

  fixContact(uriParams?: string): boolean { return this.reply.fixContact(uriParams); }
  fixSdp(opts?: SdpFixOptions): boolean { return this.reply.fixSdp(opts); }
  addContactAlias(): boolean { return this.reply.addContactAlias(); }
}
