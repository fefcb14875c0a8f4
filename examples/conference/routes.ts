/**
 * Use case 3 of the talking cluster: "conference on another node". Each node has a conference
 * server next to it (FreeSWITCH, Asterisk… — a SIPp UAS in the tests) that registers with its
 * own node as user `conference`. A room is hosted by one conference server at a time: the first
 * INVITE for `sip:conf-<n>@…` claims the room for the node it arrives at, and every node learns
 * it from the replicated map `conference` (key `conf-<n>`, value: the owner's SIP address). An
 * INVITE for a room another node hosts is relayed there, so all participants meet on one server.
 *
 * The room stays claimed while it has participants on this node's server (the node refreshes the
 * entry every TTL/3 on its own) and is released when the last participant's BYE passes; if the
 * hosting node dies or stops refreshing, the others drop the room (Down, or expiry) and the next
 * INVITE claims it afresh.
 *
 * Loop protection: a relayed INVITE carries `X-Sipcluster-Relayed-By: <node id>` and is only ever
 * delivered locally (480 when the room moved meanwhile), never relayed again.
 */
import { defineRoutes, type RequestContext, type SharedMapApi } from 'sipcluster';

export const RELAYED_BY = 'X-Sipcluster-Relayed-By';
const MAP = 'conference';
/** The user the local conference server registers as. */
const CONFERENCE_USER = 'conference';

/** Participants of rooms hosted here: room → Call-IDs; and Call-ID → room for the BYE. */
const rooms = new Map<string, Set<string>>();
const calls = new Map<string, string>();

/** `conf-<digits>` from the Request-URI, or undefined (the key grammar of the map is wider). */
function roomOf(uri: { kind: string; user?: string | undefined }): string | undefined {
  const user = uri.kind === 'sip' ? uri.user : undefined;
  return user !== undefined && /^conf-\d{1,9}$/.test(user) ? user : undefined;
}

function join(room: string, callId: string): void {
  let set = rooms.get(room);
  if (set === undefined) rooms.set(room, (set = new Set()));
  set.add(callId);
  calls.set(callId, room);
}

/** A participant left (BYE, or its INVITE failed); the last one out releases the room. */
function leave(map: SharedMapApi, callId: string): void {
  const room = calls.get(callId);
  if (room === undefined) return;
  calls.delete(callId);
  const set = rooms.get(room);
  set?.delete(callId);
  if (set !== undefined && set.size > 0) return;
  rooms.delete(room);
  map.release(room);
}

/** Sends the INVITE to this node's conference server, keeping the room in the Request-URI. */
async function hostHere(ctx: RequestContext, map: SharedMapApi, room: string, host: string): Promise<void> {
  const server = ctx.location.lookup(`${CONFERENCE_USER}@${host}`)[0];
  const callId = ctx.req.callId;
  join(room, callId);
  if (server === undefined) {
    ctx.reply(503, 'No Conference Server');
    leave(map, callId);
    return;
  }
  const out = await ctx.relay({ uri: ctx.req.uriText, destination: server.destination ?? server.uri });
  if (out.status < 200 || out.status >= 300) leave(map, callId);
}

export default defineRoutes({
  async request(req, ctx) {
    // The conference server's own registration.
    if (req.method === 'REGISTER') {
      await ctx.registrar.save();
      return;
    }
    const map = ctx.maps.get(MAP);
    if (ctx.inDialog) {
      if (req.method === 'BYE') leave(map, req.callId);
      if (ctx.looseRoute() || req.method === 'ACK') await ctx.relay();
      else ctx.reply(404, 'Not Here');
      return;
    }
    if (req.method === 'CANCEL' || req.method === 'ACK') {
      await ctx.relay();
      return;
    }
    const room = roomOf(req.uri);
    if (room === undefined || req.uri.kind !== 'sip') {
      ctx.reply(req.method === 'OPTIONS' ? 200 : 404);
      return;
    }
    if (req.method !== 'INVITE') {
      ctx.reply(405, 'Method Not Allowed', { headers: [['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS']] });
      return;
    }
    const self = ctx.cluster.sipAddress;
    if (self === undefined) {
      ctx.reply(500, 'No cluster.sipAddress');
      return;
    }
    ctx.recordRoute();
    // Get-or-claim: a room some node hosts (known here, or learned by asking the cluster) comes
    // back with that node's address; a free room becomes ours, announced to every node.
    const entry = await map.claim(room, self);
    if (entry.mine) {
      await hostHere(ctx, map, room, req.uri.host);
      return;
    }
    if (req.has(RELAYED_BY)) {
      // The relaying node thought the room was here; it moved meanwhile: no ping-pong.
      ctx.reply(480, 'Temporarily Unavailable');
      return;
    }
    ctx.log.debug('room hosted elsewhere', { room, owner: entry.ownerNodeId, at: entry.value });
    ctx.addHeader(RELAYED_BY, String(ctx.nodeId));
    await ctx.relay({ uri: req.uriText, destination: entry.value });
  },
});
