/**
 * RFC 3261 §17 timer values from one T1/T2/T4 policy (Table 4 in §A). Everything here is derived,
 * so a node configured with a different T1 (e.g. for a high-latency link) stays consistent.
 */
export interface TimerPolicy {
  /** RTT estimate, default 500 ms (§17.1.1.1). */
  readonly t1Ms: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  readonly t2Ms: number;
  /** Maximum time a message stays in the network, default 5 s. */
  readonly t4Ms: number;
  /** Proxy INVITE timer C (§16.6 step 11): "MUST be larger than 3 minutes"; 181 s by default. */
  readonly timerCMs: number;
}

export const DEFAULT_TIMER_POLICY: TimerPolicy = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000, timerCMs: 181_000 };

/** Timer B, F, H, J (unreliable), L and M: 64·T1 (§17.1.1.2, §17.1.2.2, §17.2.1, RFC 6026). */
export function sixtyFourT1(p: TimerPolicy): number {
  return 64 * p.t1Ms;
}

/**
 * Timer B or F of one client transaction: 64·T1, or less when its TU gives up sooner (a proxy's
 * no-reply timeout, OpenSIPS tm `fr_timeout`). Never more: a longer wait would outlast the
 * caller's own timer B/F (§17.1.1.2, §17.1.2.2), so `limitMs` above 64·T1 changes nothing.
 */
export function timerBFMs(p: TimerPolicy, limitMs: number | undefined): number {
  const t = sixtyFourT1(p);
  return limitMs === undefined || limitMs >= t ? t : limitMs;
}

/** Timer D: at least 32 s over UDP, zero over a reliable transport (§17.1.1.2). */
export function timerDMs(p: TimerPolicy, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, sixtyFourT1(p));
}

/** Timer I and K: T4 over UDP, zero over a reliable transport (§17.2.1, §17.1.2.2). */
export function t4OrZero(p: TimerPolicy, reliable: boolean): number {
  return reliable ? 0 : p.t4Ms;
}

/** Timer J: 64·T1 over UDP, zero over a reliable transport (§17.2.2). */
export function timerJMs(p: TimerPolicy, reliable: boolean): number {
  return reliable ? 0 : sixtyFourT1(p);
}
