import { z } from 'zod';
import { bytes, positiveMs } from './schema-common.ts';

/** A spool bigger than this is a misconfiguration: the spool index also lives in memory. */
export const MAX_SPOOL_BYTES = 1024 * 1024 * 1024;

/**
 * `cdr:` — call accounting with one central writer (src/features/cdr, examples/central-cdr). The
 * routing script turns accounting on per call with `ctx.cdr.account()`; the node follows the
 * dialog and delivers the CDR. `role: writer` is the node with the database: it writes CDRs it
 * receives (and its own) to `acc`. `role: sender` spools CDRs on disk and sends them to
 * `writerNodeId`. Needs `cluster:` and `routes:`.
 */
export const cdrSchema = z.strictObject({
  role: z.enum(['writer', 'sender']),
  /** The node holding the database (sender only; a writer writes its own CDRs itself). */
  writerNodeId: z.number().int().min(1).max(0xffff).optional(),
  /** Folder of the disk spool (relative to the config file). Absent: a memory spool, lost on restart. */
  spoolDir: z.string().min(1).optional(),
  /** The spool's bound; a CDR that would pass it is refused (counted in `cdr:spool_refused`, logged at warn). */
  spoolMaxBytes: bytes.max(MAX_SPOOL_BYTES).default(10 * 1024 * 1024),
  /** fsync each spooled CDR before counting it spooled (survives a power loss, not only a crash). */
  spoolFsync: z.boolean().default(true),
  /** How long a sender waits for the writer's reply before retrying. */
  requestTimeoutMs: positiveMs.max(60_000).default(2000),
  /** Backoff after a failed delivery: doubles from retryMinMs up to retryMaxMs. */
  retryMinMs: positiveMs.default(500),
  retryMaxMs: positiveMs.default(30_000),
  /** CDR requests outstanding at once while the writer answers. */
  maxInFlight: z.number().int().min(1).max(256).default(16),
  /** Dialog timeout: an answered call without BYE ends here (OpenSIPS dialog default_timeout, 12 h). */
  maxCallMs: positiveMs.default(43_200_000),
  /** An accounted INVITE without a 2xx is forgotten after this (longer than timer C's 181 s). */
  setupTimeoutMs: positiveMs.default(200_000),
  /** Calls followed at once; more are not accounted (counted in `cdr:account_refused`). */
  maxCalls: z.number().int().min(1).max(10_000_000).default(100_000),
}).superRefine((c, ctx) => {
  if (c.role === 'sender' && c.writerNodeId === undefined) ctx.addIssue({ code: 'custom', path: ['writerNodeId'], message: 'a sender needs the writer node id' });
  if (c.retryMaxMs < c.retryMinMs) ctx.addIssue({ code: 'custom', path: ['retryMaxMs'], message: 'must be at least retryMinMs' });
}).optional();

export type CdrConfig = NonNullable<z.infer<typeof cdrSchema>>;

/**
 * Cross-section checks (root superRefine): CDRs travel to the writer node as cluster requests, so
 * `cdr:` needs a `cluster:` section (and a sender's writer is another node); calls are accounted by
 * the routing script (`ctx.cdr.account()`), so it needs `routes:` too.
 */
export function checkCdr(
  cfg: { cdr?: CdrConfig | undefined; cluster?: { nodeId: number } | undefined; routes?: unknown },
  problem: (path: Array<string | number>, message: string) => void,
): void {
  const c = cfg.cdr;
  if (c === undefined) return;
  if (cfg.cluster === undefined) problem(['cdr'], 'call accounting sends CDRs to the writer node as cluster requests: it needs a `cluster:` section');
  else {
    if (c.role === 'sender' && c.writerNodeId === cfg.cluster.nodeId) problem(['cdr', 'writerNodeId'], `node ${c.writerNodeId} is this node; make it role: writer`);
    // A CDR names its node in 16 bits (cdr-codec.ts, as the acc row's node column): the writer
    // refused every CDR of a node id above that for good, and they were dropped.
    if (cfg.cluster.nodeId > 0xffff) problem(['cluster', 'nodeId'], `call accounting (cdr:) needs a node id up to 65535; ${cfg.cluster.nodeId} cannot be written in a CDR`);
  }
  if (cfg.routes === undefined) problem(['cdr'], 'calls are accounted by the routing script (ctx.cdr.account()): it needs a `routes:` section');
}
