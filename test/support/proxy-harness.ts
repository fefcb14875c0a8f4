/** A SipCore + SipProxy on a FakeClock with a recording SipOutput, for the proxy tests and bench. */
import { FakeClock, SeededRandom } from '../../src/lib/fake-time.ts';
import { StatisticsRegistry } from '../../src/mgmt/statistics.ts';
import { buildResponse, parseMessage, type SipMessage } from '../../src/sip/message/index.ts';
import { SipCore } from '../../src/sip/proxy/sip-core.ts';
import { SipProxy } from '../../src/sip/proxy/sip-proxy.ts';
import type { ProxyListener, Resolver } from '../../src/sip/proxy/proxy-types.ts';
import type { TimerPolicy } from '../../src/sip/transaction/index.ts';
import type { SendWatcher, SipSource, SipTarget } from '../../src/sip/proxy/sip-source.ts';

export const PROXY_IP = '10.0.0.1';
export const CALLER: SipSource = { proto: 'udp', remoteAddress: '192.0.2.10', remotePort: 5060, localAddress: PROXY_IP, localPort: 5060 };
export const CALLEE_IP = '192.0.2.20';

export interface Sent {
  readonly target: SipTarget;
  readonly msg: SipMessage;
  /** The bytes as sent, and who asked to hear of a failure the transport finds later (sendFailedLater). */
  readonly data: Buffer;
  readonly watcher: SendWatcher | undefined;
}

export function harness(opts: {
  resolver?: Resolver; record?: boolean; udpOnly?: boolean; statelessRegisterReplies?: boolean; noReplyTimeoutMs?: number; policy?: TimerPolicy;
  /** sip.udpToTcpOnLargeRequests (RFC 3261 §18.1.1). */
  udpToTcpOnLargeRequests?: boolean;
  /** The node's listeners (default: UDP and TCP on PROXY_IP:5060, or UDP only with udpOnly). */
  listeners?: ProxyListener[];
} = {}) {
  const clock = new FakeClock();
  const stats = new StatisticsRegistry();
  const sent: Sent[] = [];
  const failing = new Set<string>();
  const out = {
    send(target: SipTarget, data: Buffer, watcher?: SendWatcher): boolean {
      if (failing.has(`${target.address}:${target.port}`)) return false;
      if (opts.record !== false) {
        const r = parseMessage(Buffer.from(data), { framing: 'stream' });
        if (!r.ok) throw new Error(`sent bytes do not parse: ${r.error.message}\n${data.toString()}`);
        sent.push({ target, msg: r.value, data, watcher });
      }
      return true;
    },
  };
  const core = new SipCore({ out, counters: stats, serverHeader: 'sc-test', allow: ['OPTIONS'] });
  const proxy = new SipProxy({
    core, out, counters: stats, timers: clock, random: new SeededRandom(7), serverHeader: 'sc-test',
    listeners: opts.listeners ?? (opts.udpOnly === true ? [{ proto: 'udp', address: PROXY_IP, port: 5060 }] : [{ proto: 'udp', address: PROXY_IP, port: 5060 }, { proto: 'tcp', address: PROXY_IP, port: 5060 }]),
    ...(opts.resolver === undefined ? {} : { resolver: opts.resolver }),
    ...(opts.statelessRegisterReplies === undefined ? {} : { statelessRegisterReplies: opts.statelessRegisterReplies }),
    ...(opts.noReplyTimeoutMs === undefined ? {} : { noReplyTimeoutMs: opts.noReplyTimeoutMs }),
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    ...(opts.udpToTcpOnLargeRequests === undefined ? {} : { udpToTcpOnLargeRequests: opts.udpToTcpOnLargeRequests }),
  });
  const h = {
    clock, stats, sent, failing, core, proxy,
    /** A request from the caller (or `src`). */
    recv(text: string, src: SipSource = CALLER): void { core.receive(Buffer.from(text), src); },
    /** Everything sent since the last take(). */
    take(): Sent[] { return sent.splice(0, sent.length); },
    /** A downstream element answers a request we forwarded. */
    answer(req: SipMessage, status: number, reason: string, o: { toTag?: string; headers?: Array<[string, string]> } = {}): SipMessage {
      const res = buildResponse(req, status, reason, { toTag: o.toTag ?? `t${status}`, ...(o.headers === undefined ? {} : { headers: o.headers }) });
      const t = sent.find((s) => s.msg === req)?.target;
      core.receive(Buffer.from(res.bytes), {
        proto: t?.proto ?? 'udp', remoteAddress: t?.address ?? CALLEE_IP, remotePort: t?.port ?? 5060, localAddress: PROXY_IP, localPort: 5060,
      });
      return res;
    },
    stat(name: string): number { return stats.get([name])[name] ?? 0; },
    /**
     * The transport finds, after send returned true, that this message could not go (a TCP connect
     * refused, a datagram the kernel refused when the UDP queue flushed): it tells the watcher.
     */
    sendFailedLater(s: Sent): void { s.watcher?.sendFailed(s.data); },
  };
  return h;
}

export function request(o: {
  method?: string; uri?: string; via?: string; mf?: string | null; headers?: string[]; branch?: string; callId?: string; toTag?: string; cseq?: number;
} = {}): string {
  const method = o.method ?? 'INVITE';
  const lines = [
    `${method} ${o.uri ?? `sip:bob@${CALLEE_IP}`} SIP/2.0`,
    `Via: ${o.via ?? `SIP/2.0/UDP 192.0.2.10:5060;branch=${o.branch ?? 'z9hG4bKcaller1'};rport`}`,
    ...(o.mf === null ? [] : [`Max-Forwards: ${o.mf ?? '70'}`]),
    'From: Alice <sip:alice@example.com>;tag=a1',
    `To: Bob <sip:bob@example.com>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${o.callId ?? 'call-1@192.0.2.10'}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    'Contact: <sip:alice@192.0.2.10:5060>',
    ...(o.headers ?? []),
    'Content-Length: 0', '', '',
  ];
  return lines.join('\r\n');
}

/** The only message sent, or a failure listing what was sent. */
export function only(s: Sent[], pred: (m: SipMessage) => boolean = () => true): Sent {
  const m = s.filter((x) => pred(x.msg));
  if (m.length !== 1) throw new Error(`expected one message, got ${m.length}: ${s.map((x) => x.msg.isRequest ? x.msg.method : x.msg.status).join(', ')}`);
  return m[0] as Sent;
}

export const isReq = (method: string) => (m: SipMessage): boolean => m.isRequest && m.method === method;
export const isRes = (status: number) => (m: SipMessage): boolean => !m.isRequest && m.status === status;
