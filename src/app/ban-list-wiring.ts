import { realClock } from '../lib/real-time.ts';
import { BanList, type BanDetected } from '../features/ban-list/index.ts';
import type { ProxyRequest } from '../sip/proxy/index.ts';
import type { SipMessage } from '../sip/message/index.ts';
import { banApiOf } from '../script/ban-api.ts';
import type { BanApi } from '../script/api.ts';
import type { ReplyObserver } from '../script/proxy-binding.ts';
import { parseBinUrl } from '../cluster/net/bin-url.ts';
import type { ClusterService } from './cluster-service.ts';
import type { NodeRuntime } from './node-runtime.ts';
import { registerBanMethods } from './ban-mi.ts';

/** How often lapsed bans and stale failure histories are swept (the gauge `ban:active` follows). */
const SWEEP_INTERVAL_MS = 1000;

/**
 * The ban list as a node part (`banList:`): the BanList itself, the intake check the proxy runs
 * before the routing script, the observer that turns failed REGISTER answers into failures of the
 * packet's source, `ctx.bans` for the script, and the MI methods.
 */
export interface BanListPart {
  readonly list: BanList;
  readonly api: BanApi;
  /** True when the request came from a banned source and was answered 403 or dropped. */
  refuse(pr: ProxyRequest): boolean;
  readonly observeReply: ReplyObserver;
}

export function startBanList(rt: NodeRuntime, onDetected: (d: BanDetected) => void): BanListPart | undefined {
  const cfg = rt.config.banList;
  if (cfg === undefined || !cfg.enabled) return undefined;
  const cluster = rt.cluster;
  const list = new BanList(cfg, {
    clock: realClock,
    counters: rt.stats,
    isPeer: (address) => cluster !== undefined && peerAddresses(cluster).has(address),
    onDetected: (d) => {
      rt.logger.warn({ source: d.address, userAgent: d.userAgent, banMs: d.banMs, failures: d.failures }, 'attacker detected and banned');
      onDetected(d);
    },
    ...(cluster === undefined ? {} : { originNodeId: cluster.cfg.nodeId }),
  });
  const sweep = setInterval(() => list.sweep(), SWEEP_INTERVAL_MS);
  sweep.unref();
  rt.addService({ name: 'ban-list', stop: async () => { clearInterval(sweep); } });
  registerBanMethods(rt.rpc, list);
  const drop = cfg.action === 'drop';
  return {
    list,
    api: banApiOf(list),
    refuse(pr) {
      // The hot path: one Map lookup for a source that is not banned.
      if (list.check(pr.src.remoteAddress) === undefined) return false;
      if (drop || pr.msg.method === 'ACK') pr.drop();
      // Stateless (OpenSIPS pike scripts: sl_send_reply): a banned source's flood keeps no
      // transaction, and an INVITE's 403 is not resent toward a source that never ACKs.
      else pr.reply(403, 'Forbidden', { stateless: true });
      return true;
    },
    observeReply(pr, status, headers) {
      if (pr.msg.method !== 'REGISTER' || !isFailedRegister(pr.msg, status, headers)) return;
      list.recordFailure(pr.src.remoteAddress, pr.msg.get('User-Agent') ?? '', 'failed REGISTER');
    },
  };
}

/**
 * A REGISTER failed when it was refused (403, 404) or its credentials were (401 to a request that
 * carried Authorization). The first 401 of every digest exchange, and a 401 with `stale=true`
 * (an old nonce, not a wrong password), are normal and do not count.
 */
export function isFailedRegister(req: SipMessage, status: number, headers: ReadonlyArray<readonly [string, string]> | undefined): boolean {
  if (status === 403 || status === 404) return true;
  if (status !== 401 || !req.has('Authorization')) return false;
  return !(headers ?? []).some(([n, v]) => n.toLowerCase() === 'www-authenticate' && /stale\s*=\s*"?true/i.test(v));
}

/** Hosts of every cluster node's BIN listener and SIP address: those are never banned. */
function peerAddresses(svc: ClusterService): Set<string> {
  const out = new Set<string>();
  const add = (url: string, sip: string) => {
    const bin = parseBinUrl(url);
    if (bin !== undefined) out.add(bin.host);
    const host = sipAddressHost(sip);
    if (host !== undefined) out.add(host);
  };
  add(svc.cfg.listen, svc.cfg.sipAddress ?? '');
  for (const n of svc.runner.node.directory.list()) add(n.description.url, n.description.sipAddr);
  return out;
}

/** The host of a node's SIP address (`sip:127.0.0.1:5060`, `sip:[::1]:5060;transport=tcp`). */
export function sipAddressHost(sip: string): string | undefined {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;>]+)/i.exec(sip);
  return m?.[1]?.replace(/^\[|\]$/g, '');
}
