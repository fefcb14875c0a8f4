/**
 * A registrar and proxy in one routing module — what an OpenSIPS operator writes as route{}:
 * authenticate REGISTER and save the bindings, record-route, route in-dialog requests by their
 * Route set, and send calls to registered users (404 for a user that does not exist, 480 for one
 * that exists but has no binding right now). Phones behind a NAT are handled as an OpenSIPS
 * nathelper script does: a NATed Contact is rewritten to the packet's source (fix_nated_contact)
 * so that in-dialog requests reach the phone; REGISTER needs nothing (the registrar keeps the
 * source as `received`).
 */
import { defineRoutes } from 'sipcluster';

export default defineRoutes({
  async request(req, ctx) {
    // nat_uac_test(19): private Contact, or a Via that does not name the packet's source.
    if (req.method !== 'REGISTER' && ctx.nat.test()) ctx.nat.fixContact();

    // In-dialog requests follow the Route set we put in with Record-Route (loose_route()).
    if (ctx.inDialog) {
      if (ctx.looseRoute() || req.method === 'ACK') {
        await ctx.relay();
        return;
      }
      ctx.reply(404, 'Not here');
      return;
    }
    if (req.method === 'CANCEL') {
      // A CANCEL with no matching transaction (the proxy answers matched ones itself).
      await ctx.relay();
      return;
    }
    if (req.method === 'OPTIONS' && req.uri.kind === 'sip' && req.uri.user === undefined) {
      ctx.reply(200, 'OK', { headers: [['Accept', 'application/sdp']] });
      return;
    }

    if (req.method === 'REGISTER') {
      if (!(await ctx.auth.authorize())) return; // 401 with a fresh challenge (or 400/403)
      await ctx.registrar.save();
      return;
    }

    // Initial requests: stay in the path for the whole dialog.
    if (req.method === 'INVITE' || req.method === 'SUBSCRIBE' || req.method === 'REFER') ctx.recordRoute();

    const contacts = ctx.location.lookup(req.uriText);
    if (contacts.length > 0) {
      await ctx.relay(contacts);
      return;
    }
    if (await ctx.registrar.userExists(req.uriText)) ctx.reply(480, 'Temporarily Unavailable');
    else ctx.reply(404, 'Not Found');
  },

  // onreply_route: a callee behind a NAT answers with its private Contact (nat_uac_test(1)).
  reply(_res, ctx) {
    if (ctx.nat.test()) ctx.nat.fixContact();
  },
});
