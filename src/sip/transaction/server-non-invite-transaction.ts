import type { TimerHandle, Timers } from '../../lib/time.ts';
import { timerJMs, type TimerPolicy } from './timer-policy.ts';
import type { ServerTxUser, TxWire } from './transaction-user.ts';

/** RFC 3261 §17.2.2 states. */
export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *   state       input               → next        actions
 *   trying      request retransmit  → trying      absorbed (no response yet)
 *   trying/pr.  TU 1xx              → proceeding  send
 *   proceeding  request retransmit  → proceeding  resend last provisional
 *   trying/pr.  TU 200-699          → completed   send, start J (64·T1 UDP, 0 reliable)
 *   completed   request retransmit  → completed   resend final
 *   completed   timer J             → terminated
 */
export class ServerNonInviteTransaction {
  state: ServerNonInviteState = 'trying';
  private lastResponse: Buffer | undefined;
  private timerJ: TimerHandle | undefined;
  finalStatus = 0;

  constructor(
    private readonly wire: TxWire,
    private readonly timers: Timers,
    private readonly policy: TimerPolicy,
    private readonly user: ServerTxUser,
  ) {}

  receiveRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse !== undefined) {
      this.sendOrFail(this.lastResponse);
    }
  }

  respond(status: number, data: Buffer): boolean {
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    this.lastResponse = data;
    if (!this.sendOrFail(data)) return true;
    if (status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.finalStatus = status;
    this.state = 'completed';
    this.timerJ = this.timers.after(timerJMs(this.policy, this.wire.reliable), () => this.terminate());
    return true;
  }

  /**
   * RFC 3261 §8.2.7 (stateless UAS): the final goes out and the machine ends at once, without the
   * Completed state and its timer J; a retransmitted request is then handled again as new. The TU
   * hears onTerminated as usual. OpenSIPS's and Kamailio's registrar answer REGISTER this way.
   */
  respondStateless(status: number, data: Buffer): boolean {
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    if (!this.sendOrFail(data)) return true;
    this.finalStatus = status;
    this.terminate();
    return true;
  }

  /**
   * The Completed state goes on elsewhere (a compact retransmission cache that resends the same
   * final until timer J): this machine stops its timer and ends without telling its user.
   */
  handOff(): Buffer | undefined {
    if (this.state !== 'completed') return undefined;
    this.timerJ?.cancel();
    this.timerJ = undefined;
    this.state = 'terminated';
    return this.lastResponse;
  }

  private sendOrFail(data: Buffer): boolean {
    if (this.wire.send(data)) return true;
    this.user.onFailure('transport-error');
    this.terminate();
    return false;
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.timerJ?.cancel();
    this.state = 'terminated';
    this.user.onTerminated();
  }
}
