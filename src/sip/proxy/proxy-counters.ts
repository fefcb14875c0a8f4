/**
 * The proxy's statistics, named as OpenSIPS's tm and core modules name them so dashboards and
 * `statistics:get` habits carry over.
 */
import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';

export class ProxyCounters {
  readonly uasTransactions: Counter;
  readonly uacTransactions: Counter;
  /** tm:2xx_transactions … tm:6xx_transactions, indexed by class − 2 (final status of UAS transactions). */
  readonly finalByClass: Counter[];
  readonly inuse: Gauge;
  readonly fwdRequests: Counter;
  readonly fwdReplies: Counter;
  readonly dropRequests: Counter;
  readonly dropReplies: Counter;
  readonly relayedReplies: Counter;
  readonly localReplies: Counter;
  readonly errRequests: Counter;
  readonly failovers: Counter;
  readonly recursedTargets: Counter;
  readonly pathRoutedBranches: Counter;
  readonly filteredAcks: Counter;
  readonly forcedSocketFallbacks: Counter;
  readonly udpToTcpRequests: Counter;
  readonly largeRequestsOverUdp: Counter;
  readonly local2xxRetransmissions: Counter;
  readonly local2xxAcks: Counter;
  readonly local2xxNoAck: Counter;

  constructor(c: CounterFactory) {
    this.uasTransactions = c.counter('tm:UAS_transactions', 'server transactions created');
    this.uacTransactions = c.counter('tm:UAC_transactions', 'client transactions created');
    this.finalByClass = [2, 3, 4, 5, 6].map((k) => c.counter(`tm:${k}xx_transactions`, `transactions completed with a ${k}xx`));
    this.inuse = c.gauge('tm:inuse_transactions', 'server and client transactions in memory');
    this.fwdRequests = c.counter('core:fwd_requests', 'requests forwarded');
    this.fwdReplies = c.counter('core:fwd_replies', 'replies forwarded');
    this.dropRequests = c.counter('core:drop_requests', 'requests dropped (script drop, unroutable stateless forward)');
    this.dropReplies = c.counter('core:drop_replies', 'replies dropped (no transaction, or stateless node)');
    this.relayedReplies = c.counter('tm:relayed_replies', 'replies relayed upstream by the transaction layer');
    this.localReplies = c.counter('tm:local_replies', 'replies generated here (script, 408, 487, 503...)');
    this.errRequests = c.counter('core:err_requests', 'requests refused by §16.3 checks');
    this.failovers = c.counter('tm:dns_failovers', 'branches retried on the next DNS target after a timeout, transport error or 503 (RFC 3263 §4.3)');
    this.recursedTargets = c.counter('tm:recursed_targets', 'targets added from 3xx Contacts (relay option recurse3xx)');
    this.filteredAcks = c.counter('sl:filtered_acks', 'ACKs to a response this node generated, absorbed after its transaction (or without one: stateless replies, by their derived or remembered To tag)');
    this.pathRoutedBranches = c.counter('tm:path_routed_branches', 'branches sent along a registered contact\'s Path (RFC 3327)');
    this.udpToTcpRequests = c.counter('core:udp_to_tcp_requests', 'requests over 1300 bytes forwarded by TCP instead of UDP (sip.udpToTcpOnLargeRequests, RFC 3261 §18.1.1)');
    this.largeRequestsOverUdp = c.counter('core:large_requests_over_udp', 'requests over 1300 bytes forwarded by UDP although sip.udpToTcpOnLargeRequests is on: no TCP listener suits the destination');
    this.local2xxRetransmissions = c.counter('tm:local_2xx_retransmissions', 'retransmissions of 2xx responses this node sent to an INVITE over UDP, until their ACK (RFC 3261 §13.3.1.4)');
    this.local2xxAcks = c.counter('tm:local_2xx_acks', 'ACKs of 2xx responses this node sent to an INVITE over UDP, absorbed (the retransmissions stop)');
    this.local2xxNoAck = c.counter('tm:local_2xx_no_ack', '2xx responses this node sent to an INVITE over UDP whose ACK never came within 64·T1: retransmissions given up (RFC 3261 §13.3.1.4)');
    this.forcedSocketFallbacks = c.counter('core:forced_socket_fallbacks', 'requests sent from the usual listener: the one the script forced (setSendSocket, relay option socket) has another transport and no listener of the destination\'s on its address and port, or is of the other address family');
  }

  final(status: number): void {
    this.finalByClass[Math.floor(status / 100) - 2]?.inc();
  }
}
