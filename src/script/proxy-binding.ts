import type { SipMessage } from '../sip/message/index.ts';
import { ResponseEdits, aliasedContactValue, fixedContactValue, fixedSdp, type BranchInfo, type SdpFixOptions, type ProxyRequest, type RelayOptions, type RelayResult, type RelayTarget, type ReplyOptions } from '../sip/proxy/index.ts';
import type { ProxyRequestPort, ReplyPort, ScriptHooks, ScriptSource } from './ports.ts';
import type { ReplyBranch } from './api.ts';

/** Sees every answer the script sends for a request, before it goes out (the ban list counts failed REGISTERs here). */
export type ReplyObserver = (pr: ProxyRequest, status: number, headers: ReadonlyArray<readonly [string, string]> | undefined) => void;

/**
 * The proxy's per-request object seen through the script host's port. A class, not an object of
 * closures: one allocation per request, methods on the prototype (DESIGN.md §8).
 */
class ProxyRequestAdapter implements ProxyRequestPort {
  constructor(private readonly pr: ProxyRequest, private readonly observe: ReplyObserver | undefined) {}

  get msg(): SipMessage { return this.pr.msg; }
  get src(): ScriptSource { return this.pr.src; }
  get vars(): Map<string, unknown> { return this.pr.vars; }
  get handled(): boolean { return this.pr.disposition !== 'pending'; }
  get cancelled(): boolean { return this.pr.cancelled; }

  reply(status: number, reason: string, opts?: ReplyOptions): boolean {
    this.observe?.(this.pr, status, opts?.headers);
    return this.pr.reply(status, reason, opts);
  }

  replyFromNode(status: number, reason: string, opts?: ReplyOptions): boolean {
    this.observe?.(this.pr, status, opts?.headers);
    return this.pr.replyFromNode(status, reason, opts);
  }

  relay(targets: readonly RelayTarget[] | undefined, opts: RelayOptions, hooks?: ScriptHooks): RelayResult {
    if (hooks === undefined) return this.pr.relay(targets, opts);
    // Armed first: a branch that fails inside relay() (a transport error, an unroutable URI) runs
    // the failure logic before relay() returns. A relay that starts nothing gives them back.
    const pr = this.pr;
    const onReply = pr.onReply;
    const onFailure = pr.onFailure;
    this.setHooks(hooks);
    let r: RelayResult;
    try {
      r = pr.relay(targets, opts);
    } catch (e) {
      pr.onReply = onReply;
      pr.onFailure = onFailure;
      throw e;
    }
    if (r.settled !== undefined) {
      pr.onReply = onReply;
      pr.onFailure = onFailure;
    }
    return r;
  }

  forwardStateless(destination?: string): void {
    if (destination !== undefined) this.pr.setDestination(destination);
    this.pr.forwardStateless();
  }

  drop(): void { this.pr.drop(); }
  recordRoute(): void { this.pr.recordRoute(); }
  looseRoute(): boolean { return this.pr.looseRoute(); }
  setRequestUri(uri: string): void { this.pr.setRequestUri(uri); }
  setDestination(uri: string): void { this.pr.setDestination(uri); }
  get requestUri(): string { return this.pr.requestUri; }
  get destination(): string | undefined { return this.pr.edits.destination; }
  setSendSocket(socket: string | undefined): void { this.pr.setSendSocket(socket); }
  get sendSocket(): string | undefined { return this.pr.sendSocket; }
  addHeader(name: string, value: string): void { this.pr.addHeader(name, value); }
  removeHeader(name: string): void { this.pr.removeHeader(name); }
  removeHeaderLine(index: number): void { this.pr.removeHeaderLine(index); }
  fixNatedContact(uriParams?: string): boolean { return this.pr.fixNatedContact(uriParams); }
  fixNatedSdp(opts?: SdpFixOptions): boolean { return this.pr.fixNatedSdp(opts); }
  addContactAlias(): boolean { return this.pr.addContactAlias(); }
  handleRuriAlias(): boolean { return this.pr.handleRuriAlias(); }

