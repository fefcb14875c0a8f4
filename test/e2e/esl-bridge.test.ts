/**
 * Talking cluster, use case 5 (examples/esl-bridge) end to end: three real node processes; node 1
 * is pointed at the FreeSWITCH stand-in (test/support/esl-server.ts, the real mod_event_socket
 * protocol) on a free port. Replayed events reach the routing script of nodes 2 and 3 (their
 * documented log line), except those node 1's eslEvent keeps local; a server-side disconnect makes
 * node 1 reconnect and subscribe again; a refused password shows in MI esl:status, with backoff
 * (no hot loop) and no crash, and the bridge recovers once the password is accepted again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ExampleCluster } from '../support/example-cluster.ts';
import { FakeFreeswitch, type RecordedEvent } from '../support/esl-server.ts';
import { waitFor } from '../support/node-process.ts';

interface EslStatus {
  state: string;
  failed_attempts: number;
  last_error: { code: string; message: string } | null;
  last_event: { name: string; unique_id: string | null; hostname: string | null } | null;
}

interface Heard { from: number; event: string; subclass?: string; uniqueId?: string; callerId?: string; conference?: string; activeRemoteCalls: number }

describe('talking cluster: FreeSWITCH events to other regions', () => {
  const fs = new FakeFreeswitch();
  const cluster = new ExampleCluster({
    example: 'esl-bridge',
    prefixes: { sip: '512', bin: '562', mi: '893' },
    logLevel: 'info',
    // Node 1 talks to the stand-in, and retries quickly (200 ms doubling to 1.6 s) so the test is short.
    edit: (text, i) => (i !== 1 ? text : text.replace('port: 8021', `port: ${fsPort}`)
      .replace('reconnectMinMs: 1000', 'reconnectMinMs: 200').replace('reconnectMaxMs: 30000', 'reconnectMaxMs: 1600')),
  });
  let fsPort = 0;
  const status = async (): Promise<EslStatus> => (await cluster.mi(0, 'esl:status')).result as EslStatus;
  const stats = async (): Promise<Record<string, number>> => (await cluster.mi(0, 'statistics:get', { statistics: ['esl:'] })).result as Record<string, number>;

  /** The documented line of examples/esl-bridge/routes.ts, as node i (0-based) logged it. */
  const heard = (i: number): Heard[] => (cluster.nodes[i]?.output() ?? '').split('\n')
    .filter((l) => l.includes('FreeSWITCH event from the cluster'))
    .map((l) => JSON.parse(l) as Heard);
  const waitHeard = (i: number, pred: (h: Heard) => boolean, what: string) =>
    waitFor(`node ${i + 1} to hear ${what}`, () => (heard(i).some(pred) ? true : undefined), 10_000, 50)
      .catch((e: unknown) => assert.fail(`${String(e)}\n${cluster.logs()}`));
  const emitAll = (evs: RecordedEvent[]) => { for (const e of evs) fs.emit(e); };

  before(async () => {
    fsPort = await fs.listen();
    await cluster.startAll(3);
  });
  after(async () => {
    await cluster.stop();
    await fs.close();
  });

  test('node 1 authenticates and subscribes to the configured events', async () => {
    await waitFor('node 1 subscribed', async () => ((await status()).state === 'subscribed' ? true : undefined), 10_000, 50)
      .catch((e: unknown) => assert.fail(`${String(e)}\n${cluster.logs()}`));
    assert.deepEqual(fs.commands, ['auth ClueCon', 'event json CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CUSTOM conference::maintenance']);
    assert.equal(fs.subscribedCount(), 1);
  });

  test('replayed events reach the script on nodes 2 and 3; the calls eslEvent keeps local do not', async () => {
    const uuid = randomUUID();
    const privateUuid = randomUUID();
    emitAll(fs.call(privateUuid, '1001', '9001'));
    emitAll([...fs.call(uuid, '1001', '3000'), fs.conferenceJoin('3000-lab', '7')]);
    for (const i of [1, 2]) {
      await waitHeard(i, (h) => h.uniqueId === uuid && h.event === 'CHANNEL_HANGUP_COMPLETE', 'the hangup');
      await waitHeard(i, (h) => h.event === 'CUSTOM' && h.subclass === 'conference::maintenance', 'the conference event');
      const mine = heard(i).filter((h) => h.uniqueId === uuid);
      assert.deepEqual(mine.map((h) => [h.from, h.event, h.callerId]), [[1, 'CHANNEL_CREATE', '1001'], [1, 'CHANNEL_ANSWER', '1001'], [1, 'CHANNEL_HANGUP_COMPLETE', '1001']]);
      assert.deepEqual(mine.map((h) => h.activeRemoteCalls), [0, 1, 0]);
      assert.equal(heard(i).find((h) => h.event === 'CUSTOM')?.conference, '3000-lab');
      assert.equal(heard(i).some((h) => h.uniqueId === privateUuid), false, 'a call to 9001 stays in its region');
    }
    assert.equal(heard(0).length, 0, 'node 1 does not hear its own broadcasts');
    const s = await stats();
    assert.equal(s['esl:events_received'], 7);
    assert.equal(s['esl:events_broadcast'], 4);
    assert.equal(s['esl:events_suppressed'], 3);
    assert.equal(s['esl:connected'], 1);
    const st = await status();
    assert.equal(st.last_event?.name, 'CUSTOM');
    assert.equal(st.last_event?.hostname, fs.hostname);
  });

  test('a server-side disconnect: node 1 reconnects, subscribes again, and later events still arrive', async () => {
    const accepted = fs.connectionsAccepted;
    fs.dropAll();
    await waitFor('node 1 subscribed again', async () => (fs.connectionsAccepted > accepted && fs.subscribedCount() === 1 && (await status()).state === 'subscribed' ? true : undefined), 10_000, 50)
      .catch((e: unknown) => assert.fail(`${String(e)}\n${cluster.logs()}`));
    assert.equal((await status()).last_error?.code, 'FEATURE_ESL_DISCONNECTED');
    assert.equal(fs.commands.filter((c) => c.startsWith('event json')).length, 2);
    assert.ok(((await stats())['esl:reconnects'] ?? 0) >= 1);
    const uuid = randomUUID();
    fs.emit(fs.call(uuid)[0]);
    for (const i of [1, 2]) await waitHeard(i, (h) => h.uniqueId === uuid, 'the event sent after the reconnect');
  });

  test('a refused password: FEATURE_ESL_AUTH_FAILED in esl:status, capped backoff, no crash; recovery once accepted', async () => {
    fs.rejectPassword = true;
    fs.dropAll();
    await waitFor('auth failure in esl:status', async () => ((await status()).last_error?.code === 'FEATURE_ESL_AUTH_FAILED' ? true : undefined), 10_000, 50)
      .catch((e: unknown) => assert.fail(`${String(e)}\n${cluster.logs()}`));
    const from = fs.connectionsAccepted;
    await new Promise((r) => setTimeout(r, 3000));
    const attempts = fs.connectionsAccepted - from;
    // Backoff 200, 400, 800, 1600, 1600… ms: a handful of attempts in 3 s, never a hot loop.
    assert.ok(attempts >= 1 && attempts <= 6, `${attempts} connections in 3 s`);
    const st = await status();
    assert.ok(st.state === 'backoff' || st.state === 'connecting' || st.state === 'authenticating', st.state);
    assert.match(st.last_error?.message ?? '', /-ERR invalid/);
    assert.ok(st.failed_attempts >= 2);
    assert.ok(((await stats())['esl:auth_failures'] ?? 0) >= 2);
    assert.equal(cluster.nodes[0]?.child.exitCode, null, 'node 1 still runs');
    assert.match(cluster.nodes[0]?.output() ?? '', /"code":"FEATURE_ESL_AUTH_FAILED"/);
    fs.rejectPassword = false;
    await waitFor('node 1 subscribed after the password is accepted', async () => ((await status()).state === 'subscribed' ? true : undefined), 10_000, 50);
    const uuid = randomUUID();
    fs.emit(fs.call(uuid)[0]);
    for (const i of [1, 2]) await waitHeard(i, (h) => h.uniqueId === uuid, 'an event after recovery');
  });
});
