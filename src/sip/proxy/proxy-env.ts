/**
 * What every part of the stateful proxy shares: the injected clock/timers/randomness, the way
 * out, counters, our addresses, the DNS port, and the two transaction tables.
 */
import type { Random, Timers } from '../../lib/time.ts';
import type { PreparedHeaders, SipMessage } from '../message/index.ts';
import type { TimerPolicy } from '../transaction/index.ts';
import type { CompactStates, ReplyHooksLease } from './completed-replies.ts';
import type { Local2xxRetransmits } from './local-2xx-retransmits.ts';
import type { OwnAddresses } from './own-addresses.ts';
import type { ProxyCounters } from './proxy-counters.ts';
import type { Resolver } from './proxy-types.ts';
import type { SipOutput, SipSource } from './sip-source.ts';
import type { StatelessReplyTags } from './stateless-reply-tags.ts';

/** A client transaction as the response dispatcher sees it (§17.1.3 matching done by the key). */
export interface ClientMatch {
  /** `src`: where the response came from (the reply hook's NAT tests and fixes read it). */
  receive(res: SipMessage, src?: SipSource): void;
}

/** A server transaction entry as the request dispatcher sees it. */
export interface ServerMatch {
  receiveRetransmission(): void;
}

export interface ProxyEnv {
  readonly out: SipOutput;
  readonly timers: Timers;
  readonly random: Random;
  readonly policy: TimerPolicy;
  /** Relays' default OpenSIPS fr_timeout (RelayOptions.noReplyTimeoutMs); undefined: timer B/F alone. */
  readonly noReplyTimeoutMs: number | undefined;
  /** RFC 3261 §18.1.1: a forwarded request over 1300 bytes leaves UDP for TCP (large-request.ts). */
  readonly udpToTcpOnLargeRequests: boolean;
  readonly counters: ProxyCounters;
  readonly own: OwnAddresses;
  readonly resolver: Resolver | undefined;
  readonly serverHeader: string;
  /** `Server: <serverHeader>` CRLF, encoded once (every local reply carries it). */
  readonly serverLine: PreparedHeaders;
  /** Client transactions by clientKey(branch, method). */
  readonly clients: Map<string, ClientMatch>;
  /** Server transactions by their §17.2.3 key. */
  readonly servers: Map<string, ServerMatch>;
  /**
   * Transactions in a last state of 64·T1 kept compact (completed-replies.ts): non-INVITE server
   * transactions Completed over UDP (timer J), INVITE server and client transactions Accepted (L, M).
   */
  readonly completed: CompactStates;
  /** Non-INVITE client transactions Completed over UDP (timer K = T4), kept compact. */
  readonly lingering: CompactStates;
  /** The script's hooks of INVITE branches compacted in Accepted, by client key, for a new dialog's 2xx. */
  readonly replyHooks: Map<string, ReplyHooksLease>;
  /** Holds `replyHooks` entries for T4 (OpenSIPS/Kamailio tm wt_timer); not transactions, so not counted. */
  readonly hookLeases: CompactStates;
  /** 2xx responses this node sent to an INVITE over UDP, resent until their ACK (RFC 3261 §13.3.1.4). */
  readonly local2xx: Local2xxRetransmits;
  /** To tags of stateless non-2xx finals to INVITE that are not derived, for absorbing their ACKs. */
  readonly statelessTags: StatelessReplyTags;
}
