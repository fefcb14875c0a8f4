/**
 * `registrar.statelessReplies` on a real node: REGISTER answered as OpenSIPS's save() does (no
 * timer J state), real SIPp registering, and a retransmitted REGISTER answered 200 again by the
 * registrar (equal CSeq within the Call-ID) instead of by a kept transaction.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.ts';
import { mi, startNode, tempDir, waitFor, writeConfig, type NodeProcess } from '../support/node-process.ts';
import { runSipp, skipWithoutSipp } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));
const routes = fileURLToPath(new URL('./fixtures/open-registrar-routes.ts', import.meta.url));

describe('stateless REGISTER replies (registrar.statelessReplies)', { skip: skipWithoutSipp() }, () => {
  let node: NodeProcess;
  let dir: string;
  let sipPort: number;
  let url: string;

  before(async () => {
    dir = tempDir();
    sipPort = await freePort();
    const miPort = await freePort();
    const file = writeConfig(dir, 'node.yaml', [
      'node: { name: e2e-stateless-register, logLevel: warn }',
      `mi: { port: ${miPort} }`,
      `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
      'store: { url: "sqlite:node.db" }',
      `routes: { module: ${JSON.stringify(routes)} }`,
      'registrar: { statelessReplies: true }',
      '',
    ].join('\n'));
    node = startNode(file);
    url = `http://127.0.0.1:${miPort}/mi`;
    await waitFor('the node to start', async () => ((await mi(url, 'core:uptime')).result !== undefined ? true : undefined), 20_000);
  });

  after(async () => {
    node.child.kill('SIGTERM');
    await node.exited;
  });

  const stat = async (name: string) => ((await mi(url, 'statistics:get', { statistics: [name] })).result as Record<string, number>)[name];

  test('SIPp registers 200 users; no transaction is left behind for timer J', async () => {
    const csv = join(dir, 'users.csv');
    writeFileSync(csv, `SEQUENTIAL\n${Array.from({ length: 200 }, (_, i) => `sl${i};x`).join('\n')}\n`);
    const r = await runSipp({ scenario: join(scenarios, 'register.xml'), target: `127.0.0.1:${sipPort}`, calls: 200, rate: 200, extraArgs: ['-inf', csv] });
    assert.equal(r.failed, 0, r.output.slice(-1500));
    assert.equal(r.successful, 200);
    assert.equal(await stat('usrloc:location-contacts'), 200);
    assert.equal(await stat('tm:inuse_transactions'), 0, 'stateful, each would be kept 32 s');
  });

  test('a retransmitted REGISTER runs again and gets 200 with the binding unchanged; a lower CSeq gets 400', async () => {
    const sock: Socket = createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    const reg = (cseq: number) => Buffer.from([
      `REGISTER sip:127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-sl-${cseq};rport`, 'Max-Forwards: 70',
      'From: <sip:carol@127.0.0.1>;tag=c1', 'To: <sip:carol@127.0.0.1>', 'Call-ID: e2e-sl-rtx@test', `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:carol@127.0.0.1:${port}>`, 'Expires: 600', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    const send = async (b: Buffer, n: number) => {
      sock.send(b, sipPort, '127.0.0.1');
      await waitFor(`answer ${n}`, () => (got.length >= n ? true : undefined), 5000);
    };
    try {
      const before = await stat('registrar:accepted_regs') ?? 0;
      await send(reg(7), 1);
      await send(reg(7), 2);
      await send(reg(6), 3);
      assert.match(got[0] ?? '', /^SIP\/2\.0 200 /);
      assert.match(got[1] ?? '', /^SIP\/2\.0 200 /, 'the retransmission is answered 200 again');
      assert.match(got[1] ?? '', new RegExp(`Contact: <sip:carol@127\\.0\\.0\\.1:${port}>;expires=(600|599)`));
      assert.match(got[2] ?? '', /^SIP\/2\.0 400 Invalid CSeq number/);
      assert.equal((await stat('registrar:accepted_regs') ?? 0) - before, 2, 'the script ran for the retransmission (no transaction absorbed it)');
      const c = (await mi(url, 'usrloc:show_contact', { table_name: 'location', aor: 'carol@127.0.0.1' })).result as { Contacts: unknown[] };
      assert.equal(c.Contacts.length, 1);
    } finally {
      sock.close();
    }
  });
});
