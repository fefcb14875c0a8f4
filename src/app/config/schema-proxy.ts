import { z } from 'zod';
import { MAX_TIMER_MS, positiveMs } from './schema-common.ts';

/**
 * RFC 3261 §16.6 step 11: timer C "MUST be larger than 3 minutes". The node-wide default is held to
 * it; a script that wants a shorter wait says so per relay (relay option `timeoutMs`, as OpenSIPS
 * scripts set `$T_fr_inv_timeout`), where it is a choice for those calls, not every call's default.
 */
export const MIN_TIMER_C_MS = 180_001;

/**
 * Defaults of the stateful proxy's relays, named after OpenSIPS tm's modparams. A relay's own
 * options (`ctx.relay(targets, { noReplyTimeoutMs, timeoutMs })`) override them.
 */
export const proxySchema = z.strictObject({
  /**
   * OpenSIPS `fr_timeout`: how long a branch waits for a reply before it ends as a local 408 (the
   * failure handler runs; a host name's next target is tried). INVITE: until any response, a 100
   * included; other requests: until a final response. It shortens timer B/F (64·T1 = 32 s): a
   * longer value changes nothing. Unset (default): timer B/F, as RFC 3261 §17.1 has it.
   */
  noReplyTimeoutMs: positiveMs.optional(),
  /**
   * OpenSIPS `fr_inv_timeout` = timer C (RFC 3261 §16.6 step 11, §16.8): how long an INVITE branch
   * waits for a final response, from its start and again from each provisional other than 100;
   * then it is CANCELled and ends as 408. Must be larger than 3 minutes (the RFC's MUST).
   */
  inviteTimeoutMs: z.number().int()
    .min(MIN_TIMER_C_MS, `must be larger than 3 minutes (${MIN_TIMER_C_MS} or more): RFC 3261 §16.6 step 11 says timer C "MUST be larger than 3 minutes"; a shorter wait for some calls is the relay option timeoutMs`)
    .max(MAX_TIMER_MS)
    .default(181_000)
    .describe('milliseconds'),
}).prefault({});
