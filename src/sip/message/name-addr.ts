/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): From, To, Contact, Route,
 * Record-Route, Reply-To... In the addr-spec form (no `<>`) every `;param` belongs to the header,
 * not to the URI, which is why URIs holding `;`, `,` or `?` must be enclosed (RFC 4475 regbadct).
 */
import { TOKEN, DQUOTE, LAQUOT, SEMI, isLws, skipLws, trimLwsEnd } from './chars.ts';
import { canonicalParam, canonicalParamAt, checkedHeaderParams, checkHeaderParams, parsedParams, skipQuoted, unquote, formatParams, SLOT_TAG, type Params } from './params.ts';
import { canonicalSipUriEnd, parseUri, validUri, formatUri, type Uri } from './uri.ts';
import { MAX_PARAMS } from './limits.ts';
import { invariant } from '../../lib/errors.ts';
import { parseError, type SipParseError } from './errors.ts';
import type { Result } from '../../lib/result.ts';

export interface NameAddr {
  /** Display name without quotes, quoted-pairs resolved; undefined when absent. */
  readonly displayName: string | undefined;
  readonly uri: Uri;
  /** True when the URI was enclosed in `<>` (name-addr form). */
  readonly angle: boolean;
  readonly params: Params;
  /** The `tag` parameter (RFC 3261 §19.3), when present. */
  readonly tag: string | undefined;
}

/** Runs of LWS between display-name tokens become one SP (RFC 3261 §25.1: *(token LWS)). */
function collapseLws(dn: string): string {
  let plain = true;
  for (let i = 0; i < dn.length && plain; i++) {
    const c = dn.charCodeAt(i);
    if (isLws(c) && (c !== 0x20 || isLws(dn.charCodeAt(i + 1)))) plain = false;
  }
  if (plain) return dn;
  let out = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn.charCodeAt(i);
    if (!isLws(c)) out += dn[i] ?? '';
    else if (!isLws(dn.charCodeAt(i + 1))) out += ' ';
  }
  return out;
}

function fail(message: string): { ok: false; error: SipParseError } {
  return { ok: false, error: parseError('SIP_PARSE_BAD_NAME_ADDR', message) };
}

/**
 * Parses one element (already split from a list) of a name-addr header: all of `s`, or s[start,stop)
 * (the parser passes ranges of the message's header block, read without copying).
 */
export function parseNameAddr(s: string, start = 0, stop = s.length): Result<NameAddr, SipParseError> {
  const end = trimLwsEnd(s, start, stop);
  let i = skipLws(s, start, end);
  if (i >= end) return fail('empty value');
  // Display name range: read (unquoted or LWS-collapsed) on first access, most messages never do.
  let dnStart = -1;
  let dnEnd = -1;
  let uriStart: number;
  let uriEnd: number;
  let angle = false;
  const c0 = s.charCodeAt(i);
  if (c0 === DQUOTE || c0 === LAQUOT) {
    if (c0 === DQUOTE) {
      const q = skipQuoted(s, i, end);
      if (q < 0) return fail('unterminated quoted display name');
      dnStart = i;
      dnEnd = q;
      i = skipLws(s, q, end);
      if (i >= end || s.charCodeAt(i) !== LAQUOT) return fail('display name not followed by <URI>');
    }
    angle = true;
  } else {
    // Either `token *(LWS token) <URI>` (display name as tokens, RFC 4475 lwsdisp) or an addr-spec.
    let j = i;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c <= 0xff && (TOKEN[c] === 1 || isLws(c))) j++;
      else break;
    }
    if (j < end && s.charCodeAt(j) === LAQUOT) {
      const dnStop = trimLwsEnd(s, i, j);
      if (dnStop > i) {
        dnStart = i;
        dnEnd = dnStop;
      }
      i = j;
      angle = true;
    }
  }
  if (angle) {
    const gt = s.indexOf('>', i);
    if (gt < 0 || gt >= end) return fail('missing > after URI');
    uriStart = i + 1;
    uriEnd = gt;
    // RFC 4475 badaspec: no white space inside <...>
    if (uriEnd <= uriStart || isLws(s.charCodeAt(uriStart)) || isLws(s.charCodeAt(uriEnd - 1))) return fail('white space or nothing inside <>');
    i = gt + 1;
  } else {
    uriStart = i;
    while (i < end && s.charCodeAt(i) !== SEMI && !isLws(s.charCodeAt(i))) i++;
    uriEnd = i;
    for (let k = uriStart; k < uriEnd; k++) {
      const c = s.charCodeAt(k);
      if (c === 0x3f || c === 0x2c) return fail('addr-spec with ? or , must be enclosed in <> (RFC 3261 §20)');
    }
  }
  // Checked now (RFC 4475 refuses bad ones), built when read: a proxy mostly reads the tag only.
  if (!validUri(s, uriStart, uriEnd)) return { ok: false, error: parseError('SIP_PARSE_BAD_URI', `bad URI "${s.slice(uriStart, uriEnd)}"`) };
  // Checked without building (checkHeaderParams): the parameter objects are made on first read.
  if (!checkHeaderParams(s, i, end)) return fail('malformed parameter');
  const next = parsedParams.next;
  if (skipLws(s, next, end) !== end) return fail(`unexpected "${s.slice(next, next + 1)}" after URI`);
  return { ok: true, value: new ParsedNameAddr(s, dnStart, dnEnd, uriStart, uriEnd, angle, i, end, parsedParams.tagStart, parsedParams.tagEnd, (parsedParams.quotedSlots & (1 << SLOT_TAG)) !== 0) };
}

