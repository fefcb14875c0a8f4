import type { EslEvent } from './esl-event.ts';
import { MAX_BROADCAST_BYTES } from './esl-limits.ts';

/**
 * The cluster message an ESL event becomes (a GENERIC_MSG request, broadcast):
 *
 *   ESL:<JSON object>
 *
 * The object is FreeSWITCH's own event-json shape cut down to the chosen headers: header name →
 * string value (`Event-Name` always, `Event-Subclass` for CUSTOM events, `_body` for the event's
 * body when chosen), plus `"_trimmed": "true"` when the full selection did not fit and only the
 * core headers were sent. UTF-8, at most `maxBytes` bytes including the prefix.
 */
export const ESL_PREFIX = 'ESL:';

/** Headers every message keeps, even trimmed: what identifies the event and where it happened. */
export const CORE_HEADERS: readonly string[] = [
  'Event-Name', 'Event-Subclass', 'Core-UUID', 'FreeSWITCH-Hostname', 'Event-Date-Timestamp', 'Event-Sequence', 'Unique-ID',
];

/** The default `esl.headers`: the core, plus what a call or conference event is usually read for. */
export const DEFAULT_HEADERS: readonly string[] = [
  ...CORE_HEADERS,
  'FreeSWITCH-Switchname', 'FreeSWITCH-IPv4', 'Event-Date-GMT',
  'Call-Direction', 'Channel-State', 'Channel-Call-State', 'Answer-State', 'Hangup-Cause',
  'Caller-Caller-ID-Name', 'Caller-Caller-ID-Number', 'Caller-Destination-Number', 'Caller-Network-Addr', 'Caller-Context',
  'variable_sip_call_id', 'variable_billsec', 'variable_duration',
  'Conference-Name', 'Conference-Size', 'Conference-Unique-ID', 'Action', 'Member-ID',
];

export type EncodeResult =
  | { readonly ok: true; readonly msg: string; readonly trimmed: boolean }
  | { readonly ok: false; readonly code: 'FEATURE_ESL_EVENT_TOO_LARGE'; readonly bytes: number };

function pick(ev: EslEvent, names: readonly string[] | 'all'): Record<string, string> {
  const out: Record<string, string> = {};
  if (names === 'all') {
    Object.assign(out, ev.headers);
    if (ev.body !== undefined) out._body = ev.body;
    return out;
  }
  for (const n of names) {
    const v = n === '_body' ? ev.body : ev.headers[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function render(obj: Record<string, string>): { msg: string; bytes: number } {
  const msg = `${ESL_PREFIX}${JSON.stringify(obj)}`;
  return { msg, bytes: Buffer.byteLength(msg, 'utf8') };
}

/**
 * The `ESL:` message of an event with the chosen headers (`'all'`: every header and the body). When
 * it would exceed `maxBytes` (capped at MAX_BROADCAST_BYTES) it is trimmed to CORE_HEADERS; when
 * even that does not fit (a hostile or absurd header value) the event is refused with
 * FEATURE_ESL_EVENT_TOO_LARGE and the caller counts the drop.
 */
export function encodeEslBroadcast(ev: EslEvent, headers: readonly string[] | 'all', maxBytes: number): EncodeResult {
  const limit = Math.min(maxBytes, MAX_BROADCAST_BYTES);
  const full = pick(ev, headers);
  full['Event-Name'] ??= ev.name;
  const first = render(full);
  if (first.bytes <= limit) return { ok: true, msg: first.msg, trimmed: false };
  const core = pick(ev, CORE_HEADERS);
  core['Event-Name'] ??= ev.name;
  core._trimmed = 'true';
  const second = render(core);
  if (second.bytes <= limit) return { ok: true, msg: second.msg, trimmed: true };
  return { ok: false, code: 'FEATURE_ESL_EVENT_TOO_LARGE', bytes: second.bytes };
}

/** A received `ESL:` message, as the routing script of another node reads it. */
export interface EslBroadcast {
  readonly name: string;
  readonly subclass: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** True when the sender trimmed the event to its core headers. */
  readonly trimmed: boolean;
}

/**
 * Reads a cluster message sent by an ESL bridge; undefined when `msg` is not one (no `ESL:`
 * prefix, not a JSON object of strings, no Event-Name). Never throws: the message came from the
 * network.
 */
export function parseEslBroadcast(msg: string): EslBroadcast | undefined {
  if (!msg.startsWith(ESL_PREFIX) || msg.length > MAX_BROADCAST_BYTES * 4) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(msg.slice(ESL_PREFIX.length));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let trimmed = false;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v !== 'string') return undefined;
    if (k === '_body') body = v;
    else if (k === '_trimmed') trimmed = v === 'true';
    else if (k !== '__proto__') headers[k] = v;
  }
  const name = headers['Event-Name'];
  if (name === undefined || name === '') return undefined;
  const subclass = headers['Event-Subclass'];
  return { name, subclass: subclass === '' ? undefined : subclass, headers, body, trimmed };
}
