/**
 * Retransmission of the 2xx responses this node itself sends to an INVITE (the script's
 * `ctx.reply(200, …)`), until their ACK.
 *
 * The INVITE server transaction hands a 2xx to its user and goes Accepted (RFC 6026 §7.1, §8.7):
 * it does not resend it. RFC 3261 §13.3.1.4 gives that job to the UAS core: over an unreliable
 * transport the 2xx is passed to the transport again at T1, then at intervals doubling up to T2,
 * until the ACK arrives; after 64·T1 without one the retransmissions stop (and the session SHOULD
 * be ended: here it is counted, `tm:local_2xx_no_ack`, and no BYE is sent). OpenSIPS tm does the same
 * for a t_reply 2xx to an INVITE (its retransmission timer runs until the e2e ACK). Over TCP
 * nothing is resent (§17.1.1.2: the transport does it). A relayed 2xx is the callee's to resend,
 * end to end (§16.7 step 5 only forwards it): it never comes here.
 *
 * The ACK of a 2xx is a transaction of its own (§17.1.1.3, new branch), so it is matched by its
 * dialog (§12.2.2: Call-ID, From tag, To tag of our 2xx) and CSeq number. It was for us: it is
 * absorbed, not handed to the script, which would loose-route it to a callee that never saw the
 * INVITE. The caller sends an ACK for each 2xx retransmission it gets (§13.2.2.4), so an ACK that
 * crossed one of ours has followers: the entry stays, without its bytes and without resending,
 * until 64·T1 after the 2xx, absorbing them. An entry thus lives 64·T1 at most (32 s), one per local
 * 2xx over UDP, with one timer.
 */
import type { TimerHandle, Timers } from '../../lib/time.ts';
import { deriveToTag, ownString, type SipMessage } from '../message/index.ts';
import { sixtyFourT1, type TimerPolicy } from '../transaction/index.ts';
import type { ProxyCounters } from './proxy-counters.ts';
import type { SipOutput, SipTarget } from './sip-source.ts';

/** One local 2xx over UDP, from when it was sent to 64·T1 later. */
class Pending2xx {
  /** The 2xx as sent; dropped at the ACK. */
  bytes: Buffer | undefined;
  /** Time since the 2xx at which the timer fires next, and the interval after that firing. */
  atMs: number;
  intervalMs: number;
  timer: TimerHandle | undefined = undefined;

  constructor(readonly key: string, readonly target: SipTarget, bytes: Buffer, t1Ms: number) {
    this.bytes = bytes;
    this.atMs = t1Ms;
    this.intervalMs = t1Ms;
  }
}

export class Local2xxRetransmits {
  private readonly pending = new Map<string, Pending2xx>();

  constructor(
    private readonly out: SipOutput,
    private readonly timers: Timers,
    private readonly policy: TimerPolicy,
    private readonly counters: ProxyCounters,
  ) {}

  /** Entries held (2xx awaiting their ACK, or acknowledged within their 64·T1). */
  get size(): number { return this.pending.size; }

  /**
   * `res`, a 2xx just sent to `invite` over UDP toward `target`, is resent until its ACK.
   * `toTag`: the tag the script gave (ReplyOptions.toTag); the request's own wins (§8.2.6.2), else
   * the one the response builder derives.
   */
  start(invite: SipMessage, toTag: string | undefined, target: SipTarget, res: Buffer): void {
    const tag = invite.to.tag ?? toTag ?? deriveToTag(invite);
    // Of its own: slices would keep the request's header block for the entry's life.
    const key = ownString(dialogKey(invite, tag));
    this.pending.get(key)?.timer?.cancel();
    // A copy of its own: `res` may be a view of Node's shared 8 KB pool (byte-slabs.ts).
    const bytes = Buffer.allocUnsafeSlow(res.length);
    bytes.set(res);
    const e = new Pending2xx(key, target, bytes, this.policy.t1Ms);
    this.pending.set(key, e);
    e.timer = this.timers.after(e.atMs, () => this.fire(e));
  }

  /** An ACK no server transaction matched: true when it acknowledges a local 2xx (absorb it). */
  receiveAck(ack: SipMessage): boolean {
    const tag = ack.to.tag;
    if (tag === undefined) return false;
    const e = this.pending.get(dialogKey(ack, tag));
    if (e === undefined) return false;
    this.counters.local2xxAcks.inc();
    e.bytes = undefined;
    return true;
  }

  private fire(e: Pending2xx): void {
    e.timer = undefined;
    if (this.pending.get(e.key) !== e) return;
    const lifeMs = sixtyFourT1(this.policy);
    if (e.atMs >= lifeMs) {
      if (e.bytes !== undefined) this.counters.local2xxNoAck.inc();
      this.pending.delete(e.key);
      return;
    }
    if (e.bytes === undefined) {
      // Acknowledged: absorb its ACKs' followers until 64·T1, with no more firings on the way.
      this.arm(e, lifeMs - e.atMs);
      return;
    }
    this.counters.local2xxRetransmissions.inc();
    this.out.send(e.target, e.bytes);
    e.intervalMs = Math.min(2 * e.intervalMs, this.policy.t2Ms);
    this.arm(e, Math.min(e.intervalMs, lifeMs - e.atMs));
  }

  private arm(e: Pending2xx, delayMs: number): void {
    e.atMs += delayMs;
    e.timer = this.timers.after(delayMs, () => this.fire(e));
  }
}

/** §12.2.2 dialog identifiers and the CSeq number the ACK shares with its INVITE (§13.2.2.4). */
function dialogKey(m: SipMessage, toTag: string): string {
  return `${m.callId}\n${m.cseq.seq}\n${m.from.tag ?? ''}\n${toTag}`;
}
