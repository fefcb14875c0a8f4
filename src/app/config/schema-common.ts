import { z } from 'zod';

/** Shared building blocks of the node config schema. Units live in field names (…Ms, …Bytes). */
export const port = z.number().int().min(0).max(65535).describe('TCP/UDP port (0 = any free port)');
export const host = z.string().min(1).describe('IP address or host name');
/**
 * Node's timers hold at most 2^31-1 ms (~24.8 days): setTimeout turns a longer delay into 1 ms
 * (a 35-day interval would fire every millisecond), so durations stop there.
 */
export const MAX_TIMER_MS = 2_147_483_647;
export const durationMs = z.number().int().min(0).max(MAX_TIMER_MS).describe('milliseconds');
export const positiveMs = z.number().int().min(1).max(MAX_TIMER_MS).describe('milliseconds');
export const bytes = z.number().int().min(1).describe('bytes');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
