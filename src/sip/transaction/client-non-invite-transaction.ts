import type { TimerHandle, Timers } from '../../lib/time.ts';
import { sixtyFourT1, t4OrZero, timerBFMs, type TimerPolicy } from './timer-policy.ts';
import type { ClientTxUser, TxWire } from './transaction-user.ts';

/** RFC 3261 §17.1.2 states. */
export type ClientNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 *   state       input            → next        actions
 *   trying      timer E          → trying      resend, E = min(2·E, T2) (UDP only)
 *   proceeding  timer E          → proceeding  resend, E = T2
 *   trying/pr.  timer F          → terminated  TU: timeout (64·T1)
 *   trying/pr.  TU timeout       → same        TU: timeout, stop timer E; matches on until 64·T1
 *   trying/pr.  64·T1 after it   → terminated  (no final response came)
 *   trying/pr.  1xx              → proceeding  TU: response
 *   trying/pr.  200-699          → completed   TU: response, start K (T4 UDP, 0 reliable)
 *   completed   any response     → completed   absorbed
 *   completed   timer K          → terminated
 *   any         transport error  → terminated  TU: transport-error
 */
export class ClientNonInviteTransaction<Res> {
  state: ClientNonInviteState = 'trying';
  private timerE: TimerHandle | undefined;
  private timerF: TimerHandle | undefined;
  private timerK: TimerHandle | undefined;
  private intervalE: number;
  /**
   * The TU's shorter wait (timeoutMs) ran out: it was told 'timeout' and the request is resent no
   * more, but the machine still matches responses until timer F's own 64·T1, so a late final is
   * absorbed here instead of being forwarded statelessly by a proxy after its own 408.
   */
  tuTimedOut = false;

  constructor(
    private readonly request: Buffer,
    private readonly wire: TxWire,
    private readonly timers: Timers,
    private readonly policy: TimerPolicy,
    private readonly user: ClientTxUser<Res>,
    /**
     * The TU's wait for a final response when shorter than 64·T1 (a proxy's no-reply timeout,
     * OpenSIPS tm `fr_timeout`, which a provisional response does not stop): the TU hears
     * 'timeout' then, as at timer F, and the machine lives on to 64·T1 (see tuTimedOut).
     */
    private readonly timeoutMs?: number,
  ) {
    this.intervalE = policy.t1Ms;
  }

  start(): void {
    if (!this.wire.send(this.request)) { this.fail('transport-error'); return; }
    if (!this.wire.reliable) this.timerE = this.timers.after(this.intervalE, () => this.onTimerE());
    this.timerF = this.timers.after(timerBFMs(this.policy, this.timeoutMs), () => this.onTimerF());
  }

  receiveResponse(res: Res, status: number): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    if (status < 200) {
      this.state = 'proceeding';
      this.user.onResponse(res, status);
      return;
    }
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.state = 'completed';
    this.user.onResponse(res, status);
    // The TU may have handed the Completed state off meanwhile (handOffCompleted).
    if (this.state === 'completed') this.timerK = this.timers.after(t4OrZero(this.policy, this.wire.reliable), () => this.terminate());
  }

  /**
   * Ends the machine in Completed over UDP without telling the TU: the proxy keeps the rest of
   * timer K in a compact entry that absorbs retransmitted finals (sip/proxy/completed-replies.ts).
   * False in any other state, and over a reliable transport (timer K is zero there).
   */
  handOffCompleted(): boolean {
    if (this.state !== 'completed' || this.wire.reliable) return false;
    this.timerK?.cancel();
    this.timerK = undefined;
    this.state = 'terminated';
    return true;
  }

  /**
   * The transport reports, after send returned, that the request could not go: Terminated, TU told
   * transport-error (§17.1.2.2). Ignored once a final response came.
   */
  transportError(): void {
    this.fail('transport-error');
  }

  private onTimerE(): void {
    this.timerE = undefined;
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    if (!this.wire.send(this.request)) { this.fail('transport-error'); return; }
    this.intervalE = this.state === 'trying' ? Math.min(2 * this.intervalE, this.policy.t2Ms) : this.policy.t2Ms;
    this.timerE = this.timers.after(this.intervalE, () => this.onTimerE());
  }

  private onTimerF(): void {
    this.timerF = undefined;
    if (this.state === 'completed' || this.state === 'terminated') return;
    if (this.tuTimedOut) { this.terminate(); return; } // 64·T1 after the request: forget it
    const restMs = sixtyFourT1(this.policy) - timerBFMs(this.policy, this.timeoutMs);
    if (restMs <= 0) { this.fail('timeout'); return; }
    this.tuTimedOut = true;
    this.timerE?.cancel();
    this.timerE = undefined;
    this.timerF = this.timers.after(restMs, () => this.onTimerF());
    this.user.onFailure('timeout');
  }

  private fail(reason: 'timeout' | 'transport-error'): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    this.user.onFailure(reason);
    this.terminate();
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.timerK?.cancel();
    this.state = 'terminated';
    this.user.onTerminated();
  }
}
