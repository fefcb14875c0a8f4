import type { TimerHandle, Timers } from '../../lib/time.ts';
import { sixtyFourT1, timerBFMs, timerDMs, type TimerPolicy } from './timer-policy.ts';
import type { ClientTxUser, TxWire } from './transaction-user.ts';

/** RFC 3261 §17.1.1 states, plus 'accepted' from RFC 6026 §8.4. */
export type ClientInviteState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as amended by RFC 6026 §7.2/§8.4).
 *
 *   state       input                  → next        actions
 *   calling     timer A                → calling     resend request, A = 2·A (UDP only)
 *   calling     timer B                → terminated  TU: timeout (64·T1)
 *   calling     TU timeout (timeoutMs) → calling     TU: timeout, stop timer A; matches on until 64·T1
 *   calling/pr. 64·T1 after a TU timeout → terminated (no response, or only provisional ones)
 *   calling     1xx                    → proceeding  TU: response
 *   calling/pr. 2xx                    → accepted    TU: response, start M (64·T1)
 *   calling/pr. 300-699                → completed   send ACK, TU: response, start D
 *   proceeding  1xx                    → proceeding  TU: response
 *   accepted    2xx                    → accepted    TU: response (a proxy forwards 2xx retransmissions)
 *   completed   300-699                → completed   resend ACK (not passed up)
 *   completed   timer D                → terminated
 *   accepted    timer M                → terminated
 *   any         transport error        → terminated  TU: transport-error
 */
export class ClientInviteTransaction<Res> {
  state: ClientInviteState = 'calling';
  private timerA: TimerHandle | undefined;
  private timerB: TimerHandle | undefined;
  private timerEnd: TimerHandle | undefined;
  private intervalA: number;
  private ack: Buffer | undefined;
  /**
   * The TU's shorter wait (timeoutMs) ran out: it was told 'timeout' and the request is resent no
   * more, but the machine still matches responses until timer B's own 64·T1, so a late one reaches
   * the TU (which may CANCEL after a provisional) instead of being forwarded statelessly.
   */
  tuTimedOut = false;

  constructor(
    private readonly request: Buffer,
    private readonly wire: TxWire,
    private readonly timers: Timers,
    private readonly policy: TimerPolicy,
    private readonly user: ClientTxUser<Res>,
    /** Builds the hop-by-hop ACK for a non-2xx final response (§17.1.1.3). */
    private readonly buildAck: (res: Res) => Buffer,
    /**
     * The TU's wait for a first response when shorter than 64·T1 (a proxy's no-reply timeout,
     * OpenSIPS tm `fr_timeout`): the TU hears 'timeout' then, as at timer B, and retransmissions
     * stop; the machine itself lives on to 64·T1 (see tuTimedOut), as OpenSIPS keeps a branch it
     * faked a 408 for. It only acts in Calling, so any response, a 100 included, takes it out of
     * play (timer C then, §16.8).
     */
    private readonly timeoutMs?: number,
  ) {
    this.intervalA = policy.t1Ms;
  }

  /** Sends the request and starts timers A and B. */
  start(): void {
    if (!this.wire.send(this.request)) { this.fail('transport-error'); return; }
    if (!this.wire.reliable) this.timerA = this.timers.after(this.intervalA, () => this.onTimerA());
    this.timerB = this.timers.after(timerBFMs(this.policy, this.timeoutMs), () => this.onTimerB());
  }

  receiveResponse(res: Res, status: number): void {
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          this.state = 'proceeding';
          this.cancel('A');
          this.user.onResponse(res, status);
        } else if (status < 300) {
          this.cancel('A');
          this.cancel('B');
          this.state = 'accepted';
          this.timerEnd = this.timers.after(sixtyFourT1(this.policy), () => this.terminate());
          this.user.onResponse(res, status);
        } else {
          this.cancel('A');
          this.cancel('B');
          this.state = 'completed';
          this.ack = this.buildAck(res);
          if (!this.wire.send(this.ack)) { this.fail('transport-error'); return; }
          this.user.onResponse(res, status);
          this.timerEnd = this.timers.after(timerDMs(this.policy, this.wire.reliable), () => this.terminate());
        }
        return;
      case 'completed':
        if (status >= 300 && this.ack !== undefined) this.wire.send(this.ack);
        return;
      case 'accepted':
        if (status >= 200 && status < 300) this.user.onResponse(res, status);
        return;
      case 'terminated':
        return;
    }
  }

  /**
   * Ends the machine in Accepted without telling the TU: the proxy keeps the rest of timer M in a
   * compact entry that forwards retransmitted 2xx (sip/proxy/completed-replies.ts).
   */
  handOffAccepted(): boolean {
    if (this.state !== 'accepted') return false;
    this.timerEnd?.cancel();
    this.timerEnd = undefined;
    this.state = 'terminated';
    return true;
  }

  /**
   * The transport reports, after send returned, that the request could not go: Terminated, TU told
   * transport-error (§17.1.1.2). Ignored once a final response came (Completed, Accepted).
   */
  transportError(): void {
    if (this.state === 'calling' || this.state === 'proceeding') this.fail('transport-error');
  }

  /** The TU gives up (e.g. CANCEL answered and no final response): stop retransmitting. */
  stopRetransmissions(): void {
    this.cancel('A');
  }

  private onTimerA(): void {
    this.timerA = undefined;
    if (this.state !== 'calling') return;
    if (!this.wire.send(this.request)) { this.fail('transport-error'); return; }
    this.intervalA *= 2;
    this.timerA = this.timers.after(this.intervalA, () => this.onTimerA());
  }

  private onTimerB(): void {
    this.timerB = undefined;
    if (this.state !== 'calling' || this.tuTimedOut) return;
    const restMs = sixtyFourT1(this.policy) - timerBFMs(this.policy, this.timeoutMs);
    if (restMs <= 0) { this.fail('timeout'); return; }
    this.tuTimedOut = true;
    this.cancel('A');
    // Still timer B's slot: a 1xx leaves it running (Proceeding has no timer of its own), a final
    // response cancels it for timer D or M.
    this.timerB = this.timers.after(restMs, () => this.onLifetimeEnd());
    this.user.onFailure('timeout');
  }

  /** 64·T1 after the request, the TU having timed out, no final response came: forget the transaction. */
  private onLifetimeEnd(): void {
    this.timerB = undefined;
    if (this.state === 'calling' || this.state === 'proceeding') this.terminate();
  }

  private fail(reason: 'timeout' | 'transport-error'): void {
    if (this.state === 'terminated') return;
    this.user.onFailure(reason);
    this.terminate();
  }

  private cancel(which: 'A' | 'B'): void {
    if (which === 'A') { this.timerA?.cancel(); this.timerA = undefined; } else { this.timerB?.cancel(); this.timerB = undefined; }
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.cancel('A');
    this.cancel('B');
    this.timerEnd?.cancel();
    this.state = 'terminated';
    this.user.onTerminated();
  }
}
