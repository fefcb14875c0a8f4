import { z } from 'zod';

/** Shared building blocks of the node config schema. Units live in field names (…Ms, …Bytes). */
export const port = z.number().int().min(0).max(65535).describe('TCP/UDP port (0 = any free port)');
export const host = z.string().min(1).describe('IP address or host name');
export const durationMs = z.number().int().min(0).describe('milliseconds');
export const positiveMs = z.number().int().min(1).describe('milliseconds');
export const bytes = z.number().int().min(1).describe('bytes');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
