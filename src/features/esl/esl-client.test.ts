import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { EslClient, type EslClientConfig } from './esl-client.ts';
import type { EslEvent } from './esl-event.ts';
import { subscriptionOf } from './esl-subscription.ts';
import { counting } from '../../../test/support/counting.ts';

const CFG: EslClientConfig = {
  password: 'ClueCon', format: 'json',
  subscription: subscriptionOf(['CHANNEL_CREATE', 'CUSTOM conference::maintenance', 'CHANNEL_HANGUP_COMPLETE']),
  reconnectMinMs: 500, reconnectMaxMs: 8000, handshakeTimeoutMs: 3000, maxEventBytes: 4096,
};

const AUTH = 'Content-Type: auth/request\n\n';
const reply = (t: string) => `Content-Type: command/reply\nReply-Text: ${t}\n\n`;
const jsonEvent = (o: Record<string, string>) => { const b = JSON.stringify(o); return `Content-Length: ${Buffer.byteLength(b)}\nContent-Type: text/event-json\n\n${b}`; };
const NOTICE = 'Content-Type: text/disconnect-notice\nContent-Length: 23\n\nDisconnected, goodbye.\n';

function make(cfg: EslClientConfig = CFG) {
  const clock = new FakeClock();
  const c = counting();
  const io = { connects: 0, closes: 0, written: [] as string[] };
  const events: EslEvent[] = [];
  const logs: Array<{ level: string; code: unknown }> = [];
  const client = new EslClient(cfg, {
    clock, timers: clock, counters: c.factory,
    io: { connect: () => { io.connects++; }, write: (t) => { io.written.push(t); }, close: () => { io.closes++; } },
    onEvent: (e) => events.push(e),
    log: (level, _msg, f) => logs.push({ level, code: f.code }),
  });
  const feed = (s: string) => client.data(Buffer.from(s));
  /** Drives one healthy handshake on the current connection. */
  const handshake = () => { client.connected(); feed(AUTH); feed(reply('+OK accepted')); feed(reply('+OK event listener enabled json')); };
  return { clock, client, io, events, logs, counters: c.values, feed, handshake };
}

