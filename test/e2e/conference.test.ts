/**
 * Talking cluster, use case 3 (examples/conference) end to end: three real node processes, each
 * with its own conference server (a SIPp UAS registered with its node as `conference`). A room is
 * hosted where its first call arrives, and calls for it arriving at other nodes are relayed there;
 * the room closes with its last participant's BYE, lapses when its owner stops refreshing (owner
 * frozen), and is forgotten when its owner dies. A node started again learns the rooms of the
 * others with its own DUMP? request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExampleCluster } from '../support/example-cluster.ts';
import { waitFor } from '../support/node-process.ts';
import { freePort } from '../support/ports.ts';
import { runSipp, skipWithoutSipp, startSippServer, type SippResult, type SippServer } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));
/** Node 2 announces its rooms with a short TTL (the expiry test freezes it); nodes 1 and 3 keep 30 s. */
const NODE2_TTL_MS = 1500;

interface MapRow { key: string; value: string; owner: number; mine: boolean; expires: number }

/** SIPp's IncomingCall(C) (calls a UAS received at all, whatever became of them). */
function incomingCalls(r: SippResult): number {
  const lines = r.statsCsv.trim().split('\n').filter((l) => l.includes(';'));
  if (lines.length < 2) return 0;
  const head = (lines[0] as string).split(';');
  return Number((lines[lines.length - 1] as string).split(';')[head.indexOf('IncomingCall(C)')] ?? 0);
}

