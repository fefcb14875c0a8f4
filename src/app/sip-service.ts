import { SipCore } from '../sip/proxy/index.ts';
import { SipTransport } from '../sip/transport/sip-transport.ts';
import type { ListenerInfo } from '../sip/transport/types.ts';
import type { NodeRuntime } from './node-runtime.ts';
import type { Service } from './service.ts';

/** Methods the node answers; grows as the proxy and registrar are wired in. */
export const STATELESS_ALLOW = ['OPTIONS'];

/**
 * The node's SIP side: listeners from `sip.listen`, the core that parses and answers, and the
 * transport between them. On stop, listeners close first (no new work), then connections.
 */
export class SipService implements Service {
  readonly name = 'sip';
  readonly core: SipCore;
  readonly transport: SipTransport;
  private listeners: ListenerInfo[] = [];

  private constructor(rt: NodeRuntime) {
    const cfg = rt.config.sip;
    this.transport = new SipTransport(
      (data, info) => this.core.receive(data, info),
      (target, code, message) => rt.logger.warn({ target, code, message }, 'SIP send failed'),
      rt.stats,
      {
        idleTimeoutMs: cfg.tcp.idleTimeoutMs, maxConnections: cfg.tcp.maxConnections,
        maxBufferedBytesPerConnection: cfg.tcp.maxBufferedBytesPerConnection, maxMessageBytes: cfg.maxMessageBytes,
      },
    );
    this.core = new SipCore({
      out: { send: (target, data) => { const r = this.transport.send(target, data); return r === 'sent' || r === 'queued'; } },
      counters: rt.stats,
      serverHeader: cfg.serverHeader,
      allow: STATELESS_ALLOW,
      supported: [],
    });
  }

  static async start(rt: NodeRuntime): Promise<SipService> {
    const s = new SipService(rt);
    s.listeners = await s.transport.listen(rt.config.sip.listen);
    rt.logger.info({ listen: s.listeners.map((l) => `${l.proto}:${l.address}:${l.port}`) }, 'SIP listening');
    return s;
  }

  listening(): ListenerInfo[] {
    return [...this.listeners];
  }

  async stop(): Promise<void> {
    await this.transport.close();
  }
}
