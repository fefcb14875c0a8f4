/** A UA or next hop on a real UDP socket on 127.0.0.1, for the integration tests of the node's UDP listeners. */
import { createSocket, type Socket } from 'node:dgram';
import { buildResponse, parseMessage, type SipMessage } from '../../src/sip/message/index.ts';
import type { ListenerInfo } from '../../src/sip/transport/types.ts';

export interface Got { readonly msg: SipMessage; readonly fromPort: number }

/** A UA or next hop on a real UDP socket, recording what reaches it and from which port. */
export class Peer {
  readonly got: Got[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (data, rinfo) => {
      const r = parseMessage(data, { framing: 'datagram' });
      if (r.ok) this.got.push({ msg: r.value, fromPort: rinfo.port });
    });
  }

  static async open(): Promise<Peer> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new Peer(s);
  }

  get port(): number { return this.socket.address().port; }

  send(text: string | Buffer, to: ListenerInfo): void { this.socket.send(typeof text === 'string' ? Buffer.from(text) : text, to.port, to.address); }

  /** Answers a request that reached it, back to where it came from (its top Via: one of our listeners). */
  answer(req: SipMessage, st: number, reason: string, to: ListenerInfo): void {
    this.send(buildResponse(req, st, reason, { toTag: 'callee1' }).bytes, to);
  }

  async next(pred: (m: SipMessage) => boolean, ms = 3000): Promise<Got> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.got.findIndex((g) => pred(g.msg));
      if (i >= 0) return this.got.splice(i, 1)[0] as Got;
      if (Date.now() > end) throw new Error(`nothing matching arrived; got ${this.got.map((g) => g.msg.isRequest ? g.msg.method : g.msg.status).join(', ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void { this.socket.close(); }
}
