import { z } from 'zod';
import { durationMs, positiveMs } from './schema-common.ts';
import { parseUri } from '../../sip/message/index.ts';

/**
 * NAT keep-alive pings of registered contacts (OpenSIPS nathelper natping_interval, ping_nated_only,
 * natping_tcp, sipping_from, max_pings_lost, ping_threshold). Off unless intervalSec is set.
 */
export const natPingSchema = z.strictObject({
  /** Each binding is pinged about once per this many seconds, spread over it; 0 = off (natping_interval). */
  intervalSec: z.number().int().min(0).max(86_400).default(0),
  /** `options`: SIP OPTIONS, answered by the phone; `crlf`: a 4-byte CRLFCRLF datagram (RFC 5626 §4.4.1), no answer. */
  method: z.enum(['options', 'crlf']).default('options'),
  /** Only bindings registered from another address than their Contact (they have a `received`): ping_nated_only. */
  natedOnly: z.boolean().default(true),
  /**
   * Ping TCP bindings too (natping_tcp, off as in OpenSIPS): on the connection they registered
   * through, never a new one; a binding whose connection is gone is skipped.
   */
  tcp: z.boolean().default(false),
  /** From URI of OPTIONS pings (sipping_from); default `sip:pinger@<first SIP listener's advertised address>`. */
  from: z.string().refine((s) => { const u = parseUri(s); return u !== undefined && u.kind === 'sip'; }, 'expected a sip: or sips: URI').optional(),
  /** Consecutive unanswered OPTIONS pings after which the binding is removed; 0 = never (max_pings_lost). */
  maxPingsLost: z.number().int().min(0).max(1000).default(0),
  /** How long an OPTIONS ping waits for its reply before it counts as lost (ping_threshold, 3 s). */
  replyTimeoutMs: positiveMs.default(3000),
}).prefault({}).superRefine((c, ctx) => {
  if (c.maxPingsLost > 0 && c.method === 'crlf') {
    ctx.addIssue({ code: 'custom', path: ['maxPingsLost'], message: 'needs method options: a CRLF keep-alive gets no answer over UDP, and its pong over TCP is not followed, so every contact would count as lost' });
  }
  if (c.intervalSec > 0 && c.replyTimeoutMs > c.intervalSec * 1000) {
    ctx.addIssue({ code: 'custom', path: ['replyTimeoutMs'], message: `${c.replyTimeoutMs} ms is longer than intervalSec (${c.intervalSec} s): a ping would still wait for its reply when the next one goes` });
  }
});

/** The routing script: a TypeScript module exporting `defineRoutes({...})` as default. */
export const routesSchema = z.strictObject({
  /** Path of the routes module, relative to the config file. */
  module: z.string().min(1),
}).optional();

/** Registrar and location service (OpenSIPS registrar + usrloc modparams, with units in names). */
export const registrarSchema = z.strictObject({
  minExpiresSec: z.number().int().min(0).default(60),
  maxExpiresSec: z.number().int().min(1).default(3600),
  defaultExpiresSec: z.number().int().min(1).default(3600),
  /** 0 = unlimited (OpenSIPS max_contacts). */
  maxContactsPerAor: z.number().int().min(0).default(0),
  pathMode: z.enum(['ignore', 'off', 'lazy', 'strict']).default('lazy'),
  /** OpenSIPS usrloc db_mode: none (0), write-through (1), write-back (2). */
  persistence: z.enum(['none', 'write-through', 'write-back']).default('none'),
  /** write-back: how often pending changes are written. */
  // At least 1: 0 made write-back flush on a 0 ms interval (every loop turn, ~1000 times a second).
  flushIntervalMs: positiveMs.default(1000),
  /**
   * Answer REGISTER statelessly, as OpenSIPS's and Kamailio's save() do (sl replies): no timer J
   * state per REGISTER (32 s over UDP), so a retransmitted REGISTER is processed again, and an
   * equal CSeq within the same Call-ID, within 32 s of the binding's last change, counts as a
   * retransmission (200, bindings unchanged, as OpenSIPS usrloc does). Off by default: RFC 3261 §8.2.7 rules out stateless registrars, and a
   * retransmitted REGISTER with credentials then meets the nonce-count replay check (401).
   */
  statelessReplies: z.boolean().default(false),
  natPing: natPingSchema,
}).prefault({});

/** Digest authentication (RFC 8760); credentials come from the store's `subscriber` table. */
export const authSchema = z.strictObject({
  /** Realm challenged by default; empty: the To domain for REGISTER, else the From domain (OpenSIPS www_authorize("")). */
  realm: z.string().default(''),
  /** Secret for stateless nonces; the same on every node so a nonce issued by one verifies on another. */
  nonceSecret: z.string().min(16).optional(),
  algorithms: z.array(z.enum(['SHA-256', 'MD5', 'SHA-512-256'])).min(1).default(['SHA-256', 'MD5']),
  nonceLifetimeSec: z.number().int().min(5).max(3600).default(30),
  /**
   * How long a subscriber looked up (or found absent) is reused before the table is asked again: a
   * changed password takes effect within this time. Longer means fewer queries under REGISTER load
   * (a Kamailio htable loaded at start never asks again).
   */
  credentialCacheTtlMs: durationMs.default(10_000),
  /** Subscribers kept in that cache; the oldest entry goes first. */
  credentialCacheMaxEntries: z.number().int().min(0).max(10_000_000).default(100_000),
}).prefault({});