/**
 * A name-addr in the form nearly every From and To has — an optional display name (tokens, or a
 * quoted string without escapes), `<` a URI canonicalSipUriEnd takes `>`, then `;name[=value]`
 * parameters without white space or quotes — checked in one pass over the message's bytes
 * buf[start,end) (a value range: no LWS at either end). Undefined for anything else, which
 * parseNameAddr then decides, errors included. For what it accepts it builds the name-addr
 * parseNameAddr would (canonical-forms.property.test.ts compares them), reading `text`, the header
 * block as a string, whose first character is buf[base].
 */
export function canonicalNameAddr(buf: Uint8Array, start: number, end: number, text: string, base: number): NameAddr | undefined {
  if (start >= end) return undefined;
  let i = start;
  let dnStart = -1;
  let dnEnd = -1;
  const c0 = buf[i];
  if (c0 === DQUOTE) {
    let q = i + 1;
    // A quoted-pair, or a CR/LF (never in a quoted-string, §25.1): the general parser decides.
    while (q < end && buf[q] !== DQUOTE && buf[q] !== 0x5c && buf[q] !== 0x0d && buf[q] !== 0x0a) q++;
    if (q >= end || buf[q] !== DQUOTE) return undefined;
    dnStart = i;
    dnEnd = q + 1;
    i = q + 1;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    if (i >= end || buf[i] !== LAQUOT) return undefined;
  } else if (c0 !== LAQUOT) {
    // `token *(LWS token) <`: the display name ends before the white space in front of `<`.
    let j = i;
    while (j < end && (TOKEN[buf[j] as number] === 1 || buf[j] === 0x20 || buf[j] === 0x09)) j++;
    if (j >= end || buf[j] !== LAQUOT) return undefined;
    let e = j;
    while (e > i && (buf[e - 1] === 0x20 || buf[e - 1] === 0x09)) e--;
    dnStart = i;
    dnEnd = e;
    i = j;
  }
  const uriStart = i + 1;
  const uriEnd = canonicalSipUriEnd(buf, uriStart, end);
  if (uriEnd < 0 || uriEnd >= end || buf[uriEnd] !== 0x3e) return undefined;
  i = uriEnd + 1;
  const paramsStart = i;
  let tagStart = -1;
  let tagEnd = -1;
  for (let n = 0; i < end; n++) {
    if (n >= MAX_PARAMS) return undefined;
    i = canonicalParamAt(buf, i, end);
    if (i < 0) return undefined;
    const p = canonicalParam;
    // RFC 3261 §19.3 tag, any case (§7.3.1), first occurrence.
    if (tagStart === -1 && isTagName(buf, p.nameStart, p.nameEnd)) {
      tagStart = p.valueStart < 0 ? -2 : p.valueStart - base;
      tagEnd = p.valueEnd - base;
    }
  }
  return new ParsedNameAddr(text, dnStart < 0 ? -1 : dnStart - base, dnStart < 0 ? -1 : dnEnd - base, uriStart - base, uriEnd - base, true, paramsStart - base, end - base, tagStart, tagEnd, false);
}

