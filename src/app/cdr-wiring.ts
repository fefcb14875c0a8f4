import { resolveFromConfig } from './config/load-config.ts';
import { invariant } from '../lib/errors.ts';
import { realClock, realTimers } from '../lib/real-time.ts';
import type { SipMessage, Uri } from '../sip/message/index.ts';
import {
  CallTracker, CdrDelivery, CdrWriter, MemorySpool, answerOf, decodeCdr, decodeReply, encodeReply, isCdrReplyText, isCdrText,
  type CdrSpool, type DeliveryAnswer,
} from '../features/cdr/index.ts';
import type { ClusterMessageEvent } from '../script/api.ts';
import type { CdrPort, ClusterPort } from '../script/ports.ts';
import type { ClusterEvents, ClusterLink } from './cluster-port.ts';
import { DiskSpool } from './cdr-disk-spool.ts';
import { registerCdrMethods } from './cdr-mi.ts';
import type { NodeRuntime } from './node-runtime.ts';

/** How often the tracker looks for dialog timeouts and INVITEs never answered. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * Call accounting as a node part (`cdr:`): the tracker that `ctx.cdr.account()` feeds, the BYE
 * observation at the SIP intake, the spool and the delivery to the writer node, and on the writer
 * node the built-in handler of CDR requests (they never reach the routing script's
 * clusterRequest). The writer's own calls go through the same spool and delivery, with a local
 * write in place of the cluster request.
 */
export interface CdrPart {
  readonly port: CdrPort;
  /** Every request before the routing script: a BYE may end an accounted call. */
  seeRequest(msg: SipMessage): void;
  /** The cluster's events with CDR requests (writer) and late CDR replies (sender) taken out. */
  events(script: ClusterEvents): ClusterEvents;
}

