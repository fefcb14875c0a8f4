import type { AddressInfo } from 'node:net';
import { realClock } from '../lib/real-time.ts';
import { registerCoreMethods } from '../mgmt/core-methods.ts';
import { RpcHttpServer } from '../mgmt/rpc-http-server.ts';
import { RpcRegistry } from '../mgmt/rpc-registry.ts';
import { StatisticsRegistry } from '../mgmt/statistics.ts';
import type { LoadedConfig } from './config/load-config.ts';
import type { NodeConfig } from './config/schema.ts';
import { createLogger, fromOpensipsLevel, toOpensipsLevel, type Logger } from './logger.ts';
import type { Service } from './service.ts';
import { VERSION } from './version.ts';
import { SipService } from './sip-service.ts';
import { RegistrarService } from './registrar-service.ts';
import { ClusterService } from './cluster-service.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { listening } from './listen-error.ts';
import { startEsl, type EslBridge } from './esl-wiring.ts';

export interface NodeRuntimeOptions {
  /** Logger to use instead of one made from the config (tests). */
  logger?: Logger;
}

/**
 * The composition root of one node: builds every part from the config, wires them with the real
 * clock and sockets, and stops them in reverse order. Later issues add their parts in `start`.
 */
export class NodeRuntime {
  readonly config: NodeConfig;
  readonly file: string;
  readonly baseDir: string;
  readonly logger: Logger;
  readonly stats = new StatisticsRegistry();
  /** The OpenSIPS log level last set through core:log_level (reported back as set). */
  private miLogLevel: number | undefined;
  readonly rpc = new RpcRegistry();
  readonly startedAtWallMs = realClock.wallMs();
  private readonly services: Service[] = [];
  private mi: RpcHttpServer | undefined;
  private miAddress: AddressInfo | undefined;
  private stopping: Promise<void> | undefined;
  sip: SipService | undefined;
  store: Store | undefined;
  registrar: RegistrarService | undefined;
  cluster: ClusterService | undefined;
  esl: EslBridge | undefined;

  private constructor(loaded: LoadedConfig, opts: NodeRuntimeOptions) {
    this.config = loaded.config;
    this.file = loaded.file;
    this.baseDir = loaded.baseDir;
    this.logger = opts.logger ?? createLogger(loaded.config.node.name, loaded.config.node.logLevel);
  }

  static async start(loaded: LoadedConfig, opts: NodeRuntimeOptions = {}): Promise<NodeRuntime> {
    const rt = new NodeRuntime(loaded, opts);
    try {
      await rt.startParts();
    } catch (e) {
      await rt.stop('startup failed');
      throw e;
    }
    return rt;
  }

  /** Adds a part to stop at shutdown (stopped in reverse order of adding). */
  addService(s: Service): void {
    this.services.push(s);
  }

  /** The MI's bound address (port 0 in the config picks a free port). */
  miUrl(): string | undefined {
    if (this.miAddress === undefined) return undefined;
    const host = this.miAddress.family === 'IPv6' ? `[${this.miAddress.address}]` : this.miAddress.address;
    return `http://${host}:${this.miAddress.port}/mi`;
  }

  private async startParts(): Promise<void> {
    const cfg = this.config;
    this.stats.computedGauge('core:uptime_sec', () => Math.floor((realClock.wallMs() - this.startedAtWallMs) / 1000), 'seconds since start');
    registerCoreMethods(this.rpc, {
      version: VERSION,
      startedAtWallMs: this.startedAtWallMs,
      wallMs: () => realClock.wallMs(),
      pid: process.pid,
      stats: this.stats,
      // The level last set is the one reported (several OpenSIPS levels share a pino level:
      // notice and info, err and -2…), as long as the logger still runs at it.
      getLogLevel: () => (this.miLogLevel !== undefined && fromOpensipsLevel(this.miLogLevel) === this.logger.level ? this.miLogLevel : toOpensipsLevel(this.logger.level)),
      setLogLevel: (l) => { this.logger.level = fromOpensipsLevel(l); this.miLogLevel = l; },
    });
    if (cfg.mi.enabled) {
      const mi = new RpcHttpServer({
        host: cfg.mi.host, port: cfg.mi.port, registry: this.rpc,
        onError: (err, method) => this.logger.error({ err, method }, 'MI method failed'),
      });
      this.miAddress = await listening('mi.port', mi.listen());
      this.mi = mi;
      this.logger.info({ url: this.miUrl() }, 'management interface listening');
    }
    const store = await openStore(cfg.store.url, { baseDir: this.baseDir });
    this.store = store;
    this.addService({ name: 'store', stop: () => store.close() });
    this.registrar = await RegistrarService.start(this, store);
    this.addService(this.registrar);
    // The cluster starts before SIP so the routing script can talk to it from its first request.
    if (cfg.cluster !== undefined) {
      this.cluster = await ClusterService.start(this);
      this.addService(this.cluster);
    }
    this.sip = await SipService.start(this);
    this.addService(this.sip);
    // After SIP: the bridge hands events to the routing script and its cluster port.
    this.esl = startEsl(this);
  }

  /** Stops accepting work, drains until the configured deadline, releases everything. Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const deadlineMs = realClock.nowMs() + this.config.shutdown.drainTimeoutMs;
    this.logger.info({ reason }, 'stopping');
    for (const s of [...this.services].reverse()) {
      try {
        await s.stop(deadlineMs);
      } catch (err) {
        this.logger.error({ err, service: s.name }, 'error while stopping');
      }
    }
    await this.mi?.close();
    this.logger.info('stopped');
  }
}
