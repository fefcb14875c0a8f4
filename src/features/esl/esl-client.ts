import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import type { Clock, TimerHandle, Timers } from '../../lib/time.ts';
import { decodeJsonEvent, decodePlainEvent, type EslEvent } from './esl-event.ts';
import { EslFrameParser, frameHeader, type EslFrame } from './esl-frame-parser.ts';
import { eventCommand, type EslSubscription } from './esl-subscription.ts';

/**
 * Connection states, in the order a healthy connection goes through them:
 * idle → connecting (TCP) → authenticating (waiting for auth/request, then the auth reply) →
 * subscribing (the `event` command's reply) → subscribed (events flow). Any failure → backoff
 * (a timer until the next attempt) → connecting. `stopped` is final.
 */
export type EslState = 'idle' | 'connecting' | 'authenticating' | 'subscribing' | 'subscribed' | 'backoff' | 'stopped';

export type EslClientErrorCode =
  | 'FEATURE_ESL_CONNECT_FAILED'
  | 'FEATURE_ESL_AUTH_FAILED'
  | 'FEATURE_ESL_SUBSCRIBE_FAILED'
  | 'FEATURE_ESL_TIMEOUT'
  | 'FEATURE_ESL_DISCONNECTED'
  | 'FEATURE_ESL_HEADER_TOO_LARGE'
  | 'FEATURE_ESL_BAD_HEADER'
  | 'FEATURE_ESL_BAD_CONTENT_LENGTH'
  | 'FEATURE_ESL_BODY_TOO_LARGE';

export interface EslClientConfig {
  readonly password: string;
  readonly format: 'json' | 'plain';
  readonly subscription: EslSubscription;
  /** First retry delay; each failed attempt doubles it up to `reconnectMaxMs`. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** From the TCP connect to the `event` command's +OK; longer is a failed attempt. */
  readonly handshakeTimeoutMs: number;
  /** Event bodies larger than this are skipped and counted, not buffered. */
  readonly maxEventBytes: number;
}

/** What the client asks of its socket driver (src/app/esl-wiring.ts over node:net; fakes in tests). */
export interface EslClientIo {
  /** Opens a connection; the driver then calls `connected()`, `data()` and `closed()`. */
  connect(): void;
  write(text: string): void;
  /** Closes the current connection; the driver reports nothing more about it. */
  close(): void;
}

export type EslLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EslClientDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly counters: CounterFactory;
  readonly io: EslClientIo;
  readonly onEvent: (ev: EslEvent) => void;
  readonly log?: (level: EslLogLevel, msg: string, fields: Record<string, unknown>) => void;
}

export interface EslLastError {
  readonly code: EslClientErrorCode;
  readonly message: string;
  readonly atWallMs: number;
}

export interface EslClientStatus {
  readonly state: EslState;
  /** Failed attempts since the last successful subscription (drives the backoff). */
  readonly failedAttempts: number;
  readonly lastError: EslLastError | undefined;
  /** Wall time of the last successful subscription, while subscribed. */
  readonly subscribedSinceWallMs: number | undefined;
  /** While in backoff: milliseconds until the next attempt. */
  readonly nextAttemptInMs: number | undefined;
}

/**
 * An inbound Event Socket client as a sans-I/O state machine (FreeSWITCH mod_event_socket, inbound
 * mode): the server greets with `Content-Type: auth/request`; we answer `auth <password>`; a
 * `command/reply` with `Reply-Text: +OK accepted` lets us send `event json|plain <names…>`, whose
 * +OK starts the flow of `text/event-json` / `text/event-plain` frames. `-ERR invalid` (a wrong
 * password), a refused subscription, a handshake that takes too long, a malformed frame, a
 * `text/disconnect-notice` or a closed socket all end the attempt: the connection is closed and the
 * next one starts after a capped exponential backoff, so a wrong password or a dead FreeSWITCH
 * never makes a hot loop. A new connection subscribes again from scratch.
 */
export class EslClient {
  private st: EslState = 'idle';
  private parser: EslFrameParser | undefined;
  private pending: 'auth' | 'event' | undefined;
  private timer: TimerHandle | undefined;
  private timerDueMs = 0;
  private failures = 0;
  private everConnected = false;
  private lastErr: EslLastError | undefined;
  private subscribedSince: number | undefined;
  private readonly cEvents: Counter;
  private readonly cReconnects: Counter;
  private readonly cAuthFailures: Counter;
  private readonly cFrameErrors: Counter;
  private readonly cBadEvents: Counter;
  private readonly cOversized: Counter;
  private readonly gConnected: Gauge;