export async function startCdr(rt: NodeRuntime, link: ClusterLink | undefined, cluster: ClusterPort | undefined): Promise<CdrPart | undefined> {
  const cfg = rt.config.cdr;
  if (cfg === undefined) return undefined;
  // The config schema refuses cdr: without cluster: or routes:, and a sender whose writer is itself (checkCdr in config/schema-cdr.ts).
  invariant(link !== undefined && cluster !== undefined, 'cdr: started without a cluster: the config schema should have refused it');
  const log = logOf(rt);
  const self = link.nodeId;
  invariant(cfg.role !== 'sender' || cfg.writerNodeId !== self, 'cdr: a sender whose writer is itself: the config schema should have refused it');
  if (cfg.role === 'writer' && rt.config.store.url === 'sqlite::memory:') {
    rt.logger.warn({ feature: 'cdr' }, 'cdr: role writer with store sqlite::memory: — CDRs are lost when this node stops');
  }
  const spool: CdrSpool = cfg.spoolDir === undefined
    ? new MemorySpool(cfg.spoolMaxBytes, () => realClock.wallMs())
    : await DiskSpool.open({
      dir: resolveFromConfig(rt.baseDir, cfg.spoolDir), maxBytes: cfg.spoolMaxBytes, fsync: cfg.spoolFsync, counters: rt.stats,
      wallMs: () => realClock.wallMs(), log, check: (text) => { const d = decodeCdr(text); return d.ok ? undefined : d.error.message; },
    });
  const badReplies = rt.stats.counter('cdr:bad_replies', 'answers to CDR requests that were not CDROK/CDRERR (retried)');
  const lateReplies = rt.stats.counter('cdr:late_replies', 'CDR replies that arrived after their request timed out (the retry gets its own)');

  let writer: CdrWriter | undefined;
  let send: (text: string) => Promise<DeliveryAnswer>;
  if (cfg.role === 'writer') {
    const store = rt.store;
    if (store === undefined) throw new Error('cdr: role writer needs the store');
    const w = new CdrWriter(store.acc, rt.stats, log);
    writer = w;
    send = async (text) => answerOf(decodeReply(await w.handle(text, self)), 'local write failed');
  } else {
    const writerId = cfg.writerNodeId as number; // the schema requires it for a sender
    send = async (text) => {
      const got = await cluster.request(link.clusterId, text, { nodeId: writerId, timeoutMs: cfg.requestTimeoutMs, collect: 'first' });
      const first = got.replies[0];
      if (first === undefined) return { kind: 'retry', reason: link.reachableNodes().includes(writerId) ? 'no reply in time' : 'writer unreachable' };
      const reply = decodeReply(first.msg);
      if (reply === undefined) badReplies.inc();
      return answerOf(reply, 'not a CDR reply');
    };
  }

  const delivery = new CdrDelivery(
    { maxInFlight: cfg.maxInFlight, retryMinMs: cfg.retryMinMs, retryMaxMs: cfg.retryMaxMs },
    { spool, send, timers: realTimers, counters: rt.stats, log },
  );
  const tracker = new CallTracker(
    { maxCallMs: cfg.maxCallMs, setupTimeoutMs: cfg.setupTimeoutMs, maxCalls: cfg.maxCalls },
    { clock: realClock, counters: rt.stats, nodeId: self, onRecord: (r) => { void delivery.submit(r); } },
  );
  // The writer came back: deliver now instead of sitting out the rest of the backoff.
  if (cfg.role === 'sender') link.onNodeState((id, state) => { if (id === cfg.writerNodeId && state === 'up') delivery.retryNow(); });
  const sweep = setInterval(() => tracker.sweep(), SWEEP_INTERVAL_MS);
  sweep.unref();
  rt.addService({ name: 'cdr', stop: async () => { clearInterval(sweep); delivery.stop(); } });
  registerCdrMethods(rt.rpc, { role: cfg.role, spool, delivery, tracker, wallMs: () => realClock.wallMs() });
  const st = spool.status();
  rt.logger.info({ role: cfg.role, writerNodeId: cfg.role === 'sender' ? cfg.writerNodeId : self, spooled: st.count, spoolDir: cfg.spoolDir ?? '(memory)' }, 'call accounting on');
  delivery.start();

  return {
    port: {
      account(pr) {
        const msg = pr.msg;
        if (msg.method !== 'INVITE' || msg.to.tag !== undefined) return false;
        const r = tracker.start({ callid: msg.callId, fromTag: msg.from.tag ?? '', caller: aorOf(msg.from.uri), callee: aorOf(msg.uri) });
        if (!r.ok) {
          rt.logger.warn({ callId: msg.callId, code: r.code }, r.message);
          return false;
        }
        if (r.change === 'tracking') pr.observeReplies((res) => tracker.response(res.callId, res.from.tag ?? '', res.to.tag ?? '', res.status, res.reason));
        return true;
      },
    },
    seeRequest(msg) {
      if (msg.method === 'BYE') tracker.request('BYE', msg.callId, msg.from.tag ?? '', msg.to.tag ?? '');
    },
    events(script) {
      return {
        clusterRequest(ev: ClusterMessageEvent) {
          if (!isCdrText(ev.msg)) { script.clusterRequest(ev); return; }
          if (writer === undefined) {
            // A sender never writes: it answers so the peer does not wait for its timeout.
            cluster.sendRpl(ev.clusterId, ev.srcId, encodeReply({ ok: false, code: 'FEATURE_CDR_NOT_WRITER' }), ev.tag);
            return;
          }
          void writer.handle(ev.msg, ev.srcId).then((reply) => { cluster.sendRpl(ev.clusterId, ev.srcId, reply, ev.tag); });
        },
        clusterReply(ev: ClusterMessageEvent) {
          if (isCdrReplyText(ev.msg)) lateReplies.inc();
          else script.clusterReply(ev);
        },
        nodeStateChanged: (ev) => script.nodeStateChanged(ev),
      };
    },
  };
}

/** `user@host` of a SIP URI (the whole URI text for tel: and others). */
function aorOf(uri: Uri): string {
  if (uri.kind === 'sip') return `${uri.user ?? ''}@${uri.host.toLowerCase()}`;
  return uri.raw;
}

function logOf(rt: NodeRuntime): { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void; error(m: string, f?: Record<string, unknown>): void } {
  const l = rt.logger;
  return {
    info: (m, f) => l.info({ ...f, feature: 'cdr' }, m),
    warn: (m, f) => l.warn({ ...f, feature: 'cdr' }, m),
    error: (m, f) => l.error({ ...f, feature: 'cdr' }, m),
  };
}
