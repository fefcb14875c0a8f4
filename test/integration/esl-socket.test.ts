/**
 * The ESL client on its real socket driver (src/app/esl-socket.ts) against the FreeSWITCH
 * stand-in (test/support/esl-server.ts), on loopback with real timers: the plain format end to
 * end (URL-encoded headers, the event's own body), `api status` answered by the server, a drop
 * and the re-subscription, and a connection refused while nobody listens.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { realClock, realTimers } from '../../src/lib/real-time.ts';
import { nullCounters } from '../../src/lib/counter.ts';
import { EslClient, subscriptionOf, type EslEvent } from '../../src/features/esl/index.ts';
import { EslSocketDriver } from '../../src/app/esl-socket.ts';
import { FakeFreeswitch } from '../support/esl-server.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/node-process.ts';

function clientFor(port: number, events: EslEvent[]): EslClient {
  const driver = new EslSocketDriver('127.0.0.1', port);
  const client = new EslClient({
    password: 'ClueCon', format: 'plain', subscription: subscriptionOf(['CHANNEL_CREATE', 'CHANNEL_HANGUP_COMPLETE', 'CUSTOM conference::maintenance']),
    reconnectMinMs: 100, reconnectMaxMs: 400, handshakeTimeoutMs: 2000, maxEventBytes: 65536,
  }, { clock: realClock, timers: realTimers, counters: nullCounters, io: driver, onEvent: (e) => events.push(e) });
  driver.sink = client;
  return client;
}

describe('ESL client over node:net against the FreeSWITCH stand-in', () => {
  const fs = new FakeFreeswitch();
  let port = 0;
  const events: EslEvent[] = [];
  let client: EslClient;

  before(async () => {
    port = await fs.listen();
    client = clientFor(port, events);
    client.start();
  });
  after(async () => {
    client.stop();
    await fs.close();
  });

  test('plain events: subscription honoured, headers URL-decoded, the CUSTOM event keeps its body', async () => {
    await waitFor('subscribed', () => (client.state === 'subscribed' && fs.subscribedCount() === 1 ? true : undefined), 5000, 20);
    assert.deepEqual(fs.commands, ['auth ClueCon', 'event plain CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE CUSTOM conference::maintenance']);
    const [create, answer, hangup] = fs.call('0f1e2d3c-aaaa-4bbb-8ccc-000000000001');
    assert.equal(fs.emit(create), 1);
    assert.equal(fs.emit(answer), 0, 'CHANNEL_ANSWER was not subscribed');
    fs.emit(fs.heartbeat());
    fs.emit(hangup);
    fs.emit(fs.conferenceJoin());
    await waitFor('three events', () => (events.length >= 3 ? true : undefined), 5000, 20);
    assert.deepEqual(events.map((e) => e.name), ['CHANNEL_CREATE', 'CHANNEL_HANGUP_COMPLETE', 'CUSTOM']);
    assert.equal(events[0]?.headers['Caller-Caller-ID-Name'], 'Extension 1001');
    assert.match(events[0]?.headers['Event-Date-GMT'] ?? '', /GMT$/);
    assert.equal(events[2]?.subclass, 'conference::maintenance');
    assert.equal(events[2]?.body, 'member 7 joined 3000-lab: ünïcode ok\n');
  });

  test('the stand-in answers api status with an api/response body', async () => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let text = '';
    sock.on('data', (d: Buffer) => { text += d.toString('utf8'); });
    await waitFor('greeting', () => (text.includes('auth/request') ? true : undefined), 3000, 10);
    sock.write('auth ClueCon\n\napi status\n\n');
    await waitFor('api response', () => (text.includes('is ready') ? true : undefined), 3000, 10);
    assert.match(text, /Content-Type: api\/response\nContent-Length: \d+\n\nUP 0 years/);
    sock.destroy();
  });

  test('a dropped connection is re-established and subscribed again', async () => {
    const before = fs.connectionsAccepted;
    fs.dropAll();
    await waitFor('re-subscribed', () => (client.state === 'subscribed' && fs.connectionsAccepted > before && fs.subscribedCount() === 1 ? true : undefined), 5000, 20);
    assert.equal(client.status().lastError?.code, 'FEATURE_ESL_DISCONNECTED');
    assert.equal(fs.commands.filter((c) => c.startsWith('event plain')).length, 2);
    const n = events.length;
    fs.emit(fs.call('0f1e2d3c-aaaa-4bbb-8ccc-000000000002')[0]);
    await waitFor('event after reconnect', () => (events.length > n ? true : undefined), 5000, 20);
  });

  test('nobody listening: FEATURE_ESL_CONNECT_FAILED and backoff, no hot loop', async () => {
    const events2: EslEvent[] = [];
    const c = clientFor(await freePort(), events2);
    c.start();
    await waitFor('connect failure', () => (c.status().lastError?.code === 'FEATURE_ESL_CONNECT_FAILED' ? true : undefined), 3000, 10);
    assert.equal(c.state === 'backoff' || c.state === 'connecting', true);
    await new Promise((r) => setTimeout(r, 800));
    // 100, 200, 400, 400 ms: at most about five attempts in 0.8 s.
    assert.ok(c.status().failedAttempts <= 6, `failed attempts ${c.status().failedAttempts}`);
    c.stop();
  });
});
