import type { CdrApi } from './api.ts';
import type { CdrPort, ProxyRequestPort } from './ports.ts';

/** `ctx.cdr` on a node without `cdr:`: accounts nothing. */
export const NO_CDR: CdrApi = { enabled: false, account: () => false };

/** The script's `ctx.cdr` for one request over the node's accounting port. */
export function cdrApiOf(port: CdrPort, pr: ProxyRequestPort): CdrApi {
  return { enabled: true, account: () => port.account(pr) };
}
