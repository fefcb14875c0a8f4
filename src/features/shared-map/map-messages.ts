/**
 * The text grammar of the replicated maps, carried as plain strings in the payload of GENERIC_MSG
 * (clusterer-extra), so an OpenSIPS node can take part from its script (cluster_send_req /
 * cluster_broadcast_req and E_CLUSTERER_REQ_RECEIVED). `<map>` is the map's name; the owner of an
 * entry is always the BIN sender of the message, never a field, so no node can speak for another.
 *
 *   MAP:<map>:SET:<key>:<ttlMs>:<claimedAtMs>:<value>   owner → all: claim, refresh or new value
 *   MAP:<map>:DEL:<key>                                 owner → all: release
 *   MAP:<map>:WHO?:<key>                                claimant → all (request): who owns key?
 *   MAP:<map>:OWN:<key>:<ttlMs>:<claimedAtMs>:<value>   reply to WHO? from the owner
 *   MAP:<map>:NONE:<key>                                reply to WHO? from every other node
 *   MAP:<map>:DUMP?                                     request: your entries, please
 *   MAP:<map>:DUMP:<key>:<ttlMs>:<claimedAtMs>:<value>\n…   reply: the replier's own entries, one a line
 *
 * `ttlMs` is the time left, `claimedAtMs` the owner's wall clock when it first claimed the key
 * (the conflict rule compares it). Numbers are decimal integers. Keys hold no `:`; values no newline.
 */
import { MAX_DUMP_BYTES, MAX_KEY_CHARS, MAX_MAP_NAME_CHARS, MAX_MESSAGE_CHARS, MAX_TTL_MS, MAX_VALUE_CHARS } from './limits.ts';

export const MAP_PREFIX = 'MAP:';

/** An entry as it travels: the owner's view. */
export interface WireEntry {
  readonly key: string;
  readonly ttlMs: number;
  readonly claimedAtMs: number;
  readonly value: string;
}

export type MapMessage =
  | ({ readonly kind: 'set' | 'own'; readonly map: string } & WireEntry)
  | { readonly kind: 'del' | 'who' | 'none'; readonly map: string; readonly key: string }
  | { readonly kind: 'dump?'; readonly map: string }
  | { readonly kind: 'dump'; readonly map: string; readonly entries: readonly WireEntry[] };

export type DecodeResult =
  | { readonly ok: true; readonly msg: MapMessage }
  | { readonly ok: false; readonly reason: string };

export function isMapName(s: string): boolean {
  if (s.length === 0 || s.length > MAX_MAP_NAME_CHARS) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** Printable ASCII (0x21–0x7e) without `:`. */
export function isKey(s: string): boolean {
  if (s.length === 0 || s.length > MAX_KEY_CHARS) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x3a) return false;
  }
  return true;
}

/** One line: no CR or LF, bounded. May be empty. */
export function isValue(s: string): boolean {
  return s.length <= MAX_VALUE_CHARS && !s.includes('\n') && !s.includes('\r');
}

function encodeEntry(e: WireEntry): string {
  return `${e.key}:${Math.max(0, Math.round(e.ttlMs))}:${Math.round(e.claimedAtMs)}:${e.value}`;
}

export function encodeMapMessage(m: MapMessage): string {
  const head = `${MAP_PREFIX}${m.map}:`;
  switch (m.kind) {
    case 'set': return `${head}SET:${encodeEntry(m)}`;
    case 'own': return `${head}OWN:${encodeEntry(m)}`;
    case 'del': return `${head}DEL:${m.key}`;
    case 'who': return `${head}WHO?:${m.key}`;
    case 'none': return `${head}NONE:${m.key}`;
    case 'dump?': return `${head}DUMP?`;
    case 'dump': return `${head}DUMP:${m.entries.map(encodeEntry).join('\n')}`;
  }
}

/**
 * A DUMP reply with as many of `entries` as fit MAX_MESSAGE_CHARS and MAX_DUMP_BYTES (the caller orders them;
 * the rest reach the asker with the owner's next refresh). Returns the text and how many went in.
 */
