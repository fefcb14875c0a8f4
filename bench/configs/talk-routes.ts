/**
 * Routes for bench:talk: examples/where-is (use case 1) plus OPTIONS commands that drive the
 * talking cluster from inside the node, one SIPp OPTIONS per cluster request:
 *   OPTIONS sip:bcast@…   await ctx.cluster.request(1, 'PING', {collect: 'all'}) → 200 when every
 *                         reachable node answered, else 480 (cluster requests/s, part a)
 *   OPTIONS sip:rtt@…     await ctx.cluster.request(1, 'PING', {nodeId: 2, collect: 'first'}) timed with
 *                         performance.now() in the script (part b)
 *   OPTIONS sip:report@…  logs `talk-rtt` with the samples' percentiles and clears them
 *   OPTIONS sip:cache-on@… / cache-off@…  whether REGONLINE announcements fill where-is's cache
 *                         (off: every call to a remote user asks WHEREIS, part c)
 * Every other request goes to the where-is routes unchanged (and its failure handler, with its
 * typed per-transaction variables: this module declares the same CallVars).
 */
import { defineRoutes } from 'sipcluster';
import whereIs, { type CallVars } from '../../examples/where-is/routes.ts';

const CLUSTER = 1;
const WAIT_MS = 1000;
const MAX_SAMPLES = 1_000_000;
let samples: number[] = [];
let useCache = false;

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export default defineRoutes<CallVars>({
  async request(req, ctx) {
    if (req.method !== 'OPTIONS' || req.uri.kind !== 'sip') return whereIs.request(req, ctx);
    switch (req.uri.user) {
      case 'bcast': {
        const replies = await ctx.cluster.request(CLUSTER, 'PING', { timeoutMs: WAIT_MS, collect: 'all' });
        ctx.reply(replies.complete && replies.length > 0 ? 200 : 480);
        return;
      }
      case 'rtt': {
        const t0 = performance.now();
        const r = await ctx.cluster.request(CLUSTER, 'PING', { nodeId: 2, timeoutMs: WAIT_MS, collect: 'first' });
        const ms = performance.now() - t0;
        if (r !== null && samples.length < MAX_SAMPLES) samples.push(ms);
        ctx.reply(r === null ? 480 : 200);
        return;
      }
      case 'report': {
        const s = [...samples].sort((a, b) => a - b);
        const underMs = s.filter((v) => v < 1).length;
        ctx.log.warn('talk-rtt', { n: s.length, p50Ms: pct(s, 50), p90Ms: pct(s, 90), p99Ms: pct(s, 99), maxMs: s[s.length - 1] ?? NaN, under1MsPct: s.length === 0 ? NaN : (100 * underMs) / s.length });
        samples = [];
        ctx.reply(200);
        return;
      }
      case 'cache-on':
      case 'cache-off':
        useCache = req.uri.user === 'cache-on';
        ctx.reply(200);
        return;
      default:
        return whereIs.request(req, ctx);
    }
  },

  failure(best, status, ctx) {
    return whereIs.failure?.(best, status, ctx);
  },

  clusterRequest(ev, ctx) {
    if (ev.msg === 'PING') {
      ctx.cluster.sendRpl(ev.clusterId, ev.srcId, 'PONG', ev.tag);
      return;
    }
    if (!useCache && ev.msg.startsWith('REGONLINE:')) return;
    return whereIs.clusterRequest?.(ev, ctx);
  },

  nodeStateChanged(ev, ctx) {
    return whereIs.nodeStateChanged?.(ev, ctx);
  },
});
