/**
 * Hard limits on untrusted SIP input. Every limit is checked before the work it bounds, so a hostile
 * datagram costs at most these many steps. Values are generous enough for RFC 4475 longreq.dat
 * (a 34-value Via chain and header values of several hundred bytes) and for real traffic.
 */

/** RFC 3261 §18.1.1: UDP carries at most 65535 bytes; we never accept a larger message on any transport. */
export const MAX_MESSAGE_BYTES = 65535;

/** Header lines (not values) per message. Real messages carry 10–40. */
export const MAX_HEADERS = 256;

/**
 * Bytes of the start line, and of one header line together with its continuation lines (RFC 3261
 * §7.3.1 folding): a folded header is held to the same limit as an unfolded one.
 */
export const MAX_LINE_BYTES = 8192;

/** Via values in one message (all Via lines, comma-split). longreq.dat has 34. */
export const MAX_VIA_COUNT = 70;

/** Values in one comma-separated header (Route, Record-Route, Contact...). */
export const MAX_LIST_VALUES = 128;

/** Digits of Content-Length: 5 digits is already more than MAX_MESSAGE_BYTES. */
export const MAX_CONTENT_LENGTH_DIGITS = 5;

/** Bytes of a URI (Request-URI or inside a name-addr). */
export const MAX_URI_BYTES = 4096;

/** Bytes of a method token (RFC 3261 §25.1 Method = extension-method = token). */
export const MAX_METHOD_BYTES = 64;

/** Parameters on one URI, Via or name-addr. */
export const MAX_PARAMS = 64;

/** RFC 3261 §8.1.1.6: Max-Forwards is 0..255 (RFC 4475 scalar02 carries 300). */
export const MAX_MAX_FORWARDS = 255;

/** RFC 3261 §8.1.1.5: the CSeq sequence number is less than 2**31 when generated, at most 2**32-1 when read. */
export const MAX_CSEQ = 0xffffffff;

/** RFC 3261 §20.19: Expires is a 32-bit delta-seconds; larger values are malformed (RFC 4475 scalar02). */
export const MAX_EXPIRES = 0xffffffff;

/** RFC 3261 §16.6 step 3: the value a proxy adds when a request carries no Max-Forwards. */
export const DEFAULT_MAX_FORWARDS = 70;
