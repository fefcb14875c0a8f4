import type { Socket as DgramSocket } from 'node:dgram';
import { NativeUdpSocket } from './native-udp.ts';
import type { SendWatcher } from './types.ts';

/** A socket of either UDP engine (native-udp.ts, node:dgram). */
export type UdpSocket = DgramSocket | NativeUdpSocket;

/** Datagrams held before a flush is forced: bounds the memory and the delay of one burst. */
export const UDP_SEND_BATCH_MAX = 64;

/** Runs `fn` once the current turn's I/O callbacks are done (setImmediate: the check phase). */
export type AfterIo = (fn: () => void) => void;

export const afterIo: AfterIo = (fn) => { setImmediate(fn); };

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
 *
 * Node drops a kernel refusal (EHOSTUNREACH, ENETUNREACH, EACCES…) of a send given no callback,
 * and a callback costs a call back into JavaScript per datagram. So only a datagram pushed with a
 * watcher (a proxy branch's request, whose failure is a 503 and a failover now rather than a timer
 * B/F later) is sent with one: a refusal then reaches `onRefused` and the watcher. The others — the
 * answers, the bulk — are sent as before, and a refusal of theirs stays unseen.
 */
export class UdpSendQueue {
  private sockets: UdpSocket[] = [];
  private datas: Buffer[] = [];
  private ports: number[] = [];
  private addresses: string[] = [];
  /** Watchers by index in this batch; made only when a datagram has one (none on the answer path). */
  private watchers: Array<SendWatcher | undefined> | undefined;
  private scheduled = false;
  private readonly flushBound = (): void => { this.scheduled = false; this.flush(); };

  constructor(
    private readonly onError: () => void,
    private readonly schedule: AfterIo = afterIo,
    private readonly max = UDP_SEND_BATCH_MAX,
    /**
     * The kernel (or the lookup of a name) refused a datagram: with node:dgram only a watched one is
     * ever told (`watched` true), with the native engine every one.
     */
    private readonly onRefused: (address: string, port: number, err: Error, watched: boolean) => void = () => {},
  ) {}

  /** Datagrams waiting (for tests). */
  get size(): number {
    return this.datas.length;
  }

  push(socket: UdpSocket, data: Buffer, port: number, address: string, watcher?: SendWatcher): void {
    if (watcher !== undefined) (this.watchers ??= [])[this.datas.length] = watcher;
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
    const { sockets, datas, ports, addresses, watchers } = this;
    // New arrays before sending: a send that re-enters push (an 'error' listener sending) queues
    // behind this batch instead of into the arrays being walked.
    this.sockets = [];
    this.datas = [];
    this.ports = [];
    this.addresses = [];
    this.watchers = undefined;
    for (let i = 0; i < n; i++) {
      const s = sockets[i] as UdpSocket;
      if (s instanceof NativeUdpSocket) {
        // The run of datagrams for the same socket leaves in one system call (sendmmsg).
        let j = i + 1;
        while (j < n && sockets[j] === s) j++;
        s.sendMany(datas, ports, addresses, watchers, i, j, (k, err, badTarget) => {
          const w = watchers?.[k];
          if (badTarget) this.onError();
          else this.onRefused(addresses[k] as string, ports[k] as number, err, w !== undefined);
          w?.sendFailed(datas[k] as Buffer);
        });
        i = j - 1;
        continue;
      }
      const w = watchers?.[i];
      try {
        // No completion callback unless watched: it costs a closure and a call per datagram.
        if (w === undefined) s.send(datas[i] as Buffer, ports[i] as number, addresses[i] as string);
        else this.sendWatched(s, datas[i] as Buffer, ports[i] as number, addresses[i] as string, w);
      } catch {
        this.onError();
        w?.sendFailed(datas[i] as Buffer);
      }
    }
  }

  private sendWatched(socket: DgramSocket, data: Buffer, port: number, address: string, w: SendWatcher): void {
    socket.send(data, port, address, (err) => {
      if (err === null || err === undefined) return;
      this.onRefused(address, port, err, true);
      w.sendFailed(data);
    });
  }
}
