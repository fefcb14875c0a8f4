import { z } from 'zod';
import { parseNetwork } from '../../lib/cidr.ts';
import { positiveMs } from './schema-common.ts';

/**
 * `banList:` — share the attacker (src/features/ban-list, examples/ban-list). Absent or
 * `enabled: false`: no detection and no intake check. The cluster side (BAN:/BANS? messages) is
 * the routing script's, through ctx.bans and the banDetected handler.
 */
export const banListSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Failed registrations/authentications from one source address within `windowMs` that ban it. */
  maxFailures: z.number().int().min(1).max(100_000).default(10),
  windowMs: positiveMs.default(60_000),
  /** How long a detected source stays banned. */
  banMs: positiveMs.max(7 * 24 * 3600 * 1000).default(3_600_000),
  /** reject: answer 403 Forbidden; drop: send nothing (the attacker learns less, retransmits more). */
  action: z.enum(['reject', 'drop']).default('reject'),
  /** Addresses or CIDR networks never banned, whoever asks (cluster peers never are either). */
  trustedNetworks: z.array(z.string().refine((s) => parseNetwork(s) !== undefined, { message: 'not an IP address or CIDR network' })).default([]),
}).optional();

export type BanListConfigInput = z.input<typeof banListSchema>;
