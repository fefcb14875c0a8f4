/**
 * What a transaction needs from outside: a way to put bytes on the wire, and the transaction
 * user (TU: the proxy core or a UAS) to tell about what happened. Messages are opaque to the
 * state machines — they see only status codes — so the machines are testable without a parser.
 */
export interface TxWire {
  /** Sends (or re-sends) serialized bytes to the transaction's peer. Returns false on a transport error. */
  send(data: Buffer): boolean;
  /** True for TCP/TLS/SCTP: no retransmissions and zero-length wait timers (§17.1.1.2, §17.2.1). */
  readonly reliable: boolean;
}

export type TxEnd = 'completed' | 'timeout' | 'transport-error' | 'no-ack';

export interface ClientTxUser<Res> {
  /** A response to pass up (provisional, final, and RFC 6026 2xx retransmissions for INVITE). */
  onResponse(res: Res, status: number): void;
  /** Timer B/F fired (→ 408 at the proxy) or the transport failed (→ 503). */
  onFailure(reason: 'timeout' | 'transport-error'): void;
  onTerminated(): void;
}

export interface ServerTxUser {
  /** Timer H fired without an ACK (§17.2.1), or a transport error while sending a response. */
  onFailure(reason: 'no-ack' | 'transport-error'): void;
  onTerminated(): void;
}
