import type { Counter, CounterFactory } from '../../lib/counter.ts';
import {
  buildResponseBytes, checkRequestSemantics, prepareHeaders, type PreparedHeaders, parseMessage, type PartialMessage, type SipMessage, type SipParseError,
} from '../message/index.ts';
import { buildResponseFromPartial } from './partial-response.ts';
import { responseTarget, responseTopVia } from './via-routing.ts';
import type { SipOutput, SipSource } from './sip-source.ts';

/** What the node does with well-formed traffic once the core has checked it. */
export interface SipHandlers {
  /** A request that passed §8.2/§16.3 checks. Absent: the stateless defaults answer it. */
  onRequest?(req: SipMessage, src: SipSource): void;
  /** A response. Absent: responses are dropped and counted (a stateless node sent no request). */
  onResponse?(res: SipMessage, src: SipSource): void;
}

export interface SipCoreOptions {
  readonly out: SipOutput;
  readonly counters: CounterFactory;
  /** Server header value (RFC 3261 §20.35). */
  readonly serverHeader: string;
  /** Methods this node handles, listed in Allow (RFC 3261 §11.2, §20.5). */
  readonly allow: readonly string[];
  /** Extensions listed in Supported of OPTIONS replies (§20.37). */
  readonly supported?: readonly string[];
}

/**
 * The front of every SIP message a node receives: parse (offsets only), count, refuse what is
 * malformed — 400 with a reason when the top Via is readable (RFC 3261 §8.2, §16.3), else a counted
 * drop — and hand the rest on. Without handlers it is the stateless node of issue #3: OPTIONS gets
 * 200 with Allow/Accept/Supported/Server (§11.2), ACK is absorbed, anything else gets 501 (§8.2.1).
 */
export class SipCore {
  handlers: SipHandlers = {};
  private readonly rcvRequests: Counter;
  private readonly rcvReplies: Counter;
  private readonly droppedMalformed: Counter;
  private readonly badMsgHdr: Counter;
  private readonly droppedReplies: Counter;
  private readonly sentReplies: Counter[];
  private readonly allowValue: string;
  private readonly supportedValue: string;
  private readonly serverOnly: PreparedHeaders;
  private readonly optionsHeaders: PreparedHeaders;
  private readonly notImplementedHeaders: PreparedHeaders;

  constructor(private readonly opts: SipCoreOptions) {
    const c = opts.counters;
    this.rcvRequests = c.counter('core:rcv_requests', 'requests received');
    this.rcvReplies = c.counter('core:rcv_replies', 'replies received');
    this.droppedMalformed = c.counter('sip:dropped_malformed', 'messages that did not parse and could not be answered');
    this.badMsgHdr = c.counter('core:bad_msg_hdr', 'messages with a malformed start line or header');
    this.droppedReplies = c.counter('core:drop_replies', 'replies dropped (no transaction, or stateless node)');
    this.sentReplies = [1, 2, 3, 4, 5, 6].map((k) => c.counter(`sl:${k}xx_replies`, `${k}xx replies sent statelessly`));
    this.allowValue = opts.allow.join(', ');
    this.supportedValue = (opts.supported ?? []).join(', ');
    this.serverOnly = prepareHeaders([['Server', opts.serverHeader]]);
    // Built once: the stateless answers are on the hot path (DESIGN.md §8).
    const options: Array<readonly [string, string]> = [['Allow', this.allowValue], ['Accept', 'application/sdp']];
    if (this.supportedValue !== '') options.push(['Supported', this.supportedValue]);
    options.push(['Server', opts.serverHeader]);
    this.optionsHeaders = prepareHeaders(options);
    this.notImplementedHeaders = prepareHeaders([['Allow', this.allowValue], ['Server', opts.serverHeader]]);
  }

  receive(data: Buffer, src: SipSource): void {
    const r = parseMessage(data, { framing: src.proto === 'udp' ? 'datagram' : 'stream' });
    if (!r.ok) {
      this.malformed(r.error, src);
      return;
    }
    const msg = r.value;
    if (msg.kind === 'response') {
      this.rcvReplies.inc();
      if (this.handlers.onResponse !== undefined) this.handlers.onResponse(msg, src);
      else this.droppedReplies.inc();
      return;
    }
    this.rcvRequests.inc();
    const problem = checkRequestSemantics(msg);
    if (problem !== undefined) {
      if (msg.method !== 'ACK') this.reply(msg, src, problem.status, problem.reason);
      return;
    }
    if (this.handlers.onRequest !== undefined) this.handlers.onRequest(msg, src);
    else this.stateless(msg, src);
  }

  /** Answers a request statelessly (sl_send_reply); extra headers are added after the copied ones. */
  reply(req: SipMessage, src: SipSource, status: number, reason: string, headers: ReadonlyArray<readonly [string, string]> = []): boolean {
    const res = buildResponseBytes(req, status, reason, { headers, prepared: this.serverOnly, topVia: responseTopVia(req.topVia, src) });
    this.sentReplies[Math.floor(status / 100) - 1]?.inc();
    return this.opts.out.send(responseTarget(req.topVia, src), res);
  }

  private send(req: SipMessage, src: SipSource, status: number, reason: string, prepared: PreparedHeaders): void {
    this.sentReplies[Math.floor(status / 100) - 1]?.inc();
    this.opts.out.send(responseTarget(req.topVia, src), buildResponseBytes(req, status, reason, { prepared, topVia: responseTopVia(req.topVia, src) }));
  }

  private stateless(req: SipMessage, src: SipSource): void {
    switch (req.method) {
      case 'ACK':
        return;
      case 'OPTIONS':
        this.send(req, src, 200, 'OK', this.optionsHeaders);
        return;
      default:
        this.send(req, src, 501, 'Not Implemented', this.notImplementedHeaders);
    }
  }

  private malformed(e: SipParseError, src: SipSource): void {
    this.badMsgHdr.inc();
    const p: PartialMessage | undefined = e.partial;
    if (p === undefined || p.kind !== 'request' || p.method === 'ACK' || p.topVia === undefined) {
      this.droppedMalformed.inc();
      return;
    }
    const res = buildResponseFromPartial(p, 400, `Bad Request (${e.message})`, this.opts.serverHeader);
    if (res === undefined) {
      this.droppedMalformed.inc();
      return;
    }
    this.sentReplies[3]?.inc();
    this.opts.out.send(responseTarget(p.topVia, src), res);
  }
}
