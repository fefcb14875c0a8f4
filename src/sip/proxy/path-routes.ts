/**
 * RFC 3327 §5.3: a registered contact's Path becomes the pre-loaded Route set of a request sent to
 * it, so the request visits the proxies the REGISTER came through (the edge proxy that holds the
 * connection or the NAT binding) while the Request-URI stays the contact. OpenSIPS lookup() does
 * the same with the stored `path` column. Path is stored as the comma-joined Route values of the
 * REGISTER (binding.path); it is split here, outside quotes and `<>`, and each value is checked.
 */
import { isSingleLine, parseNameAddr } from '../message/index.ts';

/** A Path longer than this is refused rather than forwarded (the registrar never stores one). */
export const MAX_PATH_ROUTES = 16;

export interface PathRoutes {
  /** Route values, top first, as they are written into the forwarded request. */
  readonly values: readonly string[];
  /** The URI of the first value: the next hop when the script gave no destination. */
  readonly firstUri: string;
}

/** Splits a comma-separated list of name-addr values; undefined on an unbalanced quote or `<`. */
function splitList(s: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++; // quoted-pair
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inQuote || inAngle) return undefined;
  out.push(s.slice(start).trim());
  return out;
}

/** The Route set for a Path value; undefined when it is empty, too long or a value is not a SIP URI. */
export function pathRoutes(path: string): PathRoutes | undefined {
  const parts = splitList(path);
  if (parts === undefined || parts.length > MAX_PATH_ROUTES) return undefined;
  const values: string[] = [];
  let firstUri: string | undefined;
  for (const p of parts) {
    if (p === '') continue;
    // A value becomes a Route header line: CR or LF in it (a lenient quoted display name or
    // parameter, or a stored row) would split the header, so the whole Path is unusable.
    if (!isSingleLine(p)) return undefined;
    const na = parseNameAddr(p);
    if (!na.ok || na.value.uri.kind !== 'sip') return undefined;
    firstUri ??= na.value.uri.raw;
    values.push(p);
  }
  return firstUri === undefined ? undefined : { values, firstUri };
}
