/**
 * The proxy's relay timers from config `proxy:` (OpenSIPS tm fr_timeout / fr_inv_timeout): the
 * SipProxy options that make them every relay's defaults. A relay's own options override them.
 */
import { DEFAULT_TIMER_POLICY, type TimerPolicy } from '../sip/transaction/index.ts';
import type { NodeConfig } from './config/schema.ts';

export interface ProxyTimerOptions {
  /** RFC 3261 timers with timer C = `proxy.inviteTimeoutMs`. */
  readonly policy: TimerPolicy;
  /** `proxy.noReplyTimeoutMs`; absent: timer B/F alone. */
  readonly noReplyTimeoutMs?: number;
}

export function proxyTimerOptions(c: NodeConfig['proxy']): ProxyTimerOptions {
  const policy: TimerPolicy = { ...DEFAULT_TIMER_POLICY, timerCMs: c.inviteTimeoutMs };
  return c.noReplyTimeoutMs === undefined ? { policy } : { policy, noReplyTimeoutMs: c.noReplyTimeoutMs };
}
