/**
 * Issue #5 evidence with real SIPp on loopback: a node running examples/registrar/routes.ts
 * (digest-authenticated REGISTER, record-route, calls to registered users).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open-store.ts';
import { freePort } from '../support/ports.ts';
import { mi, startNode, tempDir, waitFor, writeConfig, type NodeProcess } from '../support/node-process.ts';
import { runSipp, skipWithoutSipp, type SippResult } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));
const routes = fileURLToPath(new URL('../../examples/registrar/routes.ts', import.meta.url));
const USERS = 100;

describe('registrar and proxy with real SIPp', { skip: skipWithoutSipp() }, () => {
  let node: NodeProcess;
  let dir: string;
  let sipPort: number;
  let url: string;
  const target = () => `127.0.0.1:${sipPort}`;
  const show = (r: SippResult) => `${r.output.slice(-1500)}\n--- node ---\n${node.output().slice(-3000)}`;

  /** An injection file of users for register-auth.xml (field2 carries SIPp's [authentication] token). */
  function usersCsv(names: string[]): string {
    const f = join(dir, `users-${names[0]}-${names.length}.csv`);
    writeFileSync(f, `SEQUENTIAL\n${names.map((u) => `${u};pw-${u};[authentication username=${u} password=pw-${u}]`).join('\n')}\n`);
    return f;
  }

  /** Registers `user` with its Contact at 127.0.0.1:`port` (where a SIPp UAS will then listen). */
  async function registerAt(user: string, port: number): Promise<void> {
    const r = await runSipp({ scenario: join(scenarios, 'register-auth.xml'), target: target(), calls: 1, rate: 1, localPort: port, extraArgs: ['-inf', usersCsv([user])] });
    assert.equal(r.successful, 1, show(r));
  }

  before(async () => {
    dir = tempDir();
    sipPort = await freePort();
    const miPort = await freePort();
    const store = await openStore('sqlite:node.db', { baseDir: dir });
    for (let i = 0; i < USERS; i++) await store.subscribers.add(`user${i}`, '127.0.0.1', `pw-user${i}`);
    for (const u of ['bob', 'carol', 'dave', 'erin', 'frank']) await store.subscribers.add(u, '127.0.0.1', `pw-${u}`);
    await store.close();
    const file = writeConfig(dir, 'node.yaml', [
      'node: { name: e2e-registrar, logLevel: warn }',
      `mi: { port: ${miPort} }`,
      `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
      'store: { url: "sqlite:node.db" }',
      `routes: { module: ${JSON.stringify(routes)} }`,
      'registrar: { persistence: write-through }',
      // SIPp computes MD5 digests only.
      'auth: { nonceSecret: "e2e-test-secret-0123456789", algorithms: [MD5] }',
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

  test(`${USERS} users REGISTER with digest auth (401 challenge, then 200) and their bindings are visible`, async () => {
    const names = Array.from({ length: USERS }, (_, i) => `user${i}`);
    const r = await runSipp({ scenario: join(scenarios, 'register-auth.xml'), target: target(), calls: USERS, rate: 50, extraArgs: ['-inf', usersCsv(names)] });
    assert.equal(r.failed, 0, show(r));
    assert.equal(r.successful, USERS);
    const dump = (await mi(url, 'usrloc:dump')).result as { Domains: Array<{ AORs: Array<{ AOR: string }> }> };
    const aors = dump.Domains.flatMap((d) => d.AORs.map((a) => a.AOR));
    for (const n of names) assert.ok(aors.includes(`${n}@127.0.0.1`), `${n} has a binding`);
    const stats = (await mi(url, 'statistics:get', { statistics: ['usrloc:'] })).result as Record<string, number>;
    assert.ok((stats['usrloc:location-contacts'] ?? 0) >= USERS, JSON.stringify(stats));
  });

  test('a call from a SIPp UAC through the node to a registered SIPp UAS: INVITE/100/180/200/ACK/BYE with Record-Route honoured', async () => {
    const uasPort = await freePort();
    await registerAt('bob', uasPort);
    const uas = runSipp({ scenario: join(scenarios, 'uas-call.xml'), target: target(), calls: 1, localPort: uasPort, timeoutMs: 30_000 });
    const uac = await runSipp({ scenario: join(scenarios, 'uac-call.xml'), target: target(), calls: 1, rate: 1, service: 'bob', timeoutMs: 30_000 });
    const u = await uas;
    assert.equal(uac.successful, 1, show(uac));
    assert.equal(u.successful, 1, show(u));
  });

  test('a caller behind a NAT (private Via, unreachable Contact): fix_nated_contact makes the callee\'s BYE reach it', async () => {
    // examples/registrar/routes.ts runs ctx.nat.test() / fixContact(); uac-nat.xml says why its
    // Contact is 127.0.0.1:5999 (unfixed, the BYE would go there and the caller would never see it).
    const uasPort = await freePort();
    await registerAt('frank', uasPort);
    const uas = runSipp({ scenario: join(scenarios, 'uas-bye.xml'), target: target(), calls: 1, localPort: uasPort, timeoutMs: 30_000 });
    const uac = await runSipp({ scenario: join(scenarios, 'uac-nat.xml'), target: target(), calls: 1, rate: 1, service: 'frank', timeoutMs: 30_000 });
    const u = await uas;
    assert.equal(uac.successful, 1, `${show(uac)}\n${uac.errors}`);
    assert.equal(u.successful, 1, `${show(u)}\n${u.errors}`);
  });

  test('CANCEL before answer: 200 for the CANCEL, 487 for the INVITE, the callee sees the CANCEL', async () => {
    const uasPort = await freePort();
    await registerAt('carol', uasPort);
    const uas = runSipp({ scenario: join(scenarios, 'uas-ring.xml'), target: target(), calls: 1, localPort: uasPort, timeoutMs: 30_000 });
    const uac = await runSipp({ scenario: join(scenarios, 'uac-cancel.xml'), target: target(), calls: 1, rate: 1, service: 'carol', timeoutMs: 30_000 });
    const u = await uas;
    assert.equal(uac.successful, 1, show(uac));
    assert.equal(u.successful, 1, show(u));
  });

  test('a call to an unknown user gets 404', async () => {
    const r = await runSipp({ scenario: join(scenarios, 'uac-404.xml'), target: target(), calls: 1, rate: 1, service: 'nobody', timeoutMs: 20_000 });
    assert.equal(r.successful, 1, show(r));
  });

  test('a call to a subscriber without a binding gets 480, not 404', async () => {
    const sock = createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString().split('\r\n')[0] ?? ''));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    sock.send(Buffer.from([
      `INVITE sip:erin@127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-e2e-480;rport`, 'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=x1`, `To: <sip:erin@127.0.0.1:${sipPort}>`, 'Call-ID: e2e-480@test', 'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${port}>`, 'Content-Length: 0', '', '',
    ].join('\r\n')), sipPort, '127.0.0.1');
    try {
      await waitFor('a final response', () => (got.some((l) => /^SIP\/2\.0 [2-6]/.test(l)) ? true : undefined), 10_000);
      assert.ok(got.includes('SIP/2.0 480 Temporarily Unavailable'), got.join(' | '));
    } finally {
      sock.close();
    }
  });

  test('a retransmitted REGISTER is answered from its transaction with the same bytes, not run through the script again', async () => {
    const sock = createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    const reg = Buffer.from([
      `REGISTER sip:127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-e2e-rtx;rport`, 'Max-Forwards: 70',
      'From: <sip:user1@127.0.0.1>;tag=r1', 'To: <sip:user1@127.0.0.1>', 'Call-ID: e2e-rtx@test', 'CSeq: 9 REGISTER',
      `Contact: <sip:user1@127.0.0.1:${port}>`, 'Content-Length: 0', '', '',
    ].join('\r\n'));
    try {
      sock.send(reg, sipPort, '127.0.0.1');
      await waitFor('the first answer', () => (got.length >= 1 ? true : undefined), 5000);
      sock.send(reg, sipPort, '127.0.0.1');
      await waitFor('the second answer', () => (got.length >= 2 ? true : undefined), 5000);
      assert.match(got[0] ?? '', /^SIP\/2\.0 401 /);
      assert.equal(got[1], got[0], 'the retransmission gets the very same 401 (same nonce, same To tag)');
    } finally {
      sock.close();
    }
  });

  test('UDP loss: retransmissions recover every call', async () => {
    const uasPort = await freePort();
    await registerAt('dave', uasPort);
    const calls = 10;
    const uas = runSipp({ scenario: join(scenarios, 'uas-call-loss.xml'), target: target(), calls, localPort: uasPort, timeoutMs: 120_000 });
    const uac = await runSipp({ scenario: join(scenarios, 'uac-call-loss.xml'), target: target(), calls, rate: 2, service: 'dave', timeoutMs: 120_000 });
    const u = await uas;
    assert.equal(uac.successful, calls, show(uac));
    assert.equal(u.successful, calls, show(u));
  });
});