  setHooks(h: ScriptHooks): void {
    const onReply = h.onReply;
    const onFailure = h.onFailure;
    // For the branches of the next relay (ProxyRequest.onReply): those already made keep theirs.
    this.pr.onReply = onReply === undefined ? undefined : (res, b) => scriptReply(onReply, res, b);
    this.pr.onFailure = onFailure === undefined ? undefined : (best) => onFailure(best.msg, best.status);
  }

  /** Every response of every branch, whenever it was made, before the script's reply hook (ProxyRequest.observeReply). */
  observeReplies(fn: (res: SipMessage) => void): void {
    const prev = this.pr.observeReply;
    this.pr.observeReply = prev === undefined ? fn : (res) => { prev(res); fn(res); };
  }
}

export function portOf(pr: ProxyRequest, observe?: ReplyObserver): ProxyRequestPort {
  return new ProxyRequestAdapter(pr, observe);
}

/** Runs the script's reply hook; what it changed in the response (fix_nated_*) goes back to the proxy. */
function scriptReply(script: (res: SipMessage, branch: ReplyBranch, reply: ReplyPort) => void, res: SipMessage, b: BranchInfo): ResponseEdits | undefined {
  const reply = new ReplyAdapter(res, b);
  script(res, branchOf(b), reply);
  return reply.edits;
}

/** One response's source and edits, for the reply handler's `source` and `nat`. */
class ReplyAdapter implements ReplyPort {
  private sourceView: ReplyPort['source'] | null = null;
  /** Made on the first fix: a response the script does not change costs no edits object. */
  edits: ResponseEdits | undefined = undefined;

  constructor(private readonly res: SipMessage, private readonly b: BranchInfo) {}

  /** Where the response came from; without it (a proxy driven directly), where the branch went. */
  get source(): ReplyPort['source'] {
    if (this.sourceView === null) this.sourceView = this.sourceOf();
    return this.sourceView;
  }

  private sourceOf(): ReplyPort['source'] {
    const s = this.b.responseSource;
    if (s !== undefined) return { proto: s.proto, address: s.remoteAddress, port: s.remotePort };
    const t = this.b.target;
    return t === undefined ? undefined : { proto: t.proto === 'udp' ? 'udp' : 'tcp', address: t.address, port: t.port };
  }

  /** Kamailio fix_nated_contact in onreply_route; refused after addContactAlias (or a call before), as on a request. */
  fixContact(uriParams?: string): boolean {
    if (this.edits?.contact !== undefined) return false;
    const src = this.source;
    const v = src === undefined ? undefined : fixedContactValue(this.res, src, uriParams);
    if (v === undefined) return false;
    (this.edits ??= new ResponseEdits()).contact = v;
    return true;
  }

  /** Kamailio add_contact_alias in onreply_route; refused after fixContact, as on a request. */
  addContactAlias(): boolean {
    const src = this.source;
    if (src === undefined || this.edits?.contact !== undefined) return false;
    const v = aliasedContactValue(this.res, src);
    if (v === undefined) return false;
    (this.edits ??= new ResponseEdits()).contact = v;
    return true;
  }

  fixSdp(opts?: SdpFixOptions): boolean {
    const src = this.source;
    const body = src === undefined ? undefined : fixedSdp(this.res, src, opts);
    if (body === undefined) return false;
    (this.edits ??= new ResponseEdits()).body = body;
    return true;
  }
}

/** The script's view of a branch (no status: the response it is given says it). */
function branchOf(b: BranchInfo): ReplyBranch {
  const t = b.target;
  return { index: b.index, uri: b.uri, target: t === undefined ? undefined : { proto: t.proto === 'udp' ? 'udp' : 'tcp', address: t.address, port: t.port } };
}
