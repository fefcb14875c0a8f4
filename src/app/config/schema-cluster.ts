import { z } from 'zod';
import { parseNetwork } from '../../lib/cidr.ts';
import { parseBinUrl } from '../../cluster/net/bin-url.ts';
import { bytes, positiveMs } from './schema-common.ts';

/**
 * The `cluster:` section: OpenSIPS clusterer modparams with our names and units
 * (doc/clusterer_admin.xml). One node belongs to one cluster here; OpenSIPS allows several
 * (my_node_info per cluster), which a later change can add as a list without breaking this shape.
 *
 * | ours | OpenSIPS |
 * |---|---|
 * | nodeId | my_node_id |
 * | clusterId, listen, sipAddress, priority, flags | my_node_info `cluster_id`, `url`, `sip_addr`, `priority` (lower is preferred), `flags=seed` |
 * | dbMode | db_mode (0: neighbors from this file, 1: the `clusterer` table) |
 * | neighbors | neighbor_node_info (db_mode 0) |
 * | pingIntervalMs | ping_interval (s) |
 * | pingTimeoutMs, noPingRetries, nodeTimeoutMs | ping_timeout (ms), no_ping_retries (per node), node_timeout (s) |
 *
 * Timer defaults are the FAST preset (membership/heartbeat-params.ts): a dead node is Down within
 * 200 + 2 × 350 = 900 ms on loopback, and a node whose loop blocks for 300 ms never flaps.
 * OpenSIPS's own defaults are pingIntervalMs 4000, pingTimeoutMs 1000, noPingRetries 3,
 * nodeTimeoutMs 60000 (Down after about 8 s).
 */
const binUrl = z.string().refine((s) => parseBinUrl(s) !== undefined, { message: 'expected bin:HOST:PORT or bins:HOST:PORT (IPv6 in brackets)' });
const nodeIdSchema = z.number().int().min(1).max(0x7fffffff).describe('node id (OpenSIPS node_id)');
const nodeFlag = z.enum(['seed']);

export const clusterNeighborSchema = z.strictObject({
  nodeId: nodeIdSchema,
  url: binUrl,
  flags: z.array(nodeFlag).default([]),
  priority: z.number().int().min(0).max(0x7fffffff).default(50),
  noPingRetries: z.number().int().min(0).max(100).optional(),
  sipAddress: z.string().min(1).optional(),
  description: z.string().optional(),
});

export const clusterSchema = z.strictObject({
  nodeId: nodeIdSchema,
  clusterId: z.number().int().min(1).max(0x7fffffff).default(1),
  /** Our BIN listener, also the URL other nodes learn for us: `bin:127.0.0.1:5571` or `bins:…`. */
  listen: binUrl,
  sipAddress: z.string().min(1).optional(),
  /** Lower is preferred as a next hop among equally short paths (OpenSIPS priority; its default is 50). */
  priority: z.number().int().min(0).max(0x7fffffff).default(50),
  flags: z.array(nodeFlag).default([]),
  description: z.string().optional(),
  dbMode: z.union([z.literal(0), z.literal(1)]).default(0),
  neighbors: z.array(clusterNeighborSchema).default([]),
  pingIntervalMs: positiveMs.default(200),
  pingTimeoutMs: positiveMs.default(350),
  noPingRetries: z.number().int().min(0).max(100).default(1),
  nodeTimeoutMs: positiveMs.default(2000),
  /** Who may open a BIN connection to us (CIDR list). Empty: anyone, as OpenSIPS. */
  allowNetworks: z.array(z.string().refine((s) => parseNetwork(s) !== undefined, { message: 'expected a CIDR network such as 10.0.0.0/8 or an address' })).default([]),
  /** Mutual TLS for `bins:`: our key and certificate (naming `node-<id>`) and the CA that signs every node's. */
  tls: z.strictObject({
    keyFile: z.string().min(1),
    certFile: z.string().min(1),
    caFile: z.string().min(1),
  }).optional(),
  /** Unsent bytes one BIN connection may hold before it is closed as stuck. */
  maxQueuedBytesPerLink: bytes.default(4 * 1024 * 1024),
  reconnectMinMs: positiveMs.default(100),
  reconnectMaxMs: positiveMs.default(5000),
  connectTimeoutMs: positiveMs.default(1000),
  /**
   * Run MI commands other nodes send over BIN (clusterer:send_mi / broadcast_mi, MI_CMD). That is
   * remote code execution by any cluster member, so it is off unless enabled (DESIGN.md §3).
   */
  acceptMiCommands: z.boolean().default(false),
  /** With acceptMiCommands: only these methods (4.x or 3.x names). Empty: every method. */
  miCommandsAllowed: z.array(z.string().min(1)).default([]),
}).superRefine((c, ctx) => {
  const problem = (path: Array<string | number>, message: string): void => { ctx.addIssue({ code: 'custom', path, message }); };
  const tlsUrl = parseBinUrl(c.listen)?.tls === true;
  if (tlsUrl && c.tls === undefined) problem(['tls'], 'a bins: listener needs tls.keyFile, tls.certFile and tls.caFile');
  if (c.dbMode === 1 && c.neighbors.length > 0) problem(['neighbors'], 'dbMode 1 reads the nodes from the store\'s clusterer table; remove neighbors or use dbMode 0');
  const seen = new Set<number>();
  c.neighbors.forEach((n, i) => {
    if (n.nodeId === c.nodeId) problem(['neighbors', i, 'nodeId'], `node ${n.nodeId} is this node`);
    if (seen.has(n.nodeId)) problem(['neighbors', i, 'nodeId'], `node ${n.nodeId} listed twice`);
    seen.add(n.nodeId);
    if (parseBinUrl(n.url)?.tls === true && c.tls === undefined) problem(['neighbors', i, 'url'], 'a bins: neighbor needs the tls section');
  });
  if (c.reconnectMaxMs < c.reconnectMinMs) problem(['reconnectMaxMs'], 'must be >= reconnectMinMs');
});

export type ClusterConfig = z.infer<typeof clusterSchema>;
