import type { SipMessage } from '../sip/message/index.ts';
import type { BanDetectedEvent, ClusterMessageEvent, EslEvent, EventContext, NodeStateEvent, RelayOptions, ReplyBranch, ReplyContext, Routes, ScriptLogger } from './api.ts';
import { NO_BANS } from './ban-api.ts';
import { clusterApiOf } from './cluster-api.ts';
import { NO_MAPS } from './map-api.ts';
import type { ProxyRequestPort, ReplyPort, ScriptHooks } from './ports.ts';
import { ReplyNat, ScriptRequestContext, type ContextDeps } from './request-context.ts';

/** The node's structured logger as the host needs it (pino's shape). */
export interface HostLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

type Deps = ContextDeps & { readonly logger: HostLogger };

/**
 * Runs the routing script: one request handler call per new request, the reply and failure
 * handlers through the proxy's hooks, the cluster handlers for cluster events. A handler that
 * throws (or rejects) is logged with the script's own stack, the `error` handler runs, and the
 * request gets 500 unless something already answered it — the node keeps running (DESIGN.md §4).
 * Synchronous handlers pay no promise cost. `swap()` replaces the routes for new requests only:
 * a transaction keeps the handlers it started with (core:reload_routes drops nothing).
 */
export class ScriptHost {
  constructor(private routes: Routes, private readonly deps: Deps) {}

  swap(routes: Routes): void {
    this.routes = routes;
  }

