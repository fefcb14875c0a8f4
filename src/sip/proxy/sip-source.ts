/**
 * Where a message came from and where one goes, as the SIP core sees it. These mirror the
 * transport's ReceiveInfo/SendTarget (src/sip/transport/types.ts) structurally: the proxy folder
 * may not import the transport (DESIGN.md §2), and src/app passes one for the other.
 */
export type SipProto = 'udp' | 'tcp';

export interface SipSource {
  readonly proto: SipProto;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly connectionId?: number;
}

/**
 * `localAddress`/`localPort`: the UDP listener to send from (a SipSource's local pair, or the
 * listener a forwarded request's Via names); absent, the transport's default for the family.
 */
export interface SipTarget {
  readonly proto: SipProto;
  readonly address: string;
  readonly port: number;
  readonly connectionId?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
}

/**
 * Told when a message the transport took (send returned true) could not be delivered after all: a
 * TCP connection that failed before it was established, a datagram the kernel refused when the UDP
 * queue handed it over. `data` is the Buffer given to send, so the watcher can tell which of its
 * messages it was.
 */
export interface SendWatcher {
  sendFailed(data: Buffer): void;
}

/**
 * The core's only way out. Returns false when the transport refused the message at once; a failure
 * found later reaches `watcher`, when one is given (a proxy branch's request, RFC 3261 §16.9).
 */
export interface SipOutput {
  send(target: SipTarget, data: Buffer, watcher?: SendWatcher): boolean;
}

export function isReliable(proto: SipProto): boolean {
  return proto !== 'udp';
}
