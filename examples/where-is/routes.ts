/**
 * Use case 1 of the talking cluster: "where is the user?". Every node is a registrar. A call for a
 * user registered on another node is found by asking the cluster (WHEREIS → HEREIS) and relayed
 * to that node, which delivers it to the user's phone. Nodes also announce registrations
 * (REGONLINE / REGOFFLINE), so a node that heard the announcement skips the question.
 *
 * Loop protection: a request relayed by another node carries `X-Sipcluster-Relayed-By: <node id>`;
 * such a request is only ever delivered locally, never sent back into the cluster.
 *
 * A stale announcement (the user's binding expired there, which sends no REGOFFLINE, or moved
 * while this node missed the REGONLINE) makes that node answer 480: the failure handler forgets
 * it and asks the cluster once. The call's user and the node tried travel from `request` to
 * `failure` as typed per-transaction variables (defineRoutes<CallVars>).
 */
import { defineRoutes, type RequestContext } from 'sipcluster';

const CLUSTER = 1;
const WAIT_MS = 1000;
export const RELAYED_BY = 'X-Sipcluster-Relayed-By';

/** What one call's handlers share (ctx.vars): its user, and the node an announcement sent it to. */
export interface CallVars {
  aor: string;
  /** Set only for a relay on a REGONLINE announcement; cleared once the failure handler retried. */
  announcedBy: number;
}

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

/**
 * WHEREIS to every node: the SIP address of the node that has the user, else the status for the
 * caller — 404 only when every reachable node said it does not know the user; silence is not "no",
 * and neither is a cluster with nobody to ask (the user may be registered on a node that is down).
 * A plain RequestContext: the typed contexts of the handlers are ones too.
 */
async function ask(ctx: RequestContext, aor: string): Promise<string | 404 | 480> {
  const replies = await ctx.cluster.request(CLUSTER, `WHEREIS:${aor}`, { timeoutMs: WAIT_MS, collect: 'all' });
  ctx.log.debug('WHEREIS answered', { aor, replies: replies.map((r) => [r.srcId, r.msg]), complete: replies.complete });
  const here = replies.find((r) => r.msg.startsWith(`HEREIS:${aor}:`));
  if (here !== undefined) return here.msg.slice(`HEREIS:${aor}:`.length);
  return replies.complete && replies.result === 'sent' ? 404 : 480;
}

export default defineRoutes<CallVars>({
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
    ctx.vars.set('aor', aor);
    const announced = whereIs.get(aor);
    const where = announced?.address ?? (await ask(ctx, aor));
    if (where === 404 || where === 480) {
      ctx.reply(where, where === 404 ? 'Not Found' : 'Temporarily Unavailable');
      return;
    }
    if (announced !== undefined) ctx.vars.set('announcedBy', announced.nodeId);
    ctx.addHeader(RELAYED_BY, String(ctx.nodeId));
    await ctx.relay({ uri: req.uriText, destination: where });
  },

  // The branch set failed. A 480 (or no answer) from a node we picked by its announcement may mean
  // the announcement is stale: forget it and ask, once. Anything else — the user's phone busy (486),
  // a 404 — and any call placed on an asked answer, goes up as it is.
  async failure(_best, status, ctx) {
    const aor = ctx.vars.get('aor');
    const node = ctx.vars.get('announcedBy');
    if (aor === undefined || node === undefined || (status !== 480 && status !== 408)) return;
    ctx.vars.delete('announcedBy');
    if (whereIs.get(aor)?.nodeId === node) whereIs.delete(aor);
    const where = await ask(ctx, aor);
    if (typeof where === 'string') await ctx.relay({ uri: ctx.requestUri, destination: where });
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
