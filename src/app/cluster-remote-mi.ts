/**
 * MI over the cluster: clusterer:send_mi / cluster_send_mi and clusterer:broadcast_mi /
 * cluster_broadcast_mi send OpenSIPS's MI_CMD (clusterer-extra type 8, layout untouched).
 *
 * Receiving: an MI_CMD is remote code execution, so it runs only when `cluster.acceptMiCommands`
 * is true and the method passes `cluster.miCommandsAllowed` (empty: any method except the two
 * that send MI onwards); otherwise it is refused and counted (`clusterer:mi_cmd_refused`). It runs
 * through this node's RpcRegistry with the HTTP server's own call path, so a remote call and a
 * local one share every line of handler code.
 *
 * Results: OpenSIPS only logs them. Between sipcluster nodes the result comes back on our own
 * `sipcluster-mi` capability: MI_TICKET before the MI_CMD, MI_RESULT after the run, correlated by
 * the requester's id (cluster/messaging/mi-correlation.ts). A target is a sipcluster node when it
 * advertised `sipcluster-mi` in a CAP_UPDATE (every sipcluster node registers it, whether or not it
 * accepts commands, so a refusal comes back too). Other targets get the bare MI_CMD and the caller
 * is told that no result will come.
 */
import { realClock, realTimers } from '../lib/real-time.ts';
import { nodeId as toNodeId } from '../lib/ids.ts';
import type { NodeId } from '../lib/ids.ts';
import { CAP_SIPCLUSTER_MI, type MiResultStatus } from '../cluster/wire/index.ts';
import { MiPendingTable, MiTicketBox, miParamsHash, type MiOutcome } from '../cluster/messaging/index.ts';
import type { RoutedMessage } from '../cluster/node.ts';
import { RpcHttpServer } from '../mgmt/rpc-http-server.ts';
import type { RpcRegistry } from '../mgmt/rpc-registry.ts';
import type { CounterFactory } from '../lib/counter.ts';
import type { RunnerSendResult } from '../cluster/net/cluster-runner.ts';
import type { Logger } from './logger.ts';
import type { ClusterConfig } from './config/schema-cluster.ts';

/** What RemoteMi needs from the cluster service (ClusterService provides it; tests fake it). */
export interface RemoteMiCluster {
  readonly cfg: Pick<ClusterConfig, 'clusterId' | 'nodeId' | 'acceptMiCommands' | 'miCommandsAllowed'>;
  readonly runner: {
    sendRouted(msg: RoutedMessage): RunnerSendResult;
    readonly node: { readonly capabilities: { hasCapability(id: NodeId, name: string): boolean } };
  };
  onMessage(fn: (msg: RoutedMessage) => void): unknown;
  onNodeState(fn: (e: { readonly nodeId: NodeId; readonly state: 'up' | 'down' }) => void): unknown;
}

/** What RemoteMi needs from the node: its counters, its logger and its MI methods. */
export interface RemoteMiNode {
  readonly stats: CounterFactory;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly rpc: RpcRegistry;
}

/** How long clusterer:send_mi waits for a sipcluster node's result. */
export const REMOTE_MI_TIMEOUT_MS = 2000;
/** Methods never run from the wire: they would send MI onwards (loops, amplification). */
const NEVER_REMOTE = new Set(['clusterer:send_mi', 'clusterer:broadcast_mi']);
/** A result body larger than this is replaced by an error (a BIN packet holds 65515 bytes). */
const MAX_RESULT_BODY_BYTES = 60_000;

/** What one target answered, in the MI result of send_mi / broadcast_mi. */
export type RemoteMiAnswer =
  | { readonly node_id: number; readonly result: unknown }
  | { readonly node_id: number; readonly error: { readonly code: string; readonly message: string } }
  | { readonly node_id: number; readonly sent: true; readonly note: string };

export class RemoteMi {
  private readonly tickets = new MiTicketBox(realClock);
  private readonly pending = new MiPendingTable(realTimers);
  private readonly exec: RpcHttpServer;

  constructor(private readonly svc: RemoteMiCluster, private readonly rt: RemoteMiNode, private readonly timeoutMs = REMOTE_MI_TIMEOUT_MS) {
    this.exec = new RpcHttpServer({ host: '127.0.0.1', port: 0, registry: rt.rpc, onError: (e, m) => rt.logger.error({ err: e, method: m }, 'remote MI command failed') });
    svc.onMessage((m) => this.onMessage(m));
    svc.onNodeState((e) => { if (e.state === 'down') this.pending.nodeDown(e.nodeId); });
  }

  /** True when the node advertised our capability: it will answer with MI_RESULT. */
  isSipclusterNode(id: NodeId): boolean {
    return this.svc.runner.node.capabilities.hasCapability(id, CAP_SIPCLUSTER_MI);
  }

