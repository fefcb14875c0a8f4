/**
 * Stateless forwarding (RFC 3261 §16.11): the ACK of a 2xx (a transaction of its own that no
 * server transaction matches, §17.2.3), requests a script forwards without state, and responses
 * that match no client transaction (§16.7 step 1 / §18.1.2: the element then acts statelessly,
 * which is how 2xx retransmissions reach the caller after the transaction is gone).
 */
import { isRfc3261Branch, type SipMessage, type Via } from '../message/index.ts';
import { buildForwardBytes, currentRequestUri, hopUriOf, stripTopVia, type ForwardInput } from './forward-builder.ts';
import { loopHash, statelessBranch, statelessLoopHash } from './loop-branch.ts';
import { nextHopOf, resolveHop } from './next-hop.ts';
import type { ProxyEnv } from './proxy-env.ts';
import type { SipSource, SipTarget } from './sip-source.ts';
import { outboundListener } from './send-socket.ts';
import { tcpInsteadOfUdp } from './large-request.ts';
import { defaultPort } from './via-routing.ts';

function sendForward(env: ProxyEnv, f: ForwardInput, uri: string, strict: boolean, target: SipTarget): boolean {
  // From the listener our Via names (OpenSIPS get_send_socket(): the forced one, else the receiving
  // one when it suits).
  let out = outboundListener(env, target, f.src, f.edits.sendSocket);
  if (out === undefined) { env.counters.dropRequests.inc(); return false; }
  const msg = f.msg;
  // §16.11: the same branch for every retransmission of the same request.
  const top = msg.topVia;
  const loop = isRfc3261Branch(top.branch) ? statelessLoopHash(msg, msg.uriText, top) : loopHash(msg, msg.uriText, top);
  const branch = statelessBranch(loop, top.branch);
  env.counters.fwdRequests.inc();
  let bytes = buildForwardBytes(f, uri, strict, out, branch);
  const tcp = tcpInsteadOfUdp(env, target, f.src, f.edits.sendSocket, bytes.length);
  // RFC 3261 §18.1.1 (sip.udpToTcpOnLargeRequests): built again, with the TCP listener in Via and Record-Route.
  if (tcp !== undefined) { target = tcp.target; out = tcp.out; bytes = buildForwardBytes(f, uri, strict, out, branch); }
  return env.out.send(env.own.sendFrom(target, out), bytes);
}

/** Forwards per $du / Route / Request-URI. False when it could not be sent (counted as a drop). */
export function forwardRequestStateless(env: ProxyEnv, f: ForwardInput): boolean {
  const uri = currentRequestUri(f);
  const hop = hopUriOf(f, uri, f.edits.destination);
  const nh = nextHopOf(hop.uri);
  if (nh.kind === 'target') return sendForward(env, f, uri, hop.strict, nh.target);
  if (nh.kind === 'error') { env.counters.dropRequests.inc(); return false; }
  void resolveHop(env.resolver, nh.host, nh.port, nh.proto).then((t) => {
    if (typeof t === 'string') env.counters.dropRequests.inc();
    else sendForward(env, f, uri, hop.strict, t[0] as SipTarget); // §16.11: no transaction, so no §4.3 failover
  });
  return true;
}

/** Where a response goes by a Via value (§18.2.2 without the connection we do not know). */
function viaTarget(v: Via): SipTarget | undefined {
  const t = v.transport;
  if (t !== 'UDP' && t !== 'TCP') return undefined;
  const port = typeof v.rport === 'number' ? v.rport : (v.port ?? defaultPort(t));
  const host = v.received ?? v.maddr ?? v.host;
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return { proto: t === 'UDP' ? 'udp' : 'tcp', address, port };
}

/**
 * A response no client transaction knows: ours on top → strip and send to the next Via, from the
 * socket it came in on when that suits (OpenSIPS forward_reply); else drop.
 */
export function forwardResponseStateless(env: ProxyEnv, res: SipMessage, src?: SipSource): boolean {
  const vias = res.vias();
  const top = vias.ok ? vias.value[0] : undefined;
  const next = vias.ok ? vias.value[1] : undefined;
  const target = next === undefined ? undefined : viaTarget(next);
  if (top === undefined || !env.own.isOwnVia(top) || target === undefined) {
    env.counters.dropReplies.inc();
    return false;
  }
  env.counters.fwdReplies.inc();
  return env.out.send(env.own.replyFrom(target, src), stripTopVia(res));
}
