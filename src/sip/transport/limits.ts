/** Transport limits (DESIGN.md §6: named, with units). Config may lower them per node. */

/** RFC 3261 §18.1.1 leaves the UDP size to the path MTU; 65535 is the datagram ceiling. */
export const MAX_SIP_MESSAGE_BYTES = 65535;
/**
 * Largest UDP payload over IPv4: 65 535 less the IPv4 (20) and UDP (8) headers. The kernel refuses
 * more (EMSGSIZE), and Node drops that error for a send without a callback, so it is checked first.
 */
export const MAX_UDP_PAYLOAD_BYTES_IPV4 = 65_507;
/** Over IPv6 (no jumbograms, RFC 2675): the payload length field counts the UDP header (8) only. */
export const MAX_UDP_PAYLOAD_BYTES_IPV6 = 65_527;
/** Header section of a stream message: anything longer without CRLFCRLF is not SIP. */
export const MAX_STREAM_HEADER_BYTES = 16384;
/** Digits accepted in Content-Length when framing a stream (more is an attack, not a message). */
export const MAX_CONTENT_LENGTH_DIGITS = 5;
/** Buffered but unsent bytes on one TCP connection before we give up on the peer. */
export const DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION = 262_144;
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 120_000;
/**
 * From the first bytes of a TCP message to its last: a message still incomplete then closes the
 * connection (OpenSIPS tcp_max_msg_time, 4 s by default): a peer trickling bytes would otherwise
 * hold its partial message — up to maxMessageBytes — and its connection slot for as long as it likes.
 */
export const DEFAULT_TCP_MAX_MESSAGE_TIME_MS = 4000;
export const DEFAULT_MAX_TCP_CONNECTIONS = 4096;
/** A TCP connect that has not completed by then fails the send (→ 503 upstream). */
export const TCP_CONNECT_TIMEOUT_MS = 5000;
/** Messages held for a TCP connection that is still connecting. */
export const MAX_PENDING_MESSAGES_PER_CONNECT = 64;
/** Kernel send/receive buffer asked for each UDP socket (capped by net.core.rmem_max/wmem_max). */
export const UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