  /** Sends one MI_CMD (with its ticket to a sipcluster node); 'sent' or the send result that stopped it. */
  async send(target: NodeId, command: string, params: readonly string[]): Promise<RemoteMiAnswer | { readonly failed: string }> {
    const base = { clusterId: this.svc.cfg.clusterId, sourceNodeId: this.svc.cfg.nodeId, destinationNodeId: target };
    if (!this.isSipclusterNode(target)) {
      const r = this.svc.runner.sendRouted({ kind: 'mi-cmd', ...base, command, params });
      if (r !== 'sent') return { failed: r };
      return { node_id: target, sent: true, note: `no result will come: node ${target} did not advertise ${CAP_SIPCLUSTER_MI} (an OpenSIPS node logs the result)` };
    }
    const requestId = this.pending.nextId();
    const waiting = this.pending.wait(target, requestId, command, this.timeoutMs);
    if (waiting === undefined) return { failed: 'too many remote MI commands waiting' };
    const t = this.svc.runner.sendRouted({ kind: 'mi-ticket', ...base, requestId, command, paramsHash: miParamsHash(command, params) });
    const r = t === 'sent' ? this.svc.runner.sendRouted({ kind: 'mi-cmd', ...base, command, params }) : t;
    if (r !== 'sent') {
      this.pending.resolve(target, requestId, command, { kind: 'node-down' });
      return { failed: r };
    }
    return answerOf(target, await waiting, this.timeoutMs);
  }

  private onMessage(m: RoutedMessage): void {
    if (m.kind === 'mi-ticket') {
      if (!this.tickets.add(m.sourceNodeId, m)) this.rt.stats.counter('clusterer:mi_ticket_dropped', 'remote MI tickets dropped (too many unpaired from one node)').inc();
    } else if (m.kind === 'mi-result') {
      const outcome: MiOutcome = { kind: 'result', status: m.status, body: m.body };
      if (!this.pending.resolve(m.sourceNodeId, m.requestId, m.command, outcome)) {
        this.rt.stats.counter('clusterer:mi_result_unmatched', 'remote MI results nobody waited for (late or unknown)').inc();
      }
    } else if (m.kind === 'mi-cmd') {
      void this.run(m.sourceNodeId, m.command, m.params);
    }
  }

  /** handle_cl_mi_msg, behind our switch: refuse and count, or run and log (and answer a ticket). */
  private async run(source: number, command: string, params: readonly string[]): Promise<void> {
    const requestId = this.tickets.take(source, command, params);
    const refusal = this.refusal(command);
    if (refusal !== undefined) {
      this.rt.stats.counter('clusterer:mi_cmd_refused', 'MI commands received over the cluster and refused').inc();
      this.rt.logger.warn({ source, command }, `remote MI command refused: ${refusal}`);
      if (requestId !== undefined) this.answer(source, requestId, command, 'refused', { code: 'RPC_CLUSTER_MI_REFUSED', message: `node ${this.svc.cfg.nodeId} refuses remote MI command ${command}: ${refusal}` });
      return;
    }
    this.rt.stats.counter('clusterer:mi_cmd_run', 'MI commands received over the cluster and run').inc();
    const res = await this.exec.call({ jsonrpc: '2.0', method: command, params: [...params], id: requestId ?? null });
    this.rt.logger.info({ source, command, result: res.result, error: res.error }, 'remote MI command run');
    if (requestId === undefined) return;
    if (res.error !== undefined) {
      const data = res.error.data as { code?: string } | undefined;
      this.answer(source, requestId, command, 'error', { code: data?.code ?? 'RPC_INTERNAL_ERROR', message: res.error.message });
    } else {
      this.answer(source, requestId, command, 'ok', res.result ?? null);
    }
  }

  private refusal(command: string): string | undefined {
    const c = this.svc.cfg;
    if (!c.acceptMiCommands) return 'cluster.acceptMiCommands is false';
    const primary = this.rt.rpc.lookup(command)?.name ?? command;
    if (NEVER_REMOTE.has(primary)) return 'it sends MI onwards';
    if (c.miCommandsAllowed.length > 0 && !c.miCommandsAllowed.includes(command) && !c.miCommandsAllowed.includes(primary)) {
      return 'not in cluster.miCommandsAllowed';
    }
    return undefined;
  }

  private answer(target: number, requestId: number, command: string, status: MiResultStatus, value: unknown): void {
    let body = JSON.stringify(value);
    let st = status;
    if (Buffer.byteLength(body, 'utf8') > MAX_RESULT_BODY_BYTES) {
      st = 'error';
      body = JSON.stringify({ code: 'RPC_CLUSTER_MI_RESULT_TOO_LARGE', message: `result of ${command} is larger than ${MAX_RESULT_BODY_BYTES} bytes` });
    }
    this.svc.runner.sendRouted({
      kind: 'mi-result', clusterId: this.svc.cfg.clusterId, sourceNodeId: this.svc.cfg.nodeId, destinationNodeId: toNodeId(target),
      requestId, status: st, command, body,
    });
  }
}

function answerOf(target: number, o: MiOutcome, timeoutMs: number): RemoteMiAnswer {
  if (o.kind === 'timeout') return { node_id: target, sent: true, note: `no result came within ${timeoutMs} ms` };
  if (o.kind === 'node-down') return { node_id: target, sent: true, note: `no result will come: node ${target} became unreachable` };
  let value: unknown;
  try {
    value = JSON.parse(o.body) as unknown;
  } catch {
    return { node_id: target, error: { code: 'RPC_CLUSTER_MI_BAD_RESULT', message: 'the result is not JSON' } };
  }
  if (o.status === 'ok') return { node_id: target, result: value };
  const e = value as { code?: unknown; message?: unknown } | null;
  return { node_id: target, error: { code: typeof e?.code === 'string' ? e.code : 'RPC_INTERNAL_ERROR', message: typeof e?.message === 'string' ? e.message : o.status } };
}
