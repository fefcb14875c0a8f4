/**
 * Named limits of the registrar (DESIGN.md §6: limits are named constants with units).
 * Defaults follow OpenSIPS's registrar/usrloc modules where they have one.
 */

/** OpenSIPS registrar `default_expires`: used when neither Expires header nor parameter is given. */
export const DEFAULT_EXPIRES_SEC = 3600;
/** OpenSIPS registrar `min_expires` default (0 = no minimum); we use 60, as RFC 3261 §10.3 step 7 suggests a minimum is wise. */
export const DEFAULT_MIN_EXPIRES_SEC = 60;
/** OpenSIPS registrar `max_expires` default (0 = none); we cap at one day. */
export const DEFAULT_MAX_EXPIRES_SEC = 86_400;
/** Bindings per AoR before REGISTER is refused (OpenSIPS `max_contacts`, 0 = unlimited there). */
export const DEFAULT_MAX_CONTACTS_PER_AOR = 10;

/** OpenSIPS usrloc `hash_size` as shown by ul_dump; purely informational here (our map grows itself). */
export const USRLOC_HASH_SIZE = 512;
/** The OpenSIPS MI/DB name of the location table (`ul_dump` "Domains[].name"). */
export const LOCATION_TABLE = 'location';

/** Methods bitmask meaning "all methods" (OpenSIPS ALL_METHODS, shown as 4294967295 in ul_dump). */
export const ALL_METHODS = 0xffff_ffff;
/** q-value stored when the Contact has none (OpenSIPS Q_UNSPECIFIED; ul_dump shows "Q":""). */
export const Q_UNSPECIFIED = -1;

/** How long a nonce is accepted after it was issued (OpenSIPS auth `nonce_expire` default 30 s). */
export const DEFAULT_NONCE_LIFETIME_SEC = 30;
/** How far in the future a nonce timestamp may be (clock skew between cluster nodes). */
export const NONCE_FUTURE_SKEW_SEC = 5;
/** Nonces whose nonce-counts we remember at once; the oldest is forgotten first. */
export const DEFAULT_NONCE_TRACK_CAPACITY = 100_000;
/** Out-of-order nonce-counts accepted below the highest seen (UDP may reorder retransmitted requests). */
export const NC_WINDOW = 32;
/** Longest Authorization header value we parse; longer ones are refused unparsed. */
export const MAX_CREDENTIALS_BYTES = 4096;
/** Most auth-params accepted in one credentials value. */
export const MAX_AUTH_PARAMS = 32;

/** Strings kept in one interning pool (user agents, sockets, paths) before it stops growing. */
export const STRING_POOL_CAPACITY = 10_000;

/** How long a NAT ping waits for its reply before it counts as lost (OpenSIPS nathelper `ping_threshold`, 3 s). */
export const DEFAULT_NAT_PING_REPLY_TIMEOUT_MS = 3000;
/** How often the NAT pinger wakes to send its next slice of pings (the interval is spread over these ticks). */
export const NAT_PING_TICK_MS = 1000;
/**
 * OPTIONS pings awaiting a reply at once. Spread over the interval, this is about
 * contacts × replyTimeout / interval (1 M contacts, 30 s, 3 s: 100 000); beyond it a ping still goes
 * out (the NAT binding still needs it) but is not followed.
 */
export const MAX_OUTSTANDING_NAT_PINGS = 200_000;
