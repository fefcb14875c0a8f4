/**
 * The bytes of a forwarded request (RFC 3261 §16.6 steps 1–8): one MessageEditor over the
 * received buffer per branch, so untouched header lines are copied as ranges and only the edits
 * are spliced in — Request-URI, Route, Max-Forwards, Record-Route, script header edits, the
 * received/rport of the previous hop's Via and our own Via on top.
 */
import { MessageEditor, formatVia, type SipMessage } from '../message/index.ts';
import type { OwnAddresses } from './own-addresses.ts';
import type { ProxyListener } from './proxy-types.ts';
import type { RouteState } from './route-set.ts';
import type { SipSource } from './sip-source.ts';
import { receivedParams, viaWithReceived } from './via-routing.ts';

/**
 * What fix_nated_contact and fix_nated_sdp (nat.ts) change, in the script's request handler as in
 * its reply hook: the request and response edits below add only what one of them has.
 */
class NatFixEdits {
  /** The whole Contact header value replacing the received one(s). */
  contact: string | undefined = undefined;
  /** The body replacing the received one. */
  body: Buffer | undefined = undefined;
}

/** The message's Contact and body as the NAT fixes left them; one place for a request and a response. */
function applyNatFixes(e: MessageEditor, edits: NatFixEdits): void {
  if (edits.contact !== undefined) e.replaceHeader('Contact', edits.contact);
  if (edits.body !== undefined) e.setBody(edits.body);
}

/** What the script changed on the request; applied to every branch forwarded afterwards. */
export class RequestEdits extends NatFixEdits {
  requestUri: string | undefined = undefined;
  /** $du: the next hop URI, overriding Route and Request-URI for sending (not the message). */
  destination: string | undefined = undefined;
  /**
   * $fs (OpenSIPS force_send_socket): the listener forwarded requests leave from and that their Via
   * and Record-Route name (send-socket.ts), checked to be ours when the script set it.
   */
  sendSocket: ProxyListener | undefined = undefined;
  recordRoute = false;
  added: Array<[string, string, 'top' | 'bottom']> | undefined = undefined;
  /** Header names (every line), or the index of one received header line (ProxyRequest.removeHeaderLine). */
  removed: Array<string | number> | undefined = undefined;
}

export interface ForwardInput {
  readonly msg: SipMessage;
  readonly src: SipSource;
  readonly own: OwnAddresses;
  readonly routes: RouteState | undefined;
  readonly edits: RequestEdits;
}

/**
 * The URI whose host/port/transport is the next hop, and whether the Route is a strict router's.
 * `pathFirst` is the first URI of the target's Path (RFC 3327 §5.3): pre-loaded routes come before
 * any Route the request still carries, so it is the next hop unless the script named a destination.
 */
export function hopUriOf(
  f: ForwardInput, branchUri: string, destination: string | undefined, pathFirst?: string,
): { uri: string; strict: boolean } {
  if (destination !== undefined) return { uri: destination, strict: false };
  if (pathFirst !== undefined) return { uri: pathFirst, strict: false };
  const r = f.routes;
  if (r !== undefined) {
    const loose = r.looseNextHop;
    if (loose !== undefined) return { uri: loose, strict: false };
    const strict = r.strictNextHop;
    if (strict !== undefined) return { uri: strict.uri.raw, strict: true };
  }
  return { uri: branchUri, strict: false };
}

/** The Request-URI a branch starts from when the script names no target: edited, restored or received. */
export function currentRequestUri(f: ForwardInput): string {
  return f.edits.requestUri ?? f.routes?.restoredUri ?? f.msg.uriText;
}

export function buildForwardBytes(
  f: ForwardInput, branchUri: string, strict: boolean, outbound: ProxyListener, branch: string,
  preloaded?: readonly string[],
): Buffer {
  const { msg, own, edits } = f;
  const e = new MessageEditor(msg);
  let ruri = branchUri;
  if (f.routes !== undefined) ruri = f.routes.apply(e, ruri, strict) ?? ruri;
  // RFC 3327 §5.3: the contact's Path on top of what is left of the Route set (after our own
  // values were popped above: the editor pops values it added first).
  if (preloaded !== undefined) for (let i = preloaded.length - 1; i >= 0; i--) e.prependRoute(preloaded[i] as string);
  if (ruri !== msg.uriText) e.setRequestUri(ruri);
  // §16.6 step 3 (the 0 case was refused in §16.3).
  e.decrementMaxForwards();
  if (edits.removed !== undefined) {
    for (const r of edits.removed) {
      if (typeof r === 'number') e.removeLine(r);
      else e.removeHeader(r);
    }
  }
  if (edits.added !== undefined) for (const [name, value, pos] of edits.added) e.addHeader(name, value, pos);
  applyNatFixes(e, edits);
  // §16.6 step 4; two values when the request leaves on another interface than it came in on,
  // so each side of the dialog routes back to the address it can reach (OpenSIPS rr double route).
  if (edits.recordRoute && msg.method !== 'ACK' && msg.method !== 'CANCEL') {
    const inbound = own.inbound(f.src);
    if (inbound !== undefined && inbound !== outbound) e.prependRecordRoute(own.recordRouteFor(inbound));
    e.prependRecordRoute(own.recordRouteFor(outbound));
  }
  const top = msg.topVia;
  const p = receivedParams(top, f.src);
  if (p.received !== undefined || p.rport !== undefined) {
    e.removeTopVia();
    e.addViaTop(viaWithReceived(top, p));
  }
  // §16.6 step 8.
  const sentBy = own.sentBy(outbound);
  e.addViaTop(formatVia({ transport: outbound.proto, host: sentBy.host, port: sentBy.port, branch }));
  return e.toBuffer();
}

/** What the reply hook (onreply_route) changes in the response it is given before it goes upstream. */
export class ResponseEdits extends NatFixEdits {
  /**
   * The To tag of the response these edits were made for: a 2xx retransmitted after compaction gets
   * them again only when it is the same dialog's (a forking proxy downstream may send 2xx of other
   * dialogs on the same branch, RFC 3261 §13.2.2.4, each with its own Contact).
   */
  toTag: string | undefined = undefined;
}

/** §16.7 step 3: a response goes upstream without our Via (and with the reply hook's edits). */
export function stripTopVia(res: SipMessage, extra?: ReadonlyArray<readonly [string, string]>, edits?: ResponseEdits): Buffer {
  const e = new MessageEditor(res);
  e.removeTopVia();
  if (extra !== undefined) for (const [n, v] of extra) e.addHeader(n, v);
  if (edits !== undefined) applyNatFixes(e, edits);
  return e.toBuffer();
}
