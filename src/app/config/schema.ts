import { z } from 'zod';
import { durationMs, host, logLevel, port } from './schema-common.ts';
import { sipSchema } from './schema-sip.ts';
import { proxySchema } from './schema-proxy.ts';
import { authSchema, registrarSchema, routesSchema } from './schema-routing.ts';
import { clusterSchema } from './schema-cluster.ts';
import { banListSchema } from './schema-ban.ts';
import { checkEsl, eslSchema } from './schema-esl.ts';
import { cdrSchema, checkCdr } from './schema-cdr.ts';
import { checkMaps, mapsSchema } from './schema-maps.ts';
import { checkClusterStore, checkPorts, checkRegistrar, checkStoreUrl } from './schema-checks.ts';

/**
 * The node's YAML config. Each section is a strict object: an unknown key is an error, so a typo
 * never silently falls back to a default. Later sections (cluster, routes, registrar) join here.
 */
export const nodeConfigSchema = z.strictObject({
  node: z.strictObject({
    name: z.string().min(1).default('sipcluster'),
    logLevel: logLevel.default('info'),
  }).prefault({}),
  mi: z.strictObject({
    enabled: z.boolean().default(true),
    /** Loopback by default: the MI can change the node's state. */
    host: host.default('127.0.0.1'),
    port: port.default(8888),
  }).prefault({}),
  sip: sipSchema,
  proxy: proxySchema,
  routes: routesSchema,
  registrar: registrarSchema,
  auth: authSchema,
  cluster: clusterSchema.optional(),
  banList: banListSchema,
  esl: eslSchema,
  cdr: cdrSchema,
  maps: mapsSchema,
  store: z.strictObject({
    /** `sqlite:<path>` (relative to the config file), `postgres://…` or `mysql://…`. */
    url: z.string().min(1).default('sqlite::memory:'),
  }).prefault({}),
  shutdown: z.strictObject({
    /** How long in-flight work may take after SIGTERM/SIGINT before the process exits anyway. */
    drainTimeoutMs: durationMs.default(5000),
  }).prefault({}),
}).superRefine((c, ctx) => {
  // Rules between sections, so `sipcluster config check` reports them with their paths like any
  // other problem instead of the node failing at start.
  const problem = (path: Array<string | number>, message: string): void => { ctx.addIssue({ code: 'custom', path, message }); };
  checkMaps(c, problem);
  checkEsl(c, problem);
  checkCdr(c, problem);
  checkRegistrar(c, problem);
  checkStoreUrl(c, problem);
  checkPorts(c, problem);
  checkClusterStore(c, problem);
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;

/** JSON Schema of the config, for editors (`sipcluster config schema`). */
export function nodeConfigJsonSchema(): unknown {
  return z.toJSONSchema(nodeConfigSchema, { io: 'input' });
}
