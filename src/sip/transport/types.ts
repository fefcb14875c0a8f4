/** The SIP transports a node listens on. TLS and WS come later (DESIGN.md §2). */
export type SipProto = 'udp' | 'tcp';

/** Where a message came from and on which of our sockets. */
export interface ReceiveInfo {
  readonly proto: SipProto;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** For TCP: the connection it arrived on, so responses can go back on it (RFC 3261 §18.2.2). */
  readonly connectionId?: number;
}

/**
 * Where to send: a transport and an address; for TCP optionally a known connection. For UDP
 * optionally the listener to send from (`localAddress`/`localPort`, as ReceiveInfo names it): a
 * response leaves from the socket its request arrived on (RFC 3581 §4, RFC 3261 §18.2.2) and a
 * forwarded request from the listener its Via names (OpenSIPS send socket). Without them, or when
 * no such listener exists, the first UDP listener of the destination's address family sends. TCP
 * ignores them: a new connection leaves from an ephemeral port whatever listener the Via names.
 */
export interface SendTarget {
  readonly proto: SipProto;
  readonly address: string;
  readonly port: number;
  readonly connectionId?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
}

/**
 * `sent`: handed to the connection, or for UDP queued for the kernel before this event-loop turn
 * ends (udp-send-queue.ts). `bad-target`: no port 1–65535 (a Via may say port 0: the grammar
 * allows it); a datagram Node refuses when it is flushed is counted in `net:bad_send_targets` too.
 * `too-large`: a UDP datagram over the largest payload of its family (limits.ts), never queued.
 */
export type SendResult = 'sent' | 'queued' | 'no-listener' | 'overloaded' | 'bad-target' | 'too-large';

export interface ListenerInfo {
  readonly proto: SipProto;
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** Called for every whole SIP message received (one datagram, or one framed TCP message). */
export type MessageSink = (data: Buffer, info: ReceiveInfo) => void;

/**
 * Told when a message send() took ('sent', 'queued') could not be delivered after all: the TCP
 * connection failed before it was established, or lost the message after (a write error, closed
 * with it still buffered, held while connecting and over the write cap when flushed); the kernel
 * refused the datagram when the UDP queue handed it over. Never before send() returned. `data` is the Buffer given to send. The proxy's SendWatcher, mirrored.
 */
export interface SendWatcher {
  sendFailed(data: Buffer): void;
}

/** Called when a message could not be delivered (TCP connect failure, a datagram too large for UDP). */
export type SendErrorSink = (target: SendTarget, code: string, message: string) => void;
