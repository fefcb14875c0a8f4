/**
 * Route information preprocessing (RFC 3261 §16.4) and the Route edits of forwarding (§16.6
 * steps 6–7, §16.12). The common cases — no Route, or our own Route(s) on top — cost a check
 * and one or two pops; only strict routing rewrites the Route header as a whole.
 */
import { H, hasParam, type MessageEditor, type NameAddr, type SipMessage } from '../message/index.ts';
import type { OwnAddresses } from './own-addresses.ts';

/** Double Record-Route (two interfaces) puts two of our values on top; never pop more. */
const MAX_OWN_ROUTES_POPPED = 2;

export class RouteState {
  /** Route values (text) left after preprocessing, top first, with their parsed form. */
  values: string[] = [];
  parsed: NameAddr[] = [];
  /** Values popped from the top of the received Route (when `rewritten` is false). */
  popped = 0;
  /** The list no longer is the received one minus top values: write it anew. */
  rewritten = false;
  /** The request carried Route values (in-dialog or preloaded route). */
  hadRoutes = false;
  /** §16.4: a strict router upstream put our Record-Route URI in the Request-URI; this is the real one. */
  restoredUri: string | undefined = undefined;

  /** The first remaining Route, when it is a loose router's (§16.6 step 6: has `lr`). */
  get looseNextHop(): string | undefined {
    const r = this.parsed[0];
    return r !== undefined && r.uri.kind === 'sip' && hasParam(r.uri.params, 'lr') ? r.uri.raw : undefined;
  }

  /** The first remaining Route without `lr`: the next hop is a strict router (§16.6 step 6, §16.12). */
  get strictNextHop(): NameAddr | undefined {
    const r = this.parsed[0];
    return r !== undefined && !(r.uri.kind === 'sip' && hasParam(r.uri.params, 'lr')) ? r : undefined;
  }

  /**
   * Writes the Route edits into `e`. With a strict next hop and no explicit destination, the
   * Request-URI goes to the bottom of Route and the Route URI becomes the Request-URI (§16.6
   * step 6); returns that new Request-URI, or undefined.
   */
  apply(e: MessageEditor, requestUri: string, strictRewrite: boolean): string | undefined {
    const strict = strictRewrite ? this.strictNextHop : undefined;
    if (strict !== undefined) {
      const rest = this.values.slice(1);
      rest.push(`<${requestUri}>`);
      e.replaceHeader('Route', rest.join(', '));
      return strict.uri.raw;
    }
    if (this.rewritten) {
      if (this.values.length === 0) e.removeHeader('Route');
      else e.replaceHeader('Route', this.values.join(', '));
    } else {
      for (let i = 0; i < this.popped; i++) e.popTopRoute();
    }
    return undefined;
  }
}

function isOwnRecordRouteUri(na: NameAddr | undefined, own: OwnAddresses): boolean {
  return na !== undefined && na.uri.kind === 'sip' && own.isOwnUri(na.uri);
}

/** §16.4 on a received request; undefined when there is nothing to do (no Route, R-URI not ours). */
/**
 * Our Record-Route URIs carry no user part and `lr`; a Request-URI like that names us as a route,
 * not as a destination (an OPTIONS to the proxy's address has no `lr`). A Request-URI without ';'
 * has no parameters, so no `lr`: most requests (REGISTER, initial INVITE) are decided without
 * building the URI.
 */
function isOwnRouteUri(msg: SipMessage, own: OwnAddresses): boolean {
  if (msg.requestUri === undefined && msg.uriText.indexOf(';') < 0) return false;
  const u = msg.uri;
  return u.kind === 'sip' && u.user === undefined && hasParam(u.params, 'lr') && own.isOwnUri(u);
}

export function preprocessRoutes(msg: SipMessage, own: OwnAddresses): RouteState | undefined {
  const ruriIsOurRoute = isOwnRouteUri(msg, own);
  if (msg.indexOfId(H.route) < 0 && !ruriIsOurRoute) return undefined;
  const rs = new RouteState();
  const parsed = msg.routes();
  if (parsed.ok) {
    rs.parsed = parsed.value;
    rs.values = msg.getList('Route');
  }
  rs.hadRoutes = rs.parsed.length > 0;
  if (ruriIsOurRoute && rs.parsed.length > 0) {
    rs.restoredUri = (rs.parsed.pop() as NameAddr).uri.raw;
    rs.values.pop();
    rs.rewritten = true;
  }
  while (rs.popped < MAX_OWN_ROUTES_POPPED && isOwnRecordRouteUri(rs.parsed[0], own)) {
    rs.parsed.shift();
    rs.values.shift();
    rs.popped++;
  }
  return rs;
}
