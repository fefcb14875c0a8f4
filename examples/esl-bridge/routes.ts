/**
 * Use case 5 of the talking cluster: "FreeSWITCH events to other regions". Node 1 has an `esl:`
 * section: it holds an Event Socket connection to its local FreeSWITCH and broadcasts the chosen
 * events to the cluster as
 *
 *   ESL:<json>      a JSON object of the event's chosen headers (FreeSWITCH's event-json shape:
 *                   "Event-Name", "Unique-ID", "Caller-Caller-ID-Number", …; see esl.headers)
 *
 * after this script's `eslEvent` handler let them through. Every node runs the same script: the
 * nodes without a FreeSWITCH read the messages in `clusterRequest` with `parseEslBroadcast`, keep
 * track of the calls up in other regions, and log one line per event:
 *
 *   "FreeSWITCH event from the cluster"  { from, event, subclass, uniqueId, callerId, destination, activeRemoteCalls }
 */
import { defineRoutes, parseEslBroadcast } from 'sipcluster';

/** Extensions that never leave this region: calls to 9xxx (say, the internal test lines). */
const PRIVATE_DESTINATION = /^9\d{3}$/;

/** Calls answered in other regions and not hung up yet: Unique-ID → the node that reported it. */
const activeRemoteCalls = new Map<string, number>();
/** The last events heard from the cluster, newest last (bounded). */
const recent: Array<{ from: number; event: string; uniqueId: string | undefined }> = [];
const MAX_RECENT = 100;

export default defineRoutes({
  request(req, ctx) {
    // The nodes of this example route no calls: they answer keepalives and refuse the rest.
    if (req.method === 'ACK') ctx.drop();
    else ctx.reply(req.method === 'OPTIONS' ? 200 : 403, req.method === 'OPTIONS' ? 'OK' : 'Events only');
  },

  eslEvent(ev, ctx) {
    // The local filter: calls to private extensions stay in this region.
    if (PRIVATE_DESTINATION.test(ev.headers['Caller-Destination-Number'] ?? '')) {
      ctx.log.debug('FreeSWITCH event kept local', { event: ev.name, uniqueId: ev.headers['Unique-ID'] });
      return false;
    }
    return true;
  },

  clusterRequest(ev, ctx) {
    const esl = parseEslBroadcast(ev.msg);
    if (esl === undefined) return;
    const uniqueId = esl.headers['Unique-ID'];
    if (uniqueId !== undefined) {
      if (esl.name === 'CHANNEL_ANSWER') activeRemoteCalls.set(uniqueId, ev.srcId);
      else if (esl.name === 'CHANNEL_HANGUP_COMPLETE') activeRemoteCalls.delete(uniqueId);
    }
    recent.push({ from: ev.srcId, event: esl.name, uniqueId });
    if (recent.length > MAX_RECENT) recent.shift();
    ctx.log.info('FreeSWITCH event from the cluster', {
      from: ev.srcId, event: esl.name, subclass: esl.subclass, uniqueId,
      callerId: esl.headers['Caller-Caller-ID-Number'], destination: esl.headers['Caller-Destination-Number'],
      conference: esl.headers['Conference-Name'], action: esl.headers.Action,
      activeRemoteCalls: activeRemoteCalls.size,
    });
  },
});
