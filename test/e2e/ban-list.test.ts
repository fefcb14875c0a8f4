/**
 * Talking cluster, use case 2 (examples/ban-list) end to end: three real node processes; SIPp
 * brute-forces REGISTER for made-up users from 127.0.0.2 against node 2, which bans the source and
 * broadcasts it; nodes 1 and 3 then answer 127.0.0.2 with 403 while a subscriber from 127.0.0.1
 * still registers; every node lists the ban; a fourth node started later learns it with its own
 * BANS? request; ban:remove lifts it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open-store.ts';
import { ExampleCluster } from '../support/example-cluster.ts';
import { mi, waitFor } from '../support/node-process.ts';
import { runSipp, skipWithoutSipp, type SippResult } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));
const ATTACKER = '127.0.0.2';

interface BanRow { ip: string; reason: string; user_agent: string; origin_node: number | null; expires: number }

/** One OPTIONS from a UDP socket bound to `fromIp`; resolves with the status line, or 'timeout'. */
async function options(fromIp: string, port: number, timeoutMs = 2000): Promise<string> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, fromIp, resolve));
  const local = sock.address();
  const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
  const msg = [
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP ${fromIp}:${local.port};branch=${branch}`, 'Max-Forwards: 70',
    `From: <sip:probe@${fromIp}>;tag=p1`, `To: <sip:127.0.0.1:${port}>`, `Call-ID: ${branch}@${fromIp}`, 'CSeq: 1 OPTIONS',
    'User-Agent: ban-list e2e', 'Content-Length: 0', '', '',
  ].join('\r\n');
  try {
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      sock.on('message', (data) => {
        const line = data.toString('latin1').split('\r\n')[0] ?? '';
        if (line.startsWith('SIP/2.0 1')) return;
        clearTimeout(timer);
        resolve(line);
      });
      sock.send(msg, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

/** One INVITE from `fromIp` that is never ACKed; resolves with every final response's status line seen within `waitMs`. */
async function unackedInvite(fromIp: string, port: number, waitMs: number): Promise<string[]> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, fromIp, resolve));
  const local = sock.address();
  const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
  const msg = [
    `INVITE sip:bob@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP ${fromIp}:${local.port};branch=${branch}`, 'Max-Forwards: 70',
    `From: <sip:scanner@${fromIp}>;tag=s1`, `To: <sip:bob@127.0.0.1:${port}>`, `Call-ID: ${branch}@${fromIp}`, 'CSeq: 1 INVITE',
    `Contact: <sip:scanner@${fromIp}:${local.port}>`, 'User-Agent: friendly-scanner', 'Content-Length: 0', '', '',
  ].join('\r\n');
  const finals: string[] = [];
  sock.on('message', (data) => {
    const line = data.toString('latin1').split('\r\n')[0] ?? '';
    if (!line.startsWith('SIP/2.0 1')) finals.push(line);
  });
  sock.send(msg, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, waitMs));
  sock.close();
  return finals;
}

describe('talking cluster: share the attacker', { skip: skipWithoutSipp() }, () => {
  const cluster = new ExampleCluster({
    example: 'ban-list',
    prefixes: { sip: '509', bin: '559', mi: '890' },
    // A SQLite store per node holding alice; node 4 (the late joiner) logs at info.
    edit: async (text, i, dir) => {
      const store = await openStore(`sqlite:node${i}.db`, { baseDir: dir });
      await store.subscribers.add('alice', '127.0.0.1', 'pw-alice');
      await store.close();
      return text.replace('store: { url: "sqlite::memory:" }', `store: { url: "sqlite:node${i}.db" }`)
        .replace(/logLevel: warn/, i === 4 ? 'logLevel: info' : 'logLevel: warn');
    },
  });
  const { nodes, ports } = cluster;
  const miUrl = (i: number) => cluster.miUrl(i);
  const sipOf = (i: number) => cluster.sipOf(i);
  const logs = () => cluster.logs();
  const show = (r: SippResult) => cluster.show(r);
  const bansOn = async (i: number) => ((await mi(miUrl(i), 'ban:list')).result as { Bans: BanRow[] } | undefined)?.Bans ?? [];

  before(() => cluster.startAll(3));
  after(() => cluster.stop());

  test('a REGISTER brute force from 127.0.0.2 against node 2 bans the source on every node', async () => {
    const r = await runSipp({ scenario: join(scenarios, 'register-brute.xml'), target: sipOf(1), calls: 8, rate: 20, localIp: ATTACKER, timeoutMs: 20_000 });
    assert.equal(r.successful, 8, show(r));
    for (let i = 0; i < 3; i++) {
      const bans = await waitFor(`node ${i + 1} to list the ban`, async () => {
        const b = await bansOn(i);
        return b.some((x) => x.ip === ATTACKER) ? b : undefined;
      }, 10_000, 100);
      const ban = bans.find((x) => x.ip === ATTACKER);
      assert.equal(ban?.origin_node, 2, logs());
      assert.equal(ban?.user_agent, 'friendly-scanner');
      assert.ok((ban?.expires ?? 0) > 500 && (ban?.expires ?? 0) <= 600, `expires ${ban?.expires}`);
    }
  });

  test('nodes 1 and 3 answer the banned source 403 and count it; 127.0.0.1 is not affected', async () => {
    assert.equal(await options(ATTACKER, ports[0]?.sip ?? 0), 'SIP/2.0 403 Forbidden');
    assert.equal(await options(ATTACKER, ports[2]?.sip ?? 0), 'SIP/2.0 403 Forbidden');
    assert.equal(await options('127.0.0.1', ports[0]?.sip ?? 0), 'SIP/2.0 200 OK');
    const stats = (await mi(miUrl(2), 'statistics:get', { statistics: ['ban:'] })).result as Record<string, number>;
    assert.ok((stats['ban:banned_requests'] ?? 0) >= 1, JSON.stringify(stats));
    assert.equal(stats['ban:active'], 1, JSON.stringify(stats));
  });

  test('the 403 to a banned INVITE is stateless (sl_send_reply): sent once, not resent on timer G to a source that never ACKs', async () => {
    // Stateful, the 403 would come again after 0.5 s and 1.5 s (RFC 3261 §17.2.1) until an ACK.
    assert.deepEqual(await unackedInvite(ATTACKER, ports[0]?.sip ?? 0, 1800), ['SIP/2.0 403 Forbidden']);
  });

  test('a subscriber registering from 127.0.0.1 on node 1 still gets 200', async () => {
    const csv = join(cluster.dir, 'alice.csv');
    writeFileSync(csv, 'SEQUENTIAL\nalice;pw-alice;[authentication username=alice password=pw-alice]\n');
    const r = await runSipp({ scenario: join(scenarios, 'register-auth.xml'), target: sipOf(0), calls: 1, rate: 1, injectionFile: csv, timeoutMs: 20_000 });
    assert.equal(r.successful, 1, show(r));
  });

  test('a fourth node started later learns the ban with its own BANS? request', async () => {
    // Its ports are picked only now: picked at the start, the nodes' own outgoing connections could take them meanwhile.
    await cluster.start(4);
    await cluster.allUp(4);
    await waitFor('node 4 to learn the ban', async () => ((await bansOn(3).catch(() => [])).some((b) => b.ip === ATTACKER) ? true : undefined), 30_000, 200)
      .catch((e: unknown) => assert.fail(`${String(e)}\n${logs()}`));
    assert.equal(await options(ATTACKER, ports[3]?.sip ?? 0), 'SIP/2.0 403 Forbidden');
  });

  test('ban:remove on every node lifts the ban', async () => {
    for (let i = 0; i < nodes.length; i++) {
      assert.deepEqual(await mi(miUrl(i), 'ban:remove', { ip: ATTACKER }), { jsonrpc: '2.0', result: 'OK', id: 1 });
      assert.deepEqual(await bansOn(i), []);
    }
    const again = await mi(miUrl(0), 'ban:remove', { ip: ATTACKER });
    assert.equal(again.error?.code, 404);
    assert.equal(await options(ATTACKER, ports[0]?.sip ?? 0), 'SIP/2.0 200 OK');
    assert.equal(await options(ATTACKER, ports[1]?.sip ?? 0), 'SIP/2.0 200 OK');
  });
});
