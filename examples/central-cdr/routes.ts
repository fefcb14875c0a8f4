/**
 * Use case 4 of the talking cluster: "a central database node". Every node is a registrar and
 * proxy; every answered call is accounted, like OpenSIPS's `do_accounting("db", "cdr")`. The
 * node follows the dialog (2xx → BYE or dialog timeout) and delivers one CDR to node 1, the only
 * node with database credentials, which writes it to the `acc` table and answers with the row id.
 * All of that is the node's (`cdr:` in its YAML); the script only decides which calls count.
 */
import { defineRoutes } from 'sipcluster';

function aorOf(uri: { kind: string; user?: string | undefined; host?: string }): string | undefined {
  return uri.kind === 'sip' && uri.user !== undefined && uri.host !== undefined ? `${uri.user}@${uri.host.toLowerCase()}` : undefined;
}

export default defineRoutes({
  async request(req, ctx) {
    if (ctx.inDialog) {
      // BYE included: the node has already seen it and closed the call's CDR.
      if (ctx.looseRoute() || req.method === 'ACK') await ctx.relay();
      else ctx.reply(404, 'Not Here');
      return;
    }
    if (req.method === 'REGISTER') {
      await ctx.registrar.save();
      return;
    }
    if (req.method === 'CANCEL' || req.method === 'ACK') {
      await ctx.relay();
      return;
    }
    const aor = aorOf(req.uri);
    if (aor === undefined || req.uri.kind !== 'sip' || req.uri.user === undefined) {
      ctx.reply(req.method === 'OPTIONS' ? 200 : 404);
      return;
    }
    const contacts = ctx.location.lookup(aor);
    if (contacts.length === 0) {
      ctx.reply(404, 'Not Found');
      return;
    }
    // Account this call (a policy could skip some: emergency numbers, test users, …). The
    // Record-Route keeps the BYE coming through this node, which is where the call ends.
    if (req.method === 'INVITE' && !ctx.cdr.account()) ctx.log.warn('call not accounted', { enabled: ctx.cdr.enabled });
    ctx.recordRoute();
    await ctx.relay(contacts);
  },
});