describe('EslClient', () => {
  test('connect → auth → subscribe → events, with the commands FreeSWITCH expects', () => {
    const { client, io, events, feed, counters } = make();
    client.start();
    assert.equal(client.state, 'connecting');
    assert.equal(io.connects, 1);
    client.connected();
    assert.equal(client.state, 'authenticating');
    feed(AUTH);
    assert.deepEqual(io.written, ['auth ClueCon\n\n']);
    feed(reply('+OK accepted'));
    assert.equal(client.state, 'subscribing');
    assert.equal(io.written[1], 'event json CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE CUSTOM conference::maintenance\n\n');
    feed(reply('+OK event listener enabled json'));
    assert.equal(client.state, 'subscribed');
    assert.equal(counters.get('esl:connected'), 1);
    // Two events in one read, the second split over two more.
    const e2 = jsonEvent({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'conference::maintenance', _body: 'x' });
    feed(jsonEvent({ 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1' }) + e2.slice(0, 10));
    feed(e2.slice(10));
    assert.deepEqual(events.map((e) => [e.name, e.subclass, e.headers['Unique-ID'], e.body]), [['CHANNEL_CREATE', undefined, 'u1', undefined], ['CUSTOM', 'conference::maintenance', undefined, 'x']]);
    assert.equal(counters.get('esl:events_received'), 2);
    assert.equal(io.closes, 0);
  });

  test('plain format: the subscription says plain and URL-encoded events are decoded', () => {
    const { client, io, events, feed } = make({ ...CFG, format: 'plain' });
    client.start();
    client.connected();
    feed(AUTH);
    feed(reply('+OK accepted'));
    assert.match(io.written[1] ?? '', /^event plain /);
    feed(reply('+OK event listener enabled plain'));
    const body = 'Event-Name: CHANNEL_CREATE\nCaller-Caller-ID-Name: Extension%201001\n\n';
    feed(`Content-Length: ${body.length}\nContent-Type: text/event-plain\n\n${body}`);
    assert.equal(events[0]?.headers['Caller-Caller-ID-Name'], 'Extension 1001');
  });

  test('-ERR invalid: FEATURE_ESL_AUTH_FAILED logged as error, retries with a doubling backoff capped at reconnectMaxMs', () => {
    const { client, io, clock, feed, counters, logs } = make();
    client.start();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      client.connected();
      feed(AUTH);
      feed(reply('-ERR invalid'));
      assert.equal(client.state, 'backoff');
      assert.equal(client.status().lastError?.code, 'FEATURE_ESL_AUTH_FAILED');
      const wait = client.status().nextAttemptInMs ?? -1;
      delays.push(wait);
      // Nothing happens before the backoff ends: no hot loop.
      clock.advance(wait - 1);
      assert.equal(io.connects, attempt);
      clock.advance(1);
      assert.equal(io.connects, attempt + 1);
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    assert.equal(counters.get('esl:auth_failures'), 8);
    assert.equal(counters.get('esl:reconnects'), 8);
    assert.equal(io.closes, 8);
    assert.ok(logs.some((l) => l.level === 'error' && l.code === 'FEATURE_ESL_AUTH_FAILED'));
  });

  test('disconnect notice and a plain close both reconnect and subscribe again; success resets the backoff', () => {
    const { client, io, clock, feed, handshake, events, counters } = make();
    client.start();
    handshake();
    feed(NOTICE);
    assert.equal(client.state, 'backoff');
    assert.equal(client.status().lastError?.code, 'FEATURE_ESL_DISCONNECTED');
    assert.equal(io.closes, 1);
    clock.advance(500);
    assert.equal(io.connects, 2);
    handshake();
    assert.equal(io.written.filter((w) => w.startsWith('event json')).length, 2, 're-subscribed');
    feed(jsonEvent({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' }));
    assert.equal(events.length, 1);
    client.closed('ECONNRESET');
    assert.equal(client.state, 'backoff');
    assert.equal(client.status().nextAttemptInMs, 500, 'a subscription in between reset the backoff');
    assert.equal(io.closes, 1, 'the driver reported the close: nothing to close');
    clock.advance(500);
    assert.equal(counters.get('esl:reconnects'), 2);
  });

  test('connection refused, and a server that never greets: FEATURE_ESL_CONNECT_FAILED, FEATURE_ESL_TIMEOUT', () => {
    const { client, io, clock } = make();
    client.start();
    client.closed('ECONNREFUSED');
    assert.equal(client.status().lastError?.code, 'FEATURE_ESL_CONNECT_FAILED');
    clock.advance(500);
    client.connected();
    clock.advance(2999);
    assert.equal(client.state, 'authenticating');
    clock.advance(1);
    assert.equal(client.state, 'backoff');
    assert.equal(client.status().lastError?.code, 'FEATURE_ESL_TIMEOUT');
    assert.equal(io.closes, 1);
  });

  test('a malformed frame closes the connection, counts it, and the client comes back', () => {
    const { client, io, clock, feed, handshake, counters, events } = make();
    client.start();
    handshake();
    feed('Content-Length: lots\n\n');
    assert.equal(client.status().lastError?.code, 'FEATURE_ESL_BAD_CONTENT_LENGTH');
    assert.equal(counters.get('esl:frame_errors'), 1);
    assert.equal(io.closes, 1);
    feed(jsonEvent({ 'Event-Name': 'CHANNEL_CREATE' }));
    assert.equal(events.length, 0, 'nothing is read from a closed connection');
    clock.advance(500);
    handshake();
    assert.equal(client.state, 'subscribed');
  });

  test('an undecodable event and an oversized one are counted and skipped; the connection stays', () => {
    const { client, io, feed, handshake, counters, events } = make({ ...CFG, maxEventBytes: 100 });
    client.start();
    handshake();
    feed('Content-Length: 3\nContent-Type: text/event-json\n\n{{{');
    feed(jsonEvent({ 'Event-Name': 'CHANNEL_CREATE', pad: 'p'.repeat(200) }));
    feed(jsonEvent({ 'Event-Name': 'CHANNEL_CREATE' }));
    assert.equal(counters.get('esl:bad_events'), 1);
    assert.equal(counters.get('esl:oversized_events'), 1);
    assert.equal(events.length, 1);
    assert.equal(io.closes, 0);
    assert.equal(client.state, 'subscribed');
  });

  test('a refused subscription is an error and retried; stop() ends everything', () => {
    const { client, io, clock, feed } = make();
    client.start();
    client.connected();
    feed(AUTH);
    feed(reply('+OK accepted'));
    feed(reply('-ERR no keywords supplied'));
    assert.equal(client.status().lastError?.code, 'FEATURE_ESL_SUBSCRIBE_FAILED');
    client.stop();
    clock.advance(60_000);
    assert.equal(io.connects, 1);
    assert.equal(client.state, 'stopped');
  });

  test('a password with a line break is refused at construction (it would inject commands)', () => {
    assert.throws(() => make({ ...CFG, password: 'x\n\nevent plain ALL' }));
  });
});
