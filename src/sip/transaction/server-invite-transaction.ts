import type { TimerHandle, Timers } from '../../lib/time.ts';
import { sixtyFourT1, t4OrZero, type TimerPolicy } from './timer-policy.ts';
import type { ServerTxUser, TxWire } from './transaction-user.ts';

/** RFC 3261 §17.2.1 states, plus 'accepted' from RFC 6026 §8.7. */
export type ServerInviteState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as amended by RFC 6026 §7.1/§8.7).
 *
 *   state       input               → next        actions
 *   proceeding  request retransmit  → proceeding  resend last provisional response
 *   proceeding  TU 1xx              → proceeding  send
 *   proceeding  TU 2xx              → accepted    send, start L (64·T1)
 *   proceeding  TU 300-699          → completed   send, start G (UDP) and H (64·T1)
 *   completed   request retransmit  → completed   resend final response
 *   completed   timer G             → completed   resend, G = min(2·G, T2)
 *   completed   ACK                 → confirmed   start I (T4 UDP, 0 reliable)
 *   completed   timer H             → terminated  TU: no-ack
 *   confirmed   ACK / retransmit    → confirmed   absorbed
 *   confirmed   timer I             → terminated
 *   accepted    request retransmit  → accepted    absorbed (RFC 6026 §8.7)
 *   accepted    TU 2xx (retransmit) → accepted    send
 *   accepted    timer L             → terminated
 */
export class ServerInviteTransaction {
  state: ServerInviteState = 'proceeding';
  private lastResponse: Buffer | undefined;
  private timerG: TimerHandle | undefined;
  private timerEnd: TimerHandle | undefined;
  private intervalG: number;
  /** Status of the final response sent, for ACK matching and logs. */
  finalStatus = 0;

  constructor(
    private readonly wire: TxWire,
    private readonly timers: Timers,
    private readonly policy: TimerPolicy,
    private readonly user: ServerTxUser,
  ) {
    this.intervalG = policy.t1Ms;
  }

  /** The 300–699 final sent (Completed, Confirmed): an RFC 2543 ACK must carry its To tag (§17.2.3). */
  get nonSuccessFinal(): Buffer | undefined {
    return this.finalStatus >= 300 ? this.lastResponse : undefined;
  }

  /** A retransmission of the INVITE arrived (§17.2.1: resend the most recent response). */
  receiveRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse !== undefined) {
      this.sendOrFail(this.lastResponse);
    }
  }

  /** An ACK for a non-2xx final response matched this transaction. */
  receiveAck(): void {
    if (this.state !== 'completed') return;
    this.timerG?.cancel();
    this.timerEnd?.cancel();
    this.state = 'confirmed';
    this.timerEnd = this.timers.after(t4OrZero(this.policy, this.wire.reliable), () => this.terminate());
  }

  /** The TU sends a response through the transaction. Returns false if the state forbids it. */
  respond(status: number, data: Buffer): boolean {
    if (this.state === 'proceeding') {
      this.lastResponse = data;
      if (!this.sendOrFail(data)) return true;
      if (status < 200) return true;
      if (status < 300) {
        this.finalStatus = status;
        this.state = 'accepted';
        this.timerEnd = this.timers.after(sixtyFourT1(this.policy), () => this.terminate());
        return true;
      }
      this.finalStatus = status;
      this.state = 'completed';
      if (!this.wire.reliable) this.timerG = this.timers.after(this.intervalG, () => this.onTimerG());
      this.timerEnd = this.timers.after(sixtyFourT1(this.policy), () => this.onTimerH());
      return true;
    }
    if (this.state === 'accepted' && status >= 200 && status < 300) {
      this.sendOrFail(data);
      return true;
    }
    return false;
  }

  /**
   * Ends the machine in Accepted without telling the TU: the proxy keeps the rest of timer L in a
   * compact entry (sip/proxy/completed-replies.ts). False in any other state.
   */
  handOffAccepted(): boolean {
    if (this.state !== 'accepted') return false;
    this.timerEnd?.cancel();
    this.timerEnd = undefined;
    this.lastResponse = undefined;
    this.state = 'terminated';
    return true;
  }

  private onTimerG(): void {
    this.timerG = undefined;
    if (this.state !== 'completed' || this.lastResponse === undefined) return;
    if (!this.sendOrFail(this.lastResponse)) return;
    this.intervalG = Math.min(2 * this.intervalG, this.policy.t2Ms);
    this.timerG = this.timers.after(this.intervalG, () => this.onTimerG());
  }

  private onTimerH(): void {
    if (this.state !== 'completed') return;
    this.user.onFailure('no-ack');
    this.terminate();
  }

  private sendOrFail(data: Buffer): boolean {
    if (this.wire.send(data)) return true;
    this.user.onFailure('transport-error');
    this.terminate();
    return false;
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.timerG?.cancel();
    this.timerEnd?.cancel();
    this.state = 'terminated';
    this.user.onTerminated();
  }
}
