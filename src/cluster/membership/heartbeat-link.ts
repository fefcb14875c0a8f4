import type { HeartbeatParams } from './heartbeat-params.ts';
import { checkHeartbeatParams } from './heartbeat-params.ts';
import { findRow } from './heartbeat-table.ts';
import type { Guard, HeartbeatAction, HeartbeatInput, LinkState, Row } from './heartbeat-table.ts';
import { invariant } from '../../lib/errors.ts';

/** What the owner of a link must do after an input. */
export type HeartbeatOutput =
  | { readonly kind: 'send-ping'; readonly reqNodeList: boolean }
  | { readonly kind: 'link-up' }
  | { readonly kind: 'link-down' };

export interface HeartbeatStep {
  readonly from: LinkState;
  readonly to: LinkState;
  readonly outputs: readonly HeartbeatOutput[];
  /** The table row that fired (for traces), or undefined when nothing changed. */
  readonly row: Row | undefined;
}

/**
 * One neighbor link's heartbeat state, driven by heartbeat-table.ts. No clock inside: every
 * input carries `nowMs`, and `nextDeadlineMs()` tells the driver when the next tick matters.
 */
export class HeartbeatLink {
  private st: LinkState;
  private lastPingMs = Number.NEGATIVE_INFINITY;
  private lastHeardMs = Number.NEGATIVE_INFINITY;
  private awaitingReply = false;
  private retriesLeft = 0;
  /** When we came back from a stall of our own event loop (see stallThresholdMs). */
  private resumedAtMs = Number.NEGATIVE_INFINITY;
  private dueMs: number;

  constructor(
    private readonly params: HeartbeatParams,
    nowMs: number,
    initial: LinkState = 'restart-pending',
  ) {
    const problems = checkHeartbeatParams(params);
    invariant(problems.length === 0, `bad heartbeat params: ${problems.join('; ')}`);
    this.st = initial;
    this.dueMs = nowMs;
  }

  get state(): LinkState {
    return this.st;
  }

  /** Last time anything was received from this neighbor on its direct link. */
  get lastHeardAtMs(): number {
    return this.lastHeardMs;
  }

  tick(nowMs: number): HeartbeatStep {
    // Our own tick is late by more than the stall threshold: the silence was ours (blocked loop).
    if (nowMs - this.dueMs > this.params.stallThresholdMs) this.resumedAtMs = nowMs;
    return this.input('tick', nowMs);
  }

  input(on: HeartbeatInput, nowMs: number): HeartbeatStep {
    const from = this.st;
    const r = findRow(from, on, (g) => this.holds(g, nowMs));
    const outputs: HeartbeatOutput[] = [];
    if (r !== undefined) {
      for (const a of r.actions) this.apply(a, nowMs, outputs);
      this.st = r.to;
    }
    this.dueMs = this.nextDeadlineMs();
    return { from, to: this.st, outputs, row: r };
  }

  /** The earliest time at which a tick can change something (Infinity: never by itself). */
  nextDeadlineMs(): number {
    const p = this.params;
    switch (this.st) {
      case 'restart-pending':
        return Number.NEGATIVE_INFINITY; // due now
      case 'probing':
      case 'suspect':
        return this.awaitingReply ? this.replyBaseMs() + p.pingTimeoutMs : Number.POSITIVE_INFINITY;
      case 'up': {
        return this.awaitingReply ? this.replyBaseMs() + p.pingTimeoutMs : this.lastPingMs + p.pingIntervalMs;
      }
      case 'down':
        return this.lastPingMs + p.nodeTimeoutMs;
      case 'disabled':
        return Number.POSITIVE_INFINITY;
    }
  }

  private replyBaseMs(): number {
    return Math.max(this.lastPingMs, this.resumedAtMs);
  }

  private holds(g: Guard, nowMs: number): boolean {
    const p = this.params;
    const overdue = this.awaitingReply && nowMs - this.replyBaseMs() >= p.pingTimeoutMs;
    switch (g) {
      case 'always':
        return true;
      case 'ping-due':
        // Not while a reply is awaited: a new PING would restart the timeout and, with
        // pingIntervalMs < pingTimeoutMs, a dead node would never be found overdue.
        return !this.awaitingReply && nowMs - this.lastPingMs >= p.pingIntervalMs;
      case 'overdue-retry-left':
        return overdue && this.retriesLeftAfterReset() > 0;
      case 'overdue-no-retry':
        return overdue && this.retriesLeftAfterReset() === 0;
      case 'node-timeout':
        return nowMs - this.lastPingMs >= p.nodeTimeoutMs;
      case 'ping-recent':
        return nowMs - this.lastPingMs < p.pingTimeoutMs;
    }
  }

  /** From 'up' the retry budget is the full noPingRetries (the row resets it before using one). */
  private retriesLeftAfterReset(): number {
    return this.st === 'up' ? this.params.noPingRetries : this.retriesLeft;
  }

  private apply(a: HeartbeatAction, nowMs: number, out: HeartbeatOutput[]): void {
    switch (a) {
      case 'heard':
        this.lastHeardMs = nowMs;
        this.awaitingReply = false;
        return;
      case 'noted':
        this.lastHeardMs = nowMs;
        return;
      case 'ping-with-list':
      case 'ping':
        this.lastPingMs = nowMs;
        this.awaitingReply = true;
        out.push({ kind: 'send-ping', reqNodeList: a === 'ping-with-list' });
        return;
      case 'await-reply':
        this.awaitingReply = true;
        return;
      case 'reset-retries':
        this.retriesLeft = this.params.noPingRetries;
        return;
      case 'use-retry':
        this.retriesLeft = Math.max(0, this.retriesLeft - 1);
        return;
      case 'link-up':
        out.push({ kind: 'link-up' });
        return;
      case 'link-down':
        out.push({ kind: 'link-down' });
        return;
    }
  }
}
