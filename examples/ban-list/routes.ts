/**
 * Use case 2 of the talking cluster: "share the attacker". The node itself counts failed
 * REGISTERs per packet source address and bans a source at `banList.maxFailures`; this script
 * shares what the node learns with the rest of the cluster, over plain cluster messages:
 *
 *   BAN:<addr>:<expiresInMs>:<user-agent>   broadcast by the node that detected the attacker
 *   BANS?                                   a node that starts asks everyone for their bans…
 *   BANS:<line>\n<line>…                    …and each answers with one line per live ban:
 *                                           <addr>:<expiresInMs>:<origin node>:<user-agent>
 *
 * IPv6 addresses travel in brackets. Bans merge with "the later expiry wins", and trusted networks
 * and cluster peers are refused by the node whoever asks, so a peer's message cannot ban them.
 */
import { defineRoutes, type BanApi } from 'sipcluster';

const CLUSTER = 1;
const ASK_MS = 1000;
const ASK_ATTEMPTS = 5;
/** A BANS reply stays well inside one BIN packet (65515 bytes); the longest-lived bans go first. */
const MAX_REPLY_CHARS = 60_000;

/** Whether this node has had its BANS? answered (asked once, at the first node that comes up). */
let learned = false;

function aorOf(uri: { kind: string; user?: string | undefined; host?: string }): string | undefined {
  return uri.kind === 'sip' && uri.user !== undefined && uri.host !== undefined ? `${uri.user}@${uri.host.toLowerCase()}` : undefined;
}

const addr = (a: string) => (a.includes(':') ? `[${a}]` : a);

/** Splits `<addr>:<f1>:…:<rest>` into the address and `n` more fields, the last one the remainder. */
function fields(text: string, n: number): [string, ...string[]] | undefined {
  let address: string;
  let rest: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']:');
    if (end < 0) return undefined;
    address = text.slice(1, end);
    rest = text.slice(end + 2);
  } else {
    const c = text.indexOf(':');
    if (c < 0) return undefined;
    address = text.slice(0, c);
    rest = text.slice(c + 1);
  }
  const out: [string, ...string[]] = [address];
  for (let i = 1; i < n; i++) {
    const c = rest.indexOf(':');
    if (c < 0) return undefined;
    out.push(rest.slice(0, c));
    rest = rest.slice(c + 1);
  }
  out.push(rest);
  return out;
}

/** Merges the lines of a `BANS:` reply; returns how many bans it set or extended. */
function merge(bans: BanApi, msg: string): number {
  if (!msg.startsWith('BANS:')) return 0;
  let n = 0;
  for (const line of msg.slice(5).split('\n')) {
    const f = line === '' ? undefined : fields(line, 3);
    if (f !== undefined && apply(bans, f[0], f[1] ?? '', Number(f[2]), f[3] ?? '')) n++;
  }
  return n;
}

function apply(bans: BanApi, address: string, ms: string, origin: number, userAgent: string): boolean {
  const banMs = Number(ms);
  if (!Number.isInteger(banMs) || banMs <= 0) return false;
  return bans.ban(address, { banMs, userAgent, originNodeId: origin, reason: `detected by node ${origin}` });
}

export default defineRoutes({
  async request(req, ctx) {
    if (req.method === 'REGISTER') {
      const aor = aorOf(req.to.uri);
      // An unknown user is refused at once; the node counts the 403 against the packet's source.
      if (aor === undefined || !(await ctx.registrar.userExists(aor))) {
        ctx.reply(403, 'Forbidden');
        return;
      }
      // A wrong password is a 401 to a request with credentials: counted too.
      if (!(await ctx.auth.authorize())) return;
      await ctx.registrar.save();
      return;
    }
    if (ctx.inDialog) {
      if (ctx.looseRoute() || req.method === 'ACK') await ctx.relay();
      else ctx.reply(404, 'Not Here');
      return;
    }
    if (req.method === 'CANCEL' || req.method === 'ACK') {
      await ctx.relay();
      return;
    }
    const aor = aorOf(req.uri);
    if (aor === undefined || req.uri.kind !== 'sip' || req.uri.user === undefined) {
      // OPTIONS (or anything) to the node itself: a keepalive answer.
      ctx.reply(req.method === 'OPTIONS' ? 200 : 404);
      return;
    }
    const contacts = ctx.location.lookup(aor);
    if (contacts.length === 0) {
      ctx.reply(404, 'Not Found');
      return;
    }
    ctx.recordRoute();
    await ctx.relay(contacts);
  },

  banDetected(ev, ctx) {
    const r = ctx.cluster.broadcastReq(CLUSTER, `BAN:${addr(ev.address)}:${ev.banMs}:${ev.userAgent}`);
    ctx.log.warn('attacker shared with the cluster', { address: ev.address, userAgent: ev.userAgent, result: r.result });
  },

  clusterRequest(ev, ctx) {
    if (ev.msg.startsWith('BAN:')) {
      const f = fields(ev.msg.slice(4), 2);
      if (f === undefined || !apply(ctx.bans, f[0], f[1] ?? '', ev.srcId, f[2] ?? '')) ctx.log.info('BAN not applied', { msg: ev.msg, from: ev.srcId });
      return;
    }
    if (ev.msg === 'BANS?') {
      let body = 'BANS:';
      for (const b of ctx.bans.list()) {
        const line = `${addr(b.address)}:${b.expiresInMs}:${b.originNodeId ?? ctx.nodeId ?? 0}:${b.userAgent.replaceAll('\n', ' ')}\n`;
        if (body.length + line.length > MAX_REPLY_CHARS) break;
        body += line;
      }
      ctx.cluster.sendRpl(ev.clusterId, ev.srcId, body, ev.tag);
    }
  },

  async nodeStateChanged(ev, ctx) {
    // The late joiner: at the first node that comes up, ask the whole cluster for its bans.
    if (ev.state !== 'up' || learned || !ctx.bans.enabled) return;
    learned = true;
    for (let attempt = 1; attempt <= ASK_ATTEMPTS; attempt++) {
      const replies = await ctx.cluster.request(CLUSTER, 'BANS?', { timeoutMs: ASK_MS, collect: 'all' });
      if (replies.length > 0) {
        const merged = replies.reduce((n, r) => n + merge(ctx.bans, r.msg), 0);
        ctx.log.info('bans learned from the cluster', { from: replies.map((r) => r.srcId), complete: replies.complete, merged });
        return;
      }
      // A node that just came up may not route back to us yet: ask again a little later.
      await new Promise((resolve) => setTimeout(resolve, ASK_MS));
    }
    learned = false; // nobody answered: ask again when the next node comes up
  },
});
