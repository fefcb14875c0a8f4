import { MAX_EVENT_HEADERS } from './esl-limits.ts';

/**
 * A FreeSWITCH event as the ESL bridge hands it on: its name (Event-Name), the subclass of a CUSTOM
 * event (Event-Subclass, e.g. `conference::maintenance`), every header decoded, and the body when
 * the event has one (FreeSWITCH's `_body` in event-json).
 */
export interface EslEvent {
  readonly name: string;
  readonly subclass: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

export type EslEventError = { readonly code: 'FEATURE_ESL_BAD_EVENT'; readonly message: string };
export type EslEventResult = { readonly ok: true; readonly event: EslEvent } | { readonly ok: false; readonly error: EslEventError };

const bad = (message: string): EslEventResult => ({ ok: false, error: { code: 'FEATURE_ESL_BAD_EVENT', message } });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * URL-decodes one header value of a text/event-plain event. FreeSWITCH writes values with
 * switch_url_encode (every reserved byte as %XX, UTF-8 bytes too) and reads them back with
 * switch_url_decode, which turns a valid %XX into its byte and leaves everything else — a stray
 * '%', a '+' — as it is. We do the same, then read the bytes as UTF-8; this never throws
 * (decodeURIComponent would, on the first stray '%').
 */
export function urlDecode(value: string): string {
  if (!value.includes('%')) return value;
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1] as number);
      const lo = hexValue(src[i + 2] as number);
      if (hi >= 0 && lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o).toString('utf8');
}

function finish(headers: Record<string, string>, body: string | undefined): EslEventResult {
  const name = headers['Event-Name'];
  if (name === undefined || name === '') return bad('the event has no Event-Name');
  const subclass = headers['Event-Subclass'];
  return { ok: true, event: { name, subclass: subclass === '' ? undefined : subclass, headers, body } };
}

/**
 * Decodes the body of a `text/event-plain` frame: `Name: url-encoded value` lines, an empty line,
 * and — when the event itself has a body — a Content-Length header among them and that many bytes
 * after the empty line (mod_event_socket, switch_event_serialize).
 */
export function decodePlainEvent(body: Buffer): EslEventResult {
  const text = body.toString('utf8');
  const headers: Record<string, string> = {};
  let count = 0;
  let pos = 0;
  let eventBodyLength: number | undefined;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      if (count === 0) continue;
      break; // end of the event's headers; what follows is its own body
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return bad(`event header line without a name: ${JSON.stringify(line.slice(0, 80))}`);
    if (++count > MAX_EVENT_HEADERS) return bad(`more than ${MAX_EVENT_HEADERS} event headers`);
    const name = line.slice(0, colon).trim();
    const value = urlDecode(line.slice(colon + 1).trim());
    if (name === 'Content-Length') {
      if (!/^\d{1,9}$/.test(value)) return bad(`event Content-Length ${JSON.stringify(value.slice(0, 20))} is not a byte count`);
      eventBodyLength = Number(value);
      continue;
    }
    if (name !== '__proto__') headers[name] = value;
  }
  let eventBody: string | undefined;
  if (eventBodyLength !== undefined && eventBodyLength > 0) {
    // The length counts bytes: cut the rest of the frame as bytes, not characters.
    const rest = Buffer.from(text.slice(Math.min(pos, text.length)), 'utf8');
    if (rest.length < eventBodyLength) return bad(`event body of ${rest.length} bytes is shorter than its Content-Length ${eventBodyLength}`);
    eventBody = rest.subarray(0, eventBodyLength).toString('utf8');
  }
  return finish(headers, eventBody);
}

/**
 * Decodes the body of a `text/event-json` frame: one JSON object of header name → string value,
 * the event's body under `_body` (switch_event_serialize_json). Values that are not strings (never
 * sent by FreeSWITCH) are turned into strings rather than refused.
 */
export function decodeJsonEvent(body: Buffer): EslEventResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return bad(`event-json body is not JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return bad('event-json body is not a JSON object');
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > MAX_EVENT_HEADERS) return bad(`more than ${MAX_EVENT_HEADERS} event headers`);
  const headers: Record<string, string> = {};
  let eventBody: string | undefined;
  for (const [k, v] of entries) {
    let s: string;
    try {
      // JSON.parse accepts nesting deep enough to make JSON.stringify overflow the stack (a
      // ~12 KB body of nested arrays): a value that cannot be written back is a bad event.
      s = typeof v === 'string' ? v : JSON.stringify(v);
    } catch (e) {
      return bad(`event-json header ${k} cannot be re-encoded: ${(e as Error).message}`);
    }
    if (k === '_body') eventBody = s;
    else if (k !== '__proto__') headers[k] = s;
  }
  return finish(headers, eventBody);
}
