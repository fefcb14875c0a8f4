/**
 * RFC 3263 end to end: a node whose `sip.dns.servers` is a DNS server on loopback (test/support/
 * dns-server.ts) relays a SIPp call to `sip:bob@pbx.test`. NAPTR says UDP, SRV gives two targets:
 * priority 10 answers every INVITE 503 (a bare UDP responder here), priority 20 is a SIPp UAS. The
 * call must complete on the second target (§4.3 failover on 503), and SIPp must never see the 503.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildResponse, parseMessage } from '../../src/sip/message/index.ts';
import { startDnsServer, type DnsServer } from '../support/dns-server.ts';
import { freePort } from '../support/ports.ts';
import { mi, startNode, tempDir, waitFor, writeConfig, type NodeProcess } from '../support/node-process.ts';
import { describeSipp, runSipp, skipWithoutSipp, startSippServer } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));
const routes = fileURLToPath(new URL('./fixtures/dns-failover-routes.ts', import.meta.url));

/** A SIP element that answers every INVITE 503 and absorbs the ACK; counts what it got. */
async function start503(port: number): Promise<{ sock: Socket; got: string[] }> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (data, rinfo) => {
    const r = parseMessage(data);
    if (!r.ok || !r.value.isRequest) return;
    got.push(r.value.method);
    if (r.value.method === 'ACK') return;
    sock.send(buildResponse(r.value, 503, 'Service Unavailable', { toTag: 'down503' }).bytes, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(port, '127.0.0.1', () => resolve()); });
  return { sock, got };
}

describe('RFC 3263 with a real DNS server, a real node and SIPp', { skip: skipWithoutSipp() }, () => {
  let node: NodeProcess;
  let dns: DnsServer;
  let down: { sock: Socket; got: string[] };
  let sipPort: number;
  let uasPort: number;
  let url: string;

  before(async () => {
    const dir = tempDir();
    sipPort = await freePort();
    uasPort = await freePort();
    const downPort = await freePort();
    const miPort = await freePort();
    down = await start503(downPort);
    dns = await startDnsServer({
      naptr: { 'pbx.test': [{ order: 10, preference: 10, flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.pbx.test' }] },
      srv: {
        '_sip._udp.pbx.test': [
          { priority: 20, weight: 0, port: uasPort, name: 'up.pbx.test' },
          { priority: 10, weight: 0, port: downPort, name: 'down.pbx.test' },
        ],
      },
      a: { 'up.pbx.test': ['127.0.0.1'], 'down.pbx.test': ['127.0.0.1'] },
    });
    const file = writeConfig(dir, 'node.yaml', [
      'node: { name: e2e-dns, logLevel: warn }',
      `mi: { port: ${miPort} }`,
      `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ], dns: { servers: ["${dns.address}"], timeoutMs: 1000, tries: 1 } }`,
      `routes: { module: ${JSON.stringify(routes)} }`,
      '',
    ].join('\n'));
    node = startNode(file);
    url = `http://127.0.0.1:${miPort}/mi`;
    await waitFor('the node to start', async () => ((await mi(url, 'core:uptime')).result !== undefined ? true : undefined), 20_000);
  });

  after(async () => {
    node.child.kill('SIGTERM');
    await node.exited;
    await dns.close();
    await new Promise<void>((resolve) => down.sock.close(() => resolve()));
  });

  test('NAPTR → SRV priority 10 answers 503 → the call completes on the priority-20 target; the caller never sees the 503', async () => {
    const uas = await startSippServer({ scenario: join(scenarios, 'uas-call.xml'), target: `127.0.0.1:${sipPort}`, calls: 1, localPort: uasPort, timeoutMs: 30_000 });
    const uac = await runSipp({ scenario: join(scenarios, 'uac-call.xml'), target: `127.0.0.1:${sipPort}`, service: 'bob', calls: 1, rate: 1, timeoutMs: 30_000 });
    const served = await uas.stop();
    const logs = `${describeSipp(uac)}\n--- UAS ---\n${describeSipp(served)}\n--- node ---\n${node.output().slice(-3000)}\n--- DNS ---\n${dns.queries.join('\n')}`;
    assert.equal(uac.successful, 1, logs);
    assert.equal(uac.failed, 0, logs);
    assert.equal(served.successful, 1, logs);
    assert.deepEqual(down.got, ['INVITE', 'ACK'], 'the first SRV target got the INVITE and the ACK of its 503');
    assert.ok(dns.queries.includes('NAPTR pbx.test'), logs);
    assert.ok(dns.queries.includes('SRV _sip._udp.pbx.test'), logs);
    const stats = (await mi(url, 'statistics:get', { statistics: ['tm:'] })).result as Record<string, number>;
    assert.equal(stats['tm:dns_failovers'], 1, JSON.stringify(stats));
  });
});
