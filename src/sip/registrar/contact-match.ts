import { parseUri, pctOctets, uriEquals, type Uri } from '../message/index.ts';

/** Compares two URIs as RFC 3261 §19.1.4 says; the store takes one so src/app can pass message's `uriEquals`. */
export type UriEquality = (a: string, b: string) => boolean;

/** The parts of a new Contact that decide which existing binding it refreshes. */
export interface ContactKey {
  readonly contact: string;
  readonly instance?: string | undefined;
  readonly regId?: number | undefined;
}

/**
 * Does `key` designate binding `b` (or the binding another Contact of the same REGISTER designates)? RFC 5626 §6: with `+sip.instance` the binding is keyed by
 * (instance, reg-id) — an outbound UA changes its Contact URI across flows and must still refresh
 * the same binding; without an instance, RFC 3261 §10.3 step 8 compares the Contact URIs.
 */
export function matchesBinding(b: ContactKey, key: ContactKey, uriEquals: UriEquality): boolean {
  if (key.instance !== undefined && b.instance !== undefined) {
    return key.instance === b.instance && (key.regId ?? 0) === (b.regId ?? 0);
  }
  return uriEquals(b.contact, key.contact);
}

interface LooseUri {
  scheme: string;
  user: string;
  host: string;
  port: string;
  params: Map<string, string>;
  headers: string;
}

function split(uri: string): LooseUri | undefined {
  const colon = uri.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = uri.slice(0, colon).toLowerCase();
  let rest = uri.slice(colon + 1);
  let headers = '';
  const q = rest.indexOf('?');
  if (q >= 0) { headers = rest.slice(q + 1); rest = rest.slice(0, q); }
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : '';
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const [hostPort = '', ...paramList] = hostPart.split(';');
  let host = hostPort;
  let port = '';
  const close = hostPort.lastIndexOf(']');
  const pc = hostPort.lastIndexOf(':');
  if (pc > close) { host = hostPort.slice(0, pc); port = hostPort.slice(pc + 1); }
  const params = new Map<string, string>();
  for (const p of paramList) {
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
    params.set(name, eq < 0 ? '' : p.slice(eq + 1).toLowerCase());
  }
  // §19.1.4: unreserved escapes equal their characters, reserved ones do not (decodeURIComponent
  // decoded both, so `a%3Bb` matched a binding of `a;b`).
  return { scheme, user: pctOctets(user), host: host.toLowerCase(), port, params, headers };
}

/** Parameters that must match when either URI has them (RFC 3261 §19.1.4). */
const STRICT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

/**
 * A minimal RFC 3261 §19.1.4 comparison on strings, good enough for Contact matching until the
 * message layer's `uriEquals` is wired in: case-insensitive scheme/host/params, case-sensitive
 * user (after %-decoding all but reserved characters, as uriEquals), an omitted port never equals
 * an explicit one, user/ttl/method/maddr/transport must agree when present in either, other params
 * only when present in both, and headers must be identical.
 */
export function simpleUriEquals(a: string, b: string): boolean {
  if (a === b) return true;
  const x = split(a);
  const y = split(b);
  if (x === undefined || y === undefined) return false;
  if (x.scheme !== y.scheme || x.user !== y.user || x.host !== y.host || x.port !== y.port) return false;
  if (x.headers !== y.headers) return false;
  for (const name of STRICT_PARAMS) {
    if (x.params.get(name) !== y.params.get(name)) return false;
  }
  for (const [name, value] of x.params) {
    const other = y.params.get(name);
    if (other !== undefined && other !== value) return false;
  }
  return true;
}

/** The last first argument of messageUriEquals and its parse (parsing is pure: a string gives one Uri). */
let lastA = '';
let lastX: Uri | undefined;

/**
 * RFC 3261 §19.1.4 through the message layer's parser and `uriEquals`; falls back to
 * simpleUriEquals when either side does not parse (a stored contact from an old database row).
 */
export function messageUriEquals(a: string, b: string): boolean {
  if (a === b) return true;
  // The store compares one new Contact with each binding of the AoR in turn: `a` is parsed once.
  if (a !== lastA) {
    lastA = a;
    lastX = parseUri(a);
  }
  const x = lastX;
  const y = parseUri(b);
  return x !== undefined && y !== undefined ? uriEquals(x, y) : simpleUriEquals(a, b);
}