  constructor(private readonly cfg: EslClientConfig, private readonly deps: EslClientDeps) {
    if (cfg.password.includes('\n') || cfg.password.includes('\r')) throw new Error('esl.password must not contain line breaks');
    if (cfg.reconnectMinMs < 1 || cfg.reconnectMaxMs < cfg.reconnectMinMs) throw new Error('esl reconnect bounds: 1 <= reconnectMinMs <= reconnectMaxMs');
    const c = deps.counters;
    this.cEvents = c.counter('esl:events_received', 'events received from FreeSWITCH');
    this.cReconnects = c.counter('esl:reconnects', 'connection attempts after the first one');
    this.cAuthFailures = c.counter('esl:auth_failures', 'auth refused by FreeSWITCH (-ERR invalid)');
    this.cFrameErrors = c.counter('esl:frame_errors', 'malformed Event Socket frames (the connection was closed)');
    this.cBadEvents = c.counter('esl:bad_events', 'event frames whose body could not be decoded');
    this.cOversized = c.counter('esl:oversized_events', 'events larger than esl.maxEventBytes, skipped');
    this.gConnected = c.gauge('esl:connected', '1 while subscribed to FreeSWITCH');
  }

  get state(): EslState {
    return this.st;
  }

  status(): EslClientStatus {
    return {
      state: this.st,
      failedAttempts: this.failures,
      lastError: this.lastErr,
      subscribedSinceWallMs: this.st === 'subscribed' ? this.subscribedSince : undefined,
      nextAttemptInMs: this.st === 'backoff' ? Math.max(0, Math.ceil(this.timerDueMs - this.deps.clock.nowMs())) : undefined,
    };
  }

  /** Starts connecting (from idle); a stopped client stays stopped. */
  start(): void {
    if (this.st !== 'idle') return;
    this.connect();
  }

  stop(): void {
    if (this.st === 'stopped') return;
    const live = this.st !== 'idle' && this.st !== 'backoff';
    this.cancelTimer();
    this.st = 'stopped';
    this.gConnected.set(0);
    if (live) this.deps.io.close();
  }

  /** The driver's TCP connection is up. */
  connected(): void {
    if (this.st !== 'connecting') return;
    this.st = 'authenticating';
    this.parser = new EslFrameParser(this.cfg.maxEventBytes);
    this.pending = undefined;
  }

  /** Bytes read from the socket. */
  data(chunk: Buffer): void {
    const parser = this.parser;
    if (parser === undefined || !this.live()) return;
    const r = parser.push(chunk);
    for (const o of r.out) {
      if (!this.live()) return; // a frame before this one ended the connection
      if (o.kind === 'frame') this.onFrame(o.frame);
      else {
        this.cOversized.inc();
        this.log('warn', 'FreeSWITCH event larger than esl.maxEventBytes skipped', { contentType: o.skipped.contentType, bytes: o.skipped.bodyBytes, maxEventBytes: this.cfg.maxEventBytes });
      }
    }
    if (r.error !== undefined && this.live()) {
      this.cFrameErrors.inc();
      this.fail(r.error.code, r.error.message);
    }
  }

  /** The driver's socket closed (or failed to connect). */
  closed(reason?: string): void {
    if (this.st === 'connecting') this.fail('FEATURE_ESL_CONNECT_FAILED', reason ?? 'connection refused or unreachable', false);
    else if (this.live()) this.fail('FEATURE_ESL_DISCONNECTED', reason ?? 'FreeSWITCH closed the connection', false);
  }

  private live(): boolean {
    return this.st === 'connecting' || this.st === 'authenticating' || this.st === 'subscribing' || this.st === 'subscribed';
  }

  private connect(): void {
    if (this.everConnected) this.cReconnects.inc();
    this.everConnected = true;
    this.st = 'connecting';
    this.parser = undefined;
    this.setTimer(this.cfg.handshakeTimeoutMs, () => {
      if (this.st === 'connecting' || this.st === 'authenticating' || this.st === 'subscribing') {
        this.fail('FEATURE_ESL_TIMEOUT', `no subscription within ${this.cfg.handshakeTimeoutMs} ms (state ${this.st})`);
      }
    });
    this.deps.io.connect();
  }

