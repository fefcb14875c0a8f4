/**
 * Use case 1 of the talking cluster: "where is the user?". Every node is a registrar. A call for a
 * user registered on another node is found by asking the cluster (WHEREIS → HEREIS) and relayed
 * to that node, which delivers it to the user's phone. Nodes also announce registrations
 * (REGONLINE / REGOFFLINE), so a node that heard the announcement skips the question.
 *
 * Loop protection: a request relayed by another node carries `X-Sipcluster-Relayed-By: <node id>`;
 * such a request is only ever delivered locally, never sent back into the cluster.
 */
import { defineRoutes, type RequestContext } from 'sipcluster';

const CLUSTER = 1;
const WAIT_MS = 1000;
export const RELAYED_BY = 'X-Sipcluster-Relayed-By';

/** aor → { node, sip address }, from REGONLINE announcements (and forgotten when that node goes down). */
const whereIs = new Map<string, { nodeId: number; address: string }>();

function aorOf(uri: { kind: string; user?: string | undefined; host?: string }): string | undefined {
  return uri.kind === 'sip' && uri.user !== undefined && uri.host !== undefined ? `${uri.user}@${uri.host.toLowerCase()}` : undefined;
}

async function register(ctx: RequestContext, aor: string | undefined): Promise<void> {
  const status = await ctx.registrar.save();
  if (status !== 200 || aor === undefined || ctx.cluster.sipAddress === undefined) return;
  // Tell the others where this user is now (or that it is gone), fire and forget.
  const online = ctx.registrar.isRegistered(aor);
  ctx.cluster.broadcastReq(CLUSTER, online ? `REGONLINE:${aor}:${ctx.cluster.sipAddress}` : `REGOFFLINE:${aor}`);
}

export default defineRoutes({
  async request(req, ctx) {
    if (ctx.inDialog) {
      if (ctx.looseRoute() || req.method === 'ACK') await ctx.relay();
      else ctx.reply(404, 'Not Here');
      return;
    }
    if (req.method === 'REGISTER') {
      await register(ctx, aorOf(req.to.uri));
      return;
    }
    if (req.method === 'CANCEL' || req.method === 'ACK') {
      await ctx.relay();
      return;
    }
    const aor = aorOf(req.uri);
    if (aor === undefined) {
      ctx.reply(416, 'Unsupported URI Scheme');
      return;
    }
    ctx.recordRoute();
    const local = ctx.location.lookup(aor);
    if (local.length > 0) {
      await ctx.relay(local);
      return;
    }
    if (req.has(RELAYED_BY)) {
      // Another node sent it here because we said HEREIS, and the binding is gone since: no ping-pong.
      ctx.reply(480, 'Temporarily Unavailable');
      return;
    }
    let where = whereIs.get(aor)?.address;
    if (where === undefined) {
      const replies = await ctx.cluster.request(CLUSTER, `WHEREIS:${aor}`, { timeoutMs: WAIT_MS, collect: 'all' });
      ctx.log.debug('WHEREIS answered', { aor, replies: replies.map((r) => [r.srcId, r.msg]), complete: replies.complete });
      const here = replies.find((r) => r.msg.startsWith(`HEREIS:${aor}:`));
      if (here === undefined) {
        // 404 only when every reachable node said it does not know the user; silence is not "no",
        // and neither is a cluster with nobody to ask (the user may be registered on a node that is down).
        if (replies.complete && replies.result === 'sent') ctx.reply(404, 'Not Found');
        else ctx.reply(480, 'Temporarily Unavailable');
        return;
      }
      where = here.msg.slice(`HEREIS:${aor}:`.length);
    }
    ctx.addHeader(RELAYED_BY, String(ctx.nodeId));
    await ctx.relay({ uri: req.uriText, destination: where });
  },

  clusterRequest(ev, ctx) {
    const [verb, aor] = ev.msg.split(':', 2);
    if (aor === undefined) return;
    const rest = ev.msg.slice(verb!.length + aor.length + 2);
    switch (verb) {
      case 'WHEREIS': {
        const here = ctx.cluster.sipAddress !== undefined && ctx.registrar.isRegistered(aor);
        ctx.cluster.sendRpl(ev.clusterId, ev.srcId, here ? `HEREIS:${aor}:${ctx.cluster.sipAddress}` : `UNKNOWN:${aor}`, ev.tag);
        return;
      }
      case 'REGONLINE':
        whereIs.set(aor, { nodeId: ev.srcId, address: rest });
        return;
      case 'REGOFFLINE':
        if (whereIs.get(aor)?.nodeId === ev.srcId) whereIs.delete(aor);
        return;
    }
  },

  nodeStateChanged(ev) {
    if (ev.state !== 'down') return;
    for (const [aor, w] of whereIs) if (w.nodeId === ev.nodeId) whereIs.delete(aor);
  },
});