/** buf[start,end) is `tag` in any case. */
function isTagName(buf: Uint8Array, start: number, end: number): boolean {
  return end - start === 3 && ((buf[start] as number) | 0x20) === 0x74 && ((buf[start + 1] as number) | 0x20) === 0x61 && ((buf[start + 2] as number) | 0x20) === 0x67;
}

/**
 * A parsed name-addr: display name, URI, parameters and tag were validated by parseNameAddr and are
 * built on first read (a proxy reads the tag and little else; a stateless answer copies From and To
 * as bytes).
 */
class ParsedNameAddr implements NameAddr {
  private uriCache: Uri | undefined = undefined;
  private paramsCache: Params | undefined = undefined;
  private tagCache: string | undefined = undefined;
  private displayNameCache: string | undefined = undefined;

  /** The text parsed (usually the message's header block): #private, so logging one does not print it. */
  readonly #text: string;

  constructor(
    text: string,
    /** Display name range (a quoted-string with its quotes, or tokens), -1 when absent. */
    private readonly dnStart: number,
    private readonly dnEnd: number,
    private readonly uriStart: number,
    private readonly uriEnd: number,
    readonly angle: boolean,
    private readonly paramsStart: number,
    private readonly paramsEnd: number,
    /** Value range of the first `tag` parameter (RFC 3261 §19.3); start -1 absent, -2 without value. */
    private readonly tagStart: number,
    private readonly tagEnd: number,
    /** A `tag` parameter has a quoted-string value (the canonical form has none). */
    private readonly tagQuoted: boolean,
  ) {
    this.#text = text;
  }

  get displayName(): string | undefined {
    if (this.displayNameCache === undefined && this.dnStart >= 0) {
      const raw = this.#text.slice(this.dnStart, this.dnEnd);
      this.displayNameCache = raw.charCodeAt(0) === DQUOTE ? unquote(raw) : collapseLws(raw);
    }
    return this.displayNameCache;
  }

  get tag(): string | undefined {
    if (this.tagCache === undefined && this.tagStart >= 0) this.tagCache = this.#text.slice(this.tagStart, this.tagEnd);
    return this.tagCache;
  }

  /** The first `tag` parameter has no value (`;tag`): a From/To refuses it (RFC 3261 §19.3 tag-param = "tag" EQUAL token). */
  get tagWithoutValue(): boolean {
    return this.tagStart === -2;
  }

  /** A `tag` parameter is quoted: a From/To refuses it (RFC 3261 §25.1 tag-param = "tag" EQUAL token). */
  get quotedTag(): boolean {
    return this.tagQuoted;
  }

  get uri(): Uri {
    if (this.uriCache === undefined) {
      const u = parseUri(this.#text.slice(this.uriStart, this.uriEnd));
      if (u === undefined) invariant(false, 'a URI validUri() accepted does not parse');
      this.uriCache = u;
    }
    return this.uriCache;
  }

  get params(): Params {
    return (this.paramsCache ??= checkedHeaderParams(this.#text, this.paramsStart, this.paramsEnd));
  }

  /** What JSON.stringify (and loggers) show: the NameAddr fields, `uri` included, not the internals. */
  toJSON(): NameAddr {
    return { displayName: this.displayName, uri: this.uri, angle: this.angle, params: this.params, tag: this.tag };
  }
}

/** Writes a name-addr; the URI is always enclosed so that URI and header parameters stay apart. */
export function formatNameAddr(na: NameAddr): string {
  let s = '';
  if (na.displayName !== undefined) s += `"${na.displayName.replace(/(["\\])/g, '\\$1')}" `;
  s += `<${na.uri.raw !== '' ? na.uri.raw : formatUri(na.uri)}>`;
  return s + formatParams(na.params);
}

/** True for a name-addr whose first `tag` parameter has no value (essentials refuses it in From/To). */
export function hasTagWithoutValue(na: NameAddr): boolean {
  return na instanceof ParsedNameAddr && na.tagWithoutValue;
}

/** True for a name-addr with a quoted `tag` parameter (essentials refuses it in From/To). */
export function hasQuotedTag(na: NameAddr): boolean {
  return na instanceof ParsedNameAddr && na.quotedTag;
}