export function encodeDump(map: string, entries: readonly WireEntry[]): { text: string; count: number } {
  let text = `${MAP_PREFIX}${map}:DUMP:`;
  let bytes = Buffer.byteLength(text, 'utf8');
  let count = 0;
  for (const e of entries) {
    const line = (count === 0 ? '' : '\n') + encodeEntry(e);
    const lineBytes = Buffer.byteLength(line, 'utf8');
    if (text.length + line.length > MAX_MESSAGE_CHARS || bytes + lineBytes > MAX_DUMP_BYTES) break;
    text += line;
    bytes += lineBytes;
    count++;
  }
  return { text, count };
}

/** A non-negative decimal integer within `max`, or undefined. */
function decimal(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 16) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(s);
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

/** `<key>:<ttlMs>:<claimedAtMs>:<value>` */
function decodeEntry(text: string): WireEntry | string {
  const a = text.indexOf(':');
  const b = a < 0 ? -1 : text.indexOf(':', a + 1);
  const c = b < 0 ? -1 : text.indexOf(':', b + 1);
  if (c < 0) return 'entry needs <key>:<ttlMs>:<claimedAtMs>:<value>';
  const key = text.slice(0, a);
  if (!isKey(key)) return 'bad key';
  // A TTL above the bound is clamped (a peer may run with other limits), not refused.
  const ttlRaw = decimal(text.slice(a + 1, b), Number.MAX_SAFE_INTEGER);
  if (ttlRaw === undefined) return 'bad ttlMs';
  const claimedAtMs = decimal(text.slice(b + 1, c), Number.MAX_SAFE_INTEGER);
  if (claimedAtMs === undefined) return 'bad claimedAtMs';
  const value = text.slice(c + 1);
  if (!isValue(value)) return 'bad value';
  return { key, ttlMs: Math.min(ttlRaw, MAX_TTL_MS), claimedAtMs, value };
}

/**
 * Parses one `MAP:` message; anything else (a message of another protocol, a malformed one) is a
 * typed failure with a reason for the log, never an exception.
 */
export function decodeMapMessage(text: string): DecodeResult {
  const bad = (reason: string): DecodeResult => ({ ok: false, reason });
  if (!text.startsWith(MAP_PREFIX)) return bad('not a MAP: message');
  if (text.length > MAX_MESSAGE_CHARS) return bad('message too long');
  const nameEnd = text.indexOf(':', MAP_PREFIX.length);
  if (nameEnd < 0) return bad('no verb');
  const map = text.slice(MAP_PREFIX.length, nameEnd);
  if (!isMapName(map)) return bad('bad map name');
  const rest = text.slice(nameEnd + 1);
  if (rest === 'DUMP?') return { ok: true, msg: { kind: 'dump?', map } };
  const verbEnd = rest.indexOf(':');
  if (verbEnd < 0) return bad('unknown verb');
  const verb = rest.slice(0, verbEnd);
  const args = rest.slice(verbEnd + 1);
  switch (verb) {
    case 'SET':
    case 'OWN': {
      const e = decodeEntry(args);
      if (typeof e === 'string') return bad(e);
      return { ok: true, msg: { kind: verb === 'SET' ? 'set' : 'own', map, ...e } };
    }
    case 'DEL':
    case 'WHO?':
    case 'NONE': {
      if (!isKey(args)) return bad('bad key');
      return { ok: true, msg: { kind: verb === 'DEL' ? 'del' : verb === 'WHO?' ? 'who' : 'none', map, key: args } };
    }
    case 'DUMP': {
      const entries: WireEntry[] = [];
      if (args !== '') {
        for (const line of args.split('\n')) {
          const e = decodeEntry(line);
          if (typeof e === 'string') return bad(`DUMP line ${entries.length + 1}: ${e}`);
          entries.push(e);
        }
      }
      return { ok: true, msg: { kind: 'dump', map, entries } };
    }
    default:
      return bad('unknown verb');
  }
}
