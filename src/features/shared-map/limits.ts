/**
 * Bounds of the replicated key/value maps (a `MAP:` message is untrusted input from the network).
 * A message or field past a bound is malformed: counted in `map:malformed` and dropped.
 */

/** Map names: letters, digits, `_` and `-`, at most this long (they also name statistics). */
export const MAX_MAP_NAME_CHARS = 32;
/** Keys: printable ASCII without `:` (the field separator), at most this long. */
export const MAX_KEY_CHARS = 128;
/** Values: anything on one line (a SIP URI, a JSON blob), at most this long. */
export const MAX_VALUE_CHARS = 512;
/** Longest lifetime an owner may give an entry; a larger TTL from a peer is clamped to it. */
export const MAX_TTL_MS = 24 * 3600 * 1000;
/**
 * Shortest TTL: the owner refreshes every TTL/3, checked every 250 ms (src/app/shared-map-wiring.ts);
 * a shorter TTL would lapse between two checks, and flood the cluster before that.
 */
export const MIN_TTL_MS = 1000;
/** Entries one map holds at most; past it new keys are refused (`FEATURE_MAP_TABLE_FULL`). */
export const MAX_ENTRIES = 100_000;
/**
 * Longest `MAP:` message read or written, in characters: one GENERIC_MSG must fit one BIN packet
 * (65515 bytes with the headers), and a DUMP reply stops adding lines before this.
 */
export const MAX_MESSAGE_CHARS = 60_000;
/**
 * UTF-8 bytes of a DUMP reply we send: a BIN packet carries at most 65 515 bytes (proto_bin), and
 * the GENERIC_MSG around the text takes its tag, names and the routing trailer. Counted in bytes,
 * not characters: 60 000 characters of non-ASCII values are up to 180 000 bytes, a reply the
 * cluster layer would refuse and the asker would never get.
 */
export const MAX_DUMP_BYTES = 60_000;
