/**
 * The two waits a relay may set on its branches, as OpenSIPS tm names them: `fr_timeout` (no
 * reply yet; our `noReplyTimeoutMs`) and `fr_inv_timeout` (an INVITE's final; timer C, our
 * `timeoutMs`). A relay's own value overrides the node's default (config `proxy:`).
 */
import type { RelayOptions } from './proxy-types.ts';

/**
 * A timer value given by a script or the composition root: a positive finite number of
 * milliseconds. Anything else is a programming error (DESIGN.md §6): 0, a negative or NaN value
 * would fire at once and end every branch as 408; Infinity never.
 */
export function checkTimerMs(what: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new TypeError(`${what} must be a positive finite number of milliseconds, not ${typeof v === 'number' ? String(v) : typeof v}`);
  }
}

/** Checks a relay's timer options before anything of the relay happens. */
export function checkRelayOptions(opts: RelayOptions): void {
  checkTimerMs('relay option timeoutMs', opts.timeoutMs);
  checkTimerMs('relay option noReplyTimeoutMs', opts.noReplyTimeoutMs);
}