  /**
   * Runs the request handler. Returns a promise when the handler is async, so the proxy keeps the
   * transaction until the script decided (and retransmissions meanwhile are absorbed by it).
   */
  handleRequest(pr: ProxyRequestPort): void | Promise<void> {
    const routes = this.routes;
    const log = this.loggerFor(pr.msg);
    const ctx = new ScriptRequestContext(pr, this.deps, log, this, routes);
    if (routes.reply !== undefined || routes.failure !== undefined) ctx.pr.setHooks(this.hooksOf(ctx, routes, undefined, routes.failure));
    let r: void | Promise<void>;
    try {
      r = routes.request(pr.msg, ctx);
    } catch (e) {
      // The promise goes back to the proxy: it keeps the request until the error handler (which
      // may be async) and the 500 are done, instead of dropping it as undecided.
      return this.failed(e, routes, ctx, 'request');
    }
    if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
      return (r as Promise<void>).then(() => this.finished(ctx), (e: unknown) => this.failed(e, routes, ctx, 'request'));
    }
    this.finished(ctx);
    return undefined;
  }

  /**
   * The handlers of one relay (RelayOptions onReply / onFailure, ScriptRequestContext.relay), which
   * the relay arms for its branch set; undefined for both: the routes' own again. A relay with
   * onReply runs the routes' `reply` first (OpenSIPS: the main onreply_route, then the one
   * t_on_reply armed, each a route of its own: see replyRoutes). A relay without onFailure after one with it gets the routes' `failure`, or
   * none: a handler that does nothing, so that the proxy does not arm the one still running again
   * (it does that for the routes' own, which a relay from inside it keeps, as before).
   */
  relayHooks(ctx: ScriptRequestContext, onReply: RelayOptions['onReply'], onFailure: RelayOptions['onFailure']): ScriptHooks {
    const routes = ctx.routes ?? this.routes;
    return this.hooksOf(ctx, routes, onReply, onFailure ?? routes.failure ?? noFailureHandler);
  }

  /**
   * The proxy's hooks: the routes' `reply` then the relay's own `onReply` (either may be absent),
   * and the failure handler, with the error handling every handler gets.
   */
  private hooksOf(ctx: ScriptRequestContext, routes: Routes, ownReply: RelayOptions['onReply'], failureHandler: Routes['failure']): ScriptHooks {
    const pr = ctx.pr;
    const log = ctx.log;
    const nodeId = this.deps.cluster?.nodeId;
    const mainReply = routes.reply;
    const hooks: ScriptHooks = {};
    if (mainReply !== undefined || ownReply !== undefined) {
      hooks.onReply = (res: SipMessage, branch: ReplyBranch, reply: ReplyPort) => {
        this.replyRoutes(mainReply, ownReply, res, new ScriptReplyContext(pr, log, nodeId, res, branch, reply), routes, ctx);
      };
    }
    if (failureHandler !== undefined) {
      hooks.onFailure = async (best: SipMessage | undefined, status: number) => {
        try {
          await failureHandler(best, status, ctx);
        } catch (e) {
          await this.failed(e, routes, ctx, 'failure');
        }
      };
    }
    return hooks;
  }

  clusterRequest(ev: ClusterMessageEvent): void {
    const h = this.routes.clusterRequest;
    if (h !== undefined) this.guard(() => h(ev, this.eventContext()), this.routes, undefined, 'clusterRequest');
  }

  clusterReply(ev: ClusterMessageEvent): void {
    const h = this.routes.clusterReply;
    if (h !== undefined) this.guard(() => h(ev, this.eventContext()), this.routes, undefined, 'clusterReply');
  }

  nodeStateChanged(ev: NodeStateEvent): void {
    const h = this.routes.nodeStateChanged;
    if (h !== undefined) this.guard(() => h(ev, this.eventContext()), this.routes, undefined, 'nodeStateChanged');
  }

  banDetected(ev: BanDetectedEvent): void {
    const h = this.routes.banDetected;
    if (h !== undefined) this.guard(() => h(ev, this.eventContext()), this.routes, undefined, 'banDetected');
  }

  /**
   * Asks the script's eslEvent handler whether to broadcast an ESL event: true unless it returns
   * (or resolves to) false. A handler that throws keeps the event from the cluster (a filter that
   * failed must not leak what it was meant to hold back) and is logged like any handler error.
   */
  eslEvent(ev: EslEvent): boolean | Promise<boolean> {
    const routes = this.routes;
    const h = routes.eslEvent;
    if (h === undefined) return true;
    let r: ReturnType<typeof h>;
    try {
      r = h(ev, this.eventContext());
    } catch (e) {
      void this.failed(e, routes, undefined, 'eslEvent');
      return false;
    }
    if (r !== undefined && typeof r === 'object' && typeof (r as Promise<boolean | void>).then === 'function') {
      return (r as Promise<boolean | void>).then((v) => v !== false, (e: unknown) => { void this.failed(e, routes, undefined, 'eslEvent'); return false; });
    }
    return r !== false;
  }

  private eventContext(): EventContext {
    const reg = this.deps.registrar;
    return {
      log: this.baseLogger({}), vars: new Map(), nodeId: this.deps.cluster?.nodeId, cluster: clusterApiOf(this.deps.cluster),
      location: { lookup: (aorOrUri: string) => reg.lookup(reg.aorOf(aorOrUri)) },
      registrar: { isRegistered: (aor: string) => reg.isRegistered(reg.aorOf(aor)), userExists: (aor: string) => reg.userExists(reg.aorOf(aor)) },
      bans: this.deps.bans ?? NO_BANS,
      maps: this.deps.maps ?? NO_MAPS,
    };
  }

  /**
   * One response through the routes' `reply`, then the relay's `onReply` (OpenSIPS runs the main
   * onreply_route, then the one t_on_reply armed, as two routes). Each is a route of its own: one
   * that throws or rejects is logged and goes to the error handler, and the other runs all the
   * same. The second waits for the first when that is async; when the first throws at once the
   * second runs at once, so that what it changes in the response (ctx.nat) still goes upstream.
   */
  private replyRoutes(
    main: Routes['reply'], own: RelayOptions['onReply'], res: SipMessage, rctx: ScriptReplyContext, routes: Routes, ctx: ScriptRequestContext,
  ): void {
    if (main === undefined) {
      if (own !== undefined) this.guard(() => own(res, rctx), routes, ctx, 'onReply');
      return;
    }
    let r: void | Promise<void>;
    try {
      r = main(res, rctx);
    } catch (e) {
      void this.failed(e, routes, ctx, 'reply');
      r = undefined;
    }
    const async = r !== undefined && typeof (r as Promise<void>).then === 'function';
    if (own === undefined) {
      if (async) (r as Promise<void>).then(undefined, (e: unknown) => this.failed(e, routes, ctx, 'reply'));
      return;
    }
    if (!async) { this.guard(() => own(res, rctx), routes, ctx, 'onReply'); return; }
    (r as Promise<void>).then(
      () => { this.guard(() => own(res, rctx), routes, ctx, 'onReply'); },
      (e: unknown) => { void this.failed(e, routes, ctx, 'reply'); this.guard(() => own(res, rctx), routes, ctx, 'onReply'); },
    );
  }

  /** Runs a handler that may be sync or async; failures go to `failed`. */
  private guard(fn: () => void | Promise<void>, routes: Routes, ctx: ScriptRequestContext | undefined, handler: string): void {
    try {
      const r = fn();
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(undefined, (e: unknown) => this.failed(e, routes, ctx, handler));
      }
    } catch (e) {
      void this.failed(e, routes, ctx, handler);
    }
  }

  private finished(ctx: ScriptRequestContext): void {
    if (ctx.pr.handled || ctx.dropped || ctx.pr.msg.method === 'ACK') return;
    ctx.log.warn('the request handler returned without replying, relaying or dropping; answering 500');
    ctx.pr.reply(500, 'Server Internal Error (not routed)');
  }

  private async failed(e: unknown, routes: Routes, ctx: ScriptRequestContext | undefined, handler: string): Promise<void> {
    const err = e instanceof Error ? e : new Error(String(e));
    this.deps.logger.error({ handler, err, stack: err.stack, callId: ctx?.pr.msg.callId }, `routing script ${handler} handler threw`);
    if (routes.error !== undefined) {
      try {
        await routes.error(e, ctx);
      } catch (e2) {
        this.deps.logger.error({ err: e2 }, 'routing script error handler threw');
      }
    }
    if (ctx !== undefined && !ctx.pr.handled && ctx.pr.msg.method !== 'ACK') ctx.pr.reply(500, 'Server Internal Error');
  }

  private loggerFor(msg: SipMessage): ScriptLogger {
    return new RequestLogger(this.deps.logger, msg);
  }

  /** Fields are attached only when a line is actually written (no per-request child logger). */
  private baseLogger(fields: Record<string, unknown>): ScriptLogger {
    const l = this.deps.logger;
    return {
      debug: (msg, f) => l.debug({ ...fields, ...f, script: true }, msg),
      info: (msg, f) => l.info({ ...fields, ...f, script: true }, msg),
      warn: (msg, f) => l.warn({ ...fields, ...f, script: true }, msg),
      error: (msg, f) => l.error({ ...fields, ...f, script: true }, msg),
    };
  }
}

