import { z } from 'zod';
import { DEFAULT_HEADERS, DEFAULT_MAX_EVENT_BYTES, MAX_BROADCAST_BYTES, eventEntryProblem } from '../../features/esl/index.ts';
import { bytes, host, port, positiveMs } from './schema-common.ts';

/**
 * `esl:` — FreeSWITCH events to other regions (src/features/esl, examples/esl-bridge). The node
 * connects to a FreeSWITCH Event Socket (mod_event_socket, inbound mode), subscribes to `events`,
 * and broadcasts each one to `clusterId` as an `ESL:` cluster message, after the routing script's
 * `eslEvent` handler (if any) let it through. Needs a `cluster:` section.
 */
export const eslSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: host.default('127.0.0.1'),
  /** mod_event_socket's listen-port (8021 by default in FreeSWITCH). */
  port: port.default(8021),
  /** mod_event_socket's password (FreeSWITCH ships with ClueCon: change it there and here). */
  password: z.string().min(1).refine((s) => !/[\r\n]/.test(s), { message: 'must not contain line breaks' }).default('ClueCon'),
  /** Event names (CHANNEL_CREATE, ALL) and custom events as "CUSTOM <subclass>". */
  events: z.array(z.string().superRefine((s, ctx) => {
    const p = eventEntryProblem(s);
    if (p !== undefined) ctx.addIssue({ code: 'custom', message: p });
  })).min(1),
  /** How FreeSWITCH frames events: text/event-json or text/event-plain (URL-encoded headers). */
  format: z.enum(['json', 'plain']).default('json'),
  /** The cluster the events are broadcast to; default (and for now the only choice) `cluster.clusterId`. */
  clusterId: z.number().int().min(1).optional(),
  /** Headers each cluster message carries (`_body` for the event body), or "all". */
  headers: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default([...DEFAULT_HEADERS]),
  /** Bytes of one ESL: cluster message; larger events are trimmed to the core headers, or dropped. */
  maxMessageBytes: bytes.max(MAX_BROADCAST_BYTES).default(8192),
  /** Events whose body is larger are skipped as they arrive (counted in esl:oversized_events). */
  maxEventBytes: bytes.max(16 * 1024 * 1024).default(DEFAULT_MAX_EVENT_BYTES),
  reconnectMinMs: positiveMs.default(1000),
  reconnectMaxMs: positiveMs.default(30_000),
  /** From the TCP connect to the subscription's +OK. */
  handshakeTimeoutMs: positiveMs.default(5000),
}).superRefine((c, ctx) => {
  if (c.reconnectMaxMs < c.reconnectMinMs) ctx.addIssue({ code: 'custom', path: ['reconnectMaxMs'], message: 'must be >= reconnectMinMs' });
}).optional();

export type EslConfig = NonNullable<z.infer<typeof eslSchema>>;

/**
 * Cross-section checks (root superRefine): a bridge that is on broadcasts to this node's cluster,
 * so it needs a `cluster:` section, and `clusterId` can only be that cluster's (a node in one
 * cluster reaches no node of another: every event would be dropped as unreachable). An `esl:`
 * section with `enabled: false` starts nothing and needs nothing.
 */
export function checkEsl(
  cfg: { esl?: EslConfig | undefined; cluster?: { clusterId: number } | undefined },
  problem: (path: Array<string | number>, message: string) => void,
): void {
  if (cfg.esl === undefined || !cfg.esl.enabled) return;
  if (cfg.cluster === undefined) problem(['esl'], 'the ESL bridge broadcasts FreeSWITCH events to a cluster: it needs a `cluster:` section');
  else if (cfg.esl.clusterId !== undefined && cfg.esl.clusterId !== cfg.cluster.clusterId) problem(['esl', 'clusterId'], `this node is in cluster ${cfg.cluster.clusterId} only`);
}
