import type { SipUri } from './uri.ts';

/** RFC 3261 §19.1.2 default ports: 5060 for sip:, 5061 for sips:. */
const SIP_DEFAULT_PORT = 5060;
const SIPS_DEFAULT_PORT = 5061;

/**
 * The port a SIP URI names: its own, else its scheme's default. The scheme alone decides: a
 * `sip:` URI with `;transport=tls` still defaults to 5060 here, as every caller so far expects
 * (§19.1.2 would have 5061 for it; no caller sends TLS yet).
 */
export function sipUriPort(u: SipUri): number {
  return u.port ?? (u.scheme === 'sips' ? SIPS_DEFAULT_PORT : SIP_DEFAULT_PORT);
}
