/**
 * Talking cluster, use case 1 (examples/where-is) end to end: three real node processes (2 and 3
 * know only the seed), alice registers on node 1 from a SIPp UAS, a SIPp call to alice arrives at
 * node 3, which asks the cluster and relays the call to node 1: INVITE … BYE completes. Unknown
 * users get 404 once every node said so; a node that does not answer makes it 480, quickly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.ts';
import { mi, startNode, tempDir, waitFor, type NodeProcess } from '../support/node-process.ts';
import { describeSipp, runSipp, skipWithoutSipp, startSippServer, type SippResult } from '../support/sipp.ts';

const example = fileURLToPath(new URL('../../examples/where-is/', import.meta.url));
const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));

interface Ports { sip: number; bin: number; mi: number }

describe('talking cluster: where is the user?', { skip: skipWithoutSipp() }, () => {
  const nodes: NodeProcess[] = [];
  const ports: Ports[] = [];
  let dir: string;
  const miUrl = (i: number) => `http://127.0.0.1:${ports[i]?.mi}/mi`;
  const sipOf = (i: number) => `127.0.0.1:${ports[i]?.sip}`;
  const logs = () => nodes.map((n, i) => `--- node ${i + 1} ---\n${n.output().slice(-2500)}`).join('\n');
  const show = (r: SippResult) => `${describeSipp(r)}\n${logs()}`;

  before(async () => {
    dir = tempDir();
    for (let i = 0; i < 3; i++) ports.push({ sip: await freePort(), bin: await freePort(), mi: await freePort() });
    for (let i = 1; i <= 3; i++) {
      // The example's configs, moved to free ports and pointed at the example's routes module.
      let text = readFileSync(join(example, `node${i}.yaml`), 'utf8');
      for (let j = 1; j <= 3; j++) {
        const p = ports[j - 1] as Ports;
        text = text.replaceAll(`508${j}`, String(p.sip)).replaceAll(`558${j}`, String(p.bin)).replaceAll(`889${j}`, String(p.mi));
      }
      text = text.replace('routes: { module: routes.ts }', `routes: { module: ${JSON.stringify(join(example, 'routes.ts'))} }`)
        .replace(/logLevel: info/, 'logLevel: warn')
        // Slow heartbeats: a frozen node must still count as reachable when the WHEREIS goes out
        // (SIPp takes about a second to start), so the 480 test sees a node that does not answer.
        .replace('  allowNetworks:', '  pingIntervalMs: 1000\n  pingTimeoutMs: 5000\n  allowNetworks:');
      writeFileSync(join(dir, `node${i}.yaml`), text);
    }
    for (let i = 1; i <= 3; i++) nodes.push(startNode(join(dir, `node${i}.yaml`)));
    await waitFor('every node to see the other two Up', async () => {
      for (let i = 0; i < 3; i++) {
        const r = (await mi(miUrl(i), 'clusterer:list')).result as { Clusters: Array<{ Nodes: Array<{ link_state: string }> }> } | undefined;
        const states = r?.Clusters[0]?.Nodes.map((n) => n.link_state) ?? [];
        if (states.length !== 2 || states.some((s) => s !== 'Up')) return undefined;
      }
      return true;
    }, 30_000, 200);
  });

  after(async () => {
    for (const n of nodes) {
      n.child.kill('SIGCONT');
      n.child.kill('SIGTERM');
    }
    await Promise.all(nodes.map((n) => n.exited));
  });

  test('alice registers on node 1; a call to alice arriving at node 3 completes INVITE … BYE through the cluster', async () => {
    const uasPort = await freePort();
    const csv = join(dir, 'alice.csv');
    writeFileSync(csv, 'SEQUENTIAL\nalice;none;\n');
    const reg = await runSipp({ scenario: join(scenarios, 'register.xml'), target: sipOf(0), calls: 1, rate: 1, localPort: uasPort, injectionFile: csv });
    assert.equal(reg.successful, 1, show(reg));
    const uas = await startSippServer({ scenario: join(scenarios, 'uas-call.xml'), target: sipOf(0), calls: 1, localPort: uasPort, timeoutMs: 30_000 });
    const uac = await runSipp({ scenario: join(scenarios, 'uac-call.xml'), target: sipOf(2), calls: 1, rate: 1, service: 'alice', timeoutMs: 30_000 });
    const u = await uas.exited;
    assert.equal(uac.successful, 1, show(uac));
    assert.equal(u.successful, 1, show(u));
  });

  test('a user no node knows gets 404 once every reachable node answered', async () => {
    const r = await runSipp({ scenario: join(scenarios, 'uac-404.xml'), target: sipOf(1), calls: 1, rate: 1, service: 'nobody', timeoutMs: 20_000 });
    assert.equal(r.successful, 1, show(r));
  });

  test('when a node does not answer, the caller gets 480 within a couple of seconds, not a hang', async () => {
    nodes[1]?.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      const r = await runSipp({ scenario: join(scenarios, 'uac-480.xml'), target: sipOf(2), calls: 1, rate: 1, service: 'ghost', timeoutMs: 20_000 });
      const ms = Date.now() - started;
      assert.equal(r.successful, 1, show(r));
      assert.ok(ms < 5000, `480 took ${ms} ms`);
    } finally {
      nodes[1]?.child.kill('SIGCONT');
    }
  });
});