describe('talking cluster: conference on another node', { skip: skipWithoutSipp() }, () => {
  const cluster = new ExampleCluster({
    example: 'conference',
    prefixes: { sip: '510', bin: '560', mi: '891' },
    // Slow failure detection (Down 8 s after the last pong), so a frozen owner lapses by expiry
    // first; node 2's short TTL makes that quick. A claim waits at most 500 ms for WHO? answers.
    edit: (text, i) => text
      .replace('  allowNetworks:', '  pingIntervalMs: 1000\n  pingTimeoutMs: 8000\n  noPingRetries: 0\n  allowNetworks:')
      .replace('defaultTtlMs: 30000 }', `defaultTtlMs: ${i === 2 ? NODE2_TTL_MS : 30000}, askTimeoutMs: 500 }`),
  });
  const { nodes } = cluster;
  const sipOf = (i: number) => cluster.sipOf(i);
  const show = (r: SippResult) => cluster.show(r);
  /** The conference servers' ports, one per node (their `conference` bindings point there). */
  const confPorts: number[] = [];

  const rooms = async (i: number): Promise<MapRow[]> => {
    const r = (await cluster.mi(i, 'map:list', { map: 'conference' })).result as { Maps: Array<{ Entries: MapRow[] }> } | undefined;
    return r?.Maps[0]?.Entries ?? [];
  };
  const ownerOn = async (i: number, key: string) => (await rooms(i)).find((e) => e.key === key)?.owner;
  const waitOwner = (i: number, key: string, owner: number | undefined, timeoutMs = 10_000) =>
    waitFor(`node ${i + 1} to list ${key} ${owner === undefined ? 'as free' : `as hosted by node ${owner}`}`, async () => ((await ownerOn(i, key)) === owner ? true : undefined), timeoutMs, 100)
      .catch((e: unknown) => { throw new Error(`${String(e)}\n${cluster.logs()}`); });
  const conferenceServer = async (i: number, calls: number): Promise<SippServer> =>
    startSippServer({ scenario: join(scenarios, 'uas-call.xml'), target: sipOf(i), calls, localPort: confPorts[i] as number, timeoutMs: 60_000 });
  const call = async (i: number, room: string, holdMs: number, timeoutMs = 30_000): Promise<SippResult> =>
    runSipp({ scenario: join(scenarios, 'uac-call.xml'), target: sipOf(i), calls: 1, rate: 1, service: room, pauseMs: holdMs, timeoutMs });

  before(async () => {
    await cluster.startAll(3);
    const csv = join(cluster.dir, 'conference.csv');
    writeFileSync(csv, 'SEQUENTIAL\nconference;none;\n');
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      confPorts.push(port);
      const reg = await runSipp({ scenario: join(scenarios, 'register.xml'), target: sipOf(i), calls: 1, rate: 1, localPort: port, injectionFile: csv });
      assert.equal(reg.successful, 1, show(reg));
    }
  });
  after(() => cluster.stop());

  test('room 100: the first call via node 1 lands on node 1\'s server, and calls via nodes 2 and 3 are relayed there', async () => {
    const servers = [await conferenceServer(0, 3), await conferenceServer(1, 1), await conferenceServer(2, 1)];
    const first = call(0, 'conf-100', 6000);
    await waitOwner(1, 'conf-100', 1);
    await waitOwner(2, 'conf-100', 1);
    const seen = (await rooms(2)).find((e) => e.key === 'conf-100');
    assert.equal(seen?.value, `sip:${sipOf(0)}`, 'the entry carries the owner\'s SIP address');
    assert.equal(seen?.mine, false);
    assert.equal((await rooms(0)).find((e) => e.key === 'conf-100')?.mine, true);
    const [via2, via3] = await Promise.all([call(1, 'conf-100', 0), call(2, 'conf-100', 0)]);
    assert.equal(via2.successful, 1, show(via2));
    assert.equal(via3.successful, 1, show(via3));
    const r1 = await first;
    assert.equal(r1.successful, 1, show(r1));
    const s1 = await (servers[0] as SippServer).exited;
    assert.equal(s1.successful, 3, `node 1's server took all three participants\n${show(s1)}`);
    for (const i of [1, 2]) {
      const s = await (servers[i] as SippServer).stop();
      assert.equal(incomingCalls(s), 0, `node ${i + 1}'s server received nothing\n${show(s)}`);
    }
  });

  test('the last participant\'s BYE closes the room everywhere; the next call to room 100, via node 2, lands on node 2\'s server', async () => {
    for (let i = 0; i < 3; i++) await waitOwner(i, 'conf-100', undefined);
    const servers = [await conferenceServer(0, 1), await conferenceServer(1, 1)];
    const r = await call(1, 'conf-100', 0);
    assert.equal(r.successful, 1, show(r));
    const s2 = await (servers[1] as SippServer).exited;
    assert.equal(s2.successful, 1, show(s2));
    const s1 = await (servers[0] as SippServer).stop();
    assert.equal(incomingCalls(s1), 0, `node 1's server received nothing\n${show(s1)}`);
    for (let i = 0; i < 3; i++) await waitOwner(i, 'conf-100', undefined);
  });

  test('an owner that stops refreshing (frozen) loses its room by expiry: a call via node 3 then lands on node 3\'s server', async (t) => {
    const server2 = await conferenceServer(1, 1);
    const held = call(1, 'conf-100', 12_000, 40_000);
    await waitOwner(0, 'conf-100', 2);
    await waitOwner(2, 'conf-100', 2);
    nodes[1]?.child.kill('SIGSTOP');
    try {
      const frozenAt = Date.now();
      await waitOwner(2, 'conf-100', undefined, 5000);
      await waitOwner(0, 'conf-100', undefined, 5000);
      const lapsedMs = Date.now() - frozenAt;
      // Still Up for node 3: the room went by expiry, not because node 2 was declared Down.
      const list = (await cluster.mi(2, 'clusterer:list')).result as { Clusters: Array<{ Nodes: Array<{ node_id: number; link_state: string }> }> };
      assert.equal(list.Clusters[0]?.Nodes.find((n) => n.node_id === 2)?.link_state, 'Up');
      assert.ok(lapsedMs <= NODE2_TTL_MS + 1000, `the room lapsed ${lapsedMs} ms after the freeze`);
      t.diagnostic(`room of a frozen owner lapsed on nodes 1 and 3 within ${lapsedMs} ms (TTL ${NODE2_TTL_MS} ms)`);
      const server3 = await conferenceServer(2, 1);
      const r = await call(2, 'conf-100', 0);
      assert.equal(r.successful, 1, show(r));
      const s3 = await server3.exited;
      assert.equal(s3.successful, 1, `node 3's server hosted the call\n${show(s3)}`);
    } finally {
      nodes[1]?.child.kill('SIGCONT');
    }
    // Node 2 wakes up with its participant still in the room and announces it again.
    const h = await held;
    assert.equal(h.successful, 1, show(h));
    const s2 = await server2.exited;
    assert.equal(s2.successful, 1, show(s2));
    for (let i = 0; i < 3; i++) await waitOwner(i, 'conf-100', undefined);
  });

  test('the owner\'s death (SIGKILL) makes the others forget its rooms long before they would lapse; a restarted node learns the rooms of the others', async (t) => {
    const server3 = await conferenceServer(2, 1);
    const held3 = call(2, 'conf-300', 25_000, 60_000);
    await waitOwner(0, 'conf-300', 3);
    const server1 = await conferenceServer(0, 1);
    const held1 = call(0, 'conf-200', 4000, 15_000);
    await waitOwner(1, 'conf-200', 1);
    await waitOwner(2, 'conf-200', 1);
    const killedAt = Date.now();
    nodes[0]?.child.kill('SIGKILL');
    await waitOwner(1, 'conf-200', undefined, 20_000);
    await waitOwner(2, 'conf-200', undefined, 20_000);
    const forgotMs = Date.now() - killedAt;
    assert.ok(forgotMs < 20_000, `forgotten ${forgotMs} ms after the kill (TTL 30 s)`);
    assert.equal(await ownerOn(1, 'conf-300'), 3, 'rooms of the living stay');
    // Node 1 again: it asks every node that comes up for its entries (DUMP?) and learns room 300.
    await cluster.start(1);
    await cluster.allUp(3);
    await waitOwner(0, 'conf-300', 3);
    const stats = (await cluster.mi(0, 'statistics:get', { statistics: ['map:'] })).result as Record<string, number>;
    assert.ok((stats['map:conference_dumped'] ?? 0) >= 1, `learned from a DUMP reply, not a refresh: ${JSON.stringify(stats)}`);
    t.diagnostic(`room of a killed owner forgotten after ${forgotMs} ms (Down detection; TTL 30 s)`);
    await held1; // its BYE went to a dead node: no verdict
    await server1.stop(1000);
    const h3 = await held3;
    assert.equal(h3.successful, 1, show(h3));
    const s3 = await server3.exited;
    assert.equal(s3.successful, 1, show(s3));
  });
});
