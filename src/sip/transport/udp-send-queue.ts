import type { Socket as UdpSocket } from 'node:dgram';

/** Datagrams held before a flush is forced: bounds the memory and the delay of one burst. */
export const UDP_SEND_BATCH_MAX = 64;

/** Runs `fn` once the current turn's I/O callbacks are done (setImmediate: the check phase). */
export type AfterIo = (fn: () => void) => void;

const afterIo: AfterIo = (fn) => { setImmediate(fn); };

/**
 * UDP datagrams held until the event loop has handled the I/O of this turn, then handed to the
 * kernel back to back, in order.
 *
 * Why: libuv reads up to 32 datagrams per wake-up and runs our handler for each. Sending each
 * answer from inside its handler interleaves our sends with our parsing; the peer (a phone, a
 * proxy, SIPp), woken by the first answer, has often gone back to sleep before the next one, and
 * every `sendmsg` then pays the wake-up in our time (on a paravirtualised VM an exit to the
 * hypervisor per datagram). Sent together after the burst, the answers find the peer awake.
 * Measured with `npm run bench:ab` (docs/performance.md, session 13): a REGISTER costs ~5 % less
 * and a digest REGISTER pair ~12 % less at 10 000/s. The delay is the rest of the turn: tens of
 * microseconds, nothing against a SIP timer (T1 = 500 ms).
 *
 * A send that throws when flushed (the socket closed meanwhile) is reported through `onError`,
 * never thrown: the handler that queued the datagram is long gone.
 */
export class UdpSendQueue {
  private sockets: UdpSocket[] = [];
  private datas: Buffer[] = [];
  private ports: number[] = [];
  private addresses: string[] = [];
  private scheduled = false;
  private readonly flushBound = (): void => { this.scheduled = false; this.flush(); };

  constructor(
    private readonly onError: () => void,
    private readonly schedule: AfterIo = afterIo,
    private readonly max = UDP_SEND_BATCH_MAX,
  ) {}

  /** Datagrams waiting (for tests). */
  get size(): number {
    return this.datas.length;
  }

  push(socket: UdpSocket, data: Buffer, port: number, address: string): void {
    this.sockets.push(socket);
    this.datas.push(data);
    this.ports.push(port);
    this.addresses.push(address);
    if (this.datas.length >= this.max) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.flushBound);
    }
  }

  /** Hands every held datagram to its socket, oldest first. */
  flush(): void {
    const n = this.datas.length;
    if (n === 0) return;
    const { sockets, datas, ports, addresses } = this;
    // New arrays before sending: a send that re-enters push (an 'error' listener sending) queues
    // behind this batch instead of into the arrays being walked.
    this.sockets = [];
    this.datas = [];
    this.ports = [];
    this.addresses = [];
    for (let i = 0; i < n; i++) {
      try {
        // No completion callback: it costs a closure and a request wrap per datagram; kernel
        // errors on UDP surface as the socket's 'error' event.
        (sockets[i] as UdpSocket).send(datas[i] as Buffer, ports[i] as number, addresses[i] as string);
      } catch {
        this.onError();
      }
    }
  }
}
