/**
 * The routing logic bench:sip gives sipcluster, equivalent to the Kamailio config it is compared
 * with (bench/support/kamailio-config.ts): REGISTER saved (digest-checked when `auth`), Record-Route
 * on INVITE, in-dialog requests by their Route set, calls to registered users, 404 otherwise.
 */
import { defineRoutes } from 'sipcluster';

export function makeRoutes(auth: boolean) {
  return defineRoutes({
    async request(req, ctx) {
      if (ctx.inDialog) {
        if (ctx.looseRoute() || req.method === 'ACK') ctx.relay();
        else ctx.reply(404);
        return;
      }
      if (req.method === 'REGISTER') {
        if (auth && !(await ctx.auth.authorize())) return;
        await ctx.registrar.save();
        return;
      }
      if (req.method === 'INVITE') ctx.recordRoute();
      const contacts = ctx.location.lookup(req.uriText);
      if (contacts.length === 0) ctx.reply(404);
      else ctx.relay(contacts);
    },
  });
}
