import type { ProxyRequest } from '../sip/proxy/index.ts';
import type { ProxyRequestPort } from './ports.ts';

/** The proxy's per-request object seen through the script host's port. */
export function portOf(pr: ProxyRequest): ProxyRequestPort {
  return {
    msg: pr.msg,
    src: pr.src,
    vars: pr.vars,
    get handled() { return pr.disposition !== 'pending'; },
    reply: (status, reason, opts) => pr.reply(status, reason, opts),
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
