import type { ProxyRequest } from '../sip/proxy/index.ts';
import type { ProxyRequestPort } from './ports.ts';

/** Sees every answer the script sends for a request, before it goes out (the ban list counts failed REGISTERs here). */
export type ReplyObserver = (pr: ProxyRequest, status: number, headers: ReadonlyArray<readonly [string, string]> | undefined) => void;

/** The proxy's per-request object seen through the script host's port. */
export function portOf(pr: ProxyRequest, observe?: ReplyObserver): ProxyRequestPort {
  return {
    msg: pr.msg,
    src: pr.src,
    vars: pr.vars,
    get handled() { return pr.disposition !== 'pending'; },
    reply: (status, reason, opts) => {
      observe?.(pr, status, opts?.headers);
      return pr.reply(status, reason, opts);
    },
    relay: (targets, opts) => pr.relay(targets, opts),
    forwardStateless: (destination) => {
      if (destination !== undefined) pr.setDestination(destination);
      pr.forwardStateless();
    },
    drop: () => pr.drop(),
    recordRoute: () => pr.recordRoute(),
    looseRoute: () => pr.looseRoute(),
    setRequestUri: (uri) => pr.setRequestUri(uri),
    setDestination: (uri) => pr.setDestination(uri),
    addHeader: (name, value) => pr.addHeader(name, value),
    removeHeader: (name) => pr.removeHeader(name),
    setHooks: (h) => {
      const onReply = h.onReply;
      const onFailure = h.onFailure;
      pr.onReply = onReply === undefined ? undefined : (res) => onReply(res);
      pr.onFailure = onFailure === undefined ? undefined : (best) => onFailure(best.msg, best.status);
    },
  };
}
