import { SipclusterError } from '../lib/errors.ts';
import type { ClusterApi, ClusterMessageEvent, ClusterReplies, ClusterRequestOptions } from './api.ts';
import type { ClusterPort } from './ports.ts';

/**
 * The script's `ctx.cluster` over the node's cluster port. On a node without a cluster every call
 * fails loudly (SCRIPT_NO_CLUSTER) rather than pretending to send.
 */
export function clusterApiOf(port: ClusterPort | undefined): ClusterApi {
  const need = (): ClusterPort => {
    if (port === undefined) throw new SipclusterError('SCRIPT_NO_CLUSTER', 'this node is not in a cluster (no `cluster:` section in its config)');
    return port;
  };
  async function request(clusterId: number, msg: string, opts: ClusterRequestOptions): Promise<ClusterMessageEvent | null | ClusterReplies> {
    const collect = opts.collect ?? 'first';
    const p: { nodeId?: number; timeoutMs: number; collect: 'first' | 'all'; includeSelf?: boolean } = { timeoutMs: opts.timeoutMs, collect };
    if (opts.nodeId !== undefined) p.nodeId = opts.nodeId;
    if (opts.includeSelf !== undefined) p.includeSelf = opts.includeSelf;
    const got = await need().request(clusterId, msg, p);
    if (collect === 'first') return got.replies[0] ?? null;
    return Object.assign([...got.replies], { complete: got.complete, result: got.result });
  }
  return {
    get nodeId() { return need().nodeId; },
    get sipAddress() { return need().sipAddress; },
    broadcastReq: (clusterId, msg, opts) => need().broadcastReq(clusterId, msg, opts?.includeSelf ?? false),
    sendReq: (clusterId, nodeId, msg) => need().sendReq(clusterId, nodeId, msg),
    sendRpl: (clusterId, nodeId, msg, tag) => need().sendRpl(clusterId, nodeId, msg, tag),
    request: request as ClusterApi['request'],
  };
}