  private onFrame(f: EslFrame): void {
    switch (f.contentType) {
      case 'auth/request':
        if (this.st !== 'authenticating' || this.pending !== undefined) return;
        this.pending = 'auth';
        this.deps.io.write(`auth ${this.cfg.password}\n\n`);
        return;
      case 'command/reply':
        this.onReply(frameHeader(f, 'Reply-Text') ?? '');
        return;
      case 'text/event-json':
      case 'text/event-plain':
        this.onEventFrame(f);
        return;
      case 'text/disconnect-notice':
        // mod_event_socket sends it right before it closes the socket; we do not wait for the close.
        this.fail('FEATURE_ESL_DISCONNECTED', `disconnect notice: ${(f.body?.toString('utf8') ?? '').split('\n')[0] ?? ''}`.trim());
        return;
      default:
        // api/response, log/data and whatever else: nothing the bridge asked for.
        return;
    }
  }

  private onReply(text: string): void {
    const ok = text.startsWith('+OK');
    if (this.pending === 'auth') {
      if (!ok) {
        this.cAuthFailures.inc();
        this.fail('FEATURE_ESL_AUTH_FAILED', `FreeSWITCH refused the password: ${text || '(no Reply-Text)'}`);
        return;
      }
      this.pending = 'event';
      this.st = 'subscribing';
      this.deps.io.write(eventCommand(this.cfg.format, this.cfg.subscription));
      return;
    }
    if (this.pending === 'event') {
      this.pending = undefined;
      if (!ok) {
        this.fail('FEATURE_ESL_SUBSCRIBE_FAILED', `FreeSWITCH refused the subscription: ${text || '(no Reply-Text)'}`);
        return;
      }
      this.st = 'subscribed';
      this.cancelTimer();
      this.failures = 0;
      this.subscribedSince = this.deps.clock.wallMs();
      this.gConnected.set(1);
      this.log('info', 'subscribed to FreeSWITCH events', { format: this.cfg.format, reply: text });
    }
  }

  private onEventFrame(f: EslFrame): void {
    if (this.st !== 'subscribed' || f.body === undefined) return;
    const r = f.contentType === 'text/event-json' ? decodeJsonEvent(f.body) : decodePlainEvent(f.body);
    if (!r.ok) {
      this.cBadEvents.inc();
      this.log('warn', 'undecodable FreeSWITCH event dropped', { code: r.error.code, reason: r.error.message });
      return;
    }
    this.cEvents.inc();
    try {
      this.deps.onEvent(r.event);
    } catch (e) {
      // The receiver is the node's bridge; whatever it does wrong must not escape into the socket.
      this.log('error', 'the ESL event receiver threw; event dropped', { reason: (e as Error).message });
    }
  }

  /** Ends the current attempt and schedules the next one after the backoff. */
  private fail(code: EslClientErrorCode, message: string, closeSocket = true): void {
    this.lastErr = { code, message, atWallMs: this.deps.clock.wallMs() };
    this.parser = undefined;
    this.pending = undefined;
    this.gConnected.set(0);
    if (closeSocket) this.deps.io.close();
    this.failures++;
    const delay = this.backoffMs();
    this.st = 'backoff';
    const level = code === 'FEATURE_ESL_AUTH_FAILED' || code === 'FEATURE_ESL_SUBSCRIBE_FAILED' ? 'error' : 'warn';
    this.log(level, 'FreeSWITCH event socket attempt ended; retrying', { code, reason: message, retryInMs: delay, failedAttempts: this.failures });
    this.setTimer(delay, () => {
      if (this.st === 'backoff') this.connect();
    });
  }

  /** reconnectMinMs × 2^(failures-1), capped at reconnectMaxMs. */
  private backoffMs(): number {
    const exp = Math.min(this.failures - 1, 30);
    return Math.min(this.cfg.reconnectMaxMs, this.cfg.reconnectMinMs * 2 ** exp);
  }

  private setTimer(ms: number, fn: () => void): void {
    this.cancelTimer();
    this.timerDueMs = this.deps.clock.nowMs() + ms;
    this.timer = this.deps.timers.after(ms, () => {
      this.timer = undefined;
      fn();
    });
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private log(level: EslLogLevel, msg: string, fields: Record<string, unknown>): void {
    this.deps.log?.(level, msg, fields);
  }
}