/** The failure handler of a relay that armed none after one that did: the best response goes up. */
function noFailureHandler(): void {}

/** A request's logger: the Call-ID and method are attached when a line is written, not before. */
class RequestLogger implements ScriptLogger {
  constructor(private readonly l: HostLogger, private readonly msg: SipMessage) {}
  private fields(f: Record<string, unknown> | undefined): Record<string, unknown> {
    return { callId: this.msg.callId, method: this.msg.method, ...f, script: true };
  }
  debug(msg: string, f?: Record<string, unknown>): void { this.l.debug(this.fields(f), msg); }
  info(msg: string, f?: Record<string, unknown>): void { this.l.info(this.fields(f), msg); }
  warn(msg: string, f?: Record<string, unknown>): void { this.l.warn(this.fields(f), msg); }
  error(msg: string, f?: Record<string, unknown>): void { this.l.error(this.fields(f), msg); }
}

/** The reply handler's `ctx`: one object per response; `source` and `nat` are made when read. */
class ScriptReplyContext implements ReplyContext {
  private natApi: ReplyNat | undefined;

  constructor(
    private readonly pr: ProxyRequestPort, readonly log: ScriptLogger, readonly nodeId: number | undefined,
    private readonly res: SipMessage, readonly branch: ReplyBranch, private readonly reply: ReplyPort,
  ) {}

  get req(): SipMessage { return this.pr.msg; }
  get vars(): Map<string, unknown> { return this.pr.vars; }
  get source(): ReplyContext['source'] { return this.reply.source; }
  get nat(): ReplyNat { return (this.natApi ??= new ReplyNat(this.res, this.reply)); }
}
