/**
 * Talking cluster, use case 1 (examples/where-is) end to end: three real node processes (2 and 3
 * know only the seed), alice registers on node 1 from a SIPp UAS, a SIPp call to alice arrives at
 * node 3, which asks the cluster and relays the call to node 1: INVITE … BYE completes. Unknown
 * users get 404 once every node said so; a node that does not answer makes it 480, quickly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExampleCluster } from '../support/example-cluster.ts';
import { freePort } from '../support/ports.ts';
import { runSipp, skipWithoutSipp, startSippServer, type SippResult } from '../support/sipp.ts';

const scenarios = fileURLToPath(new URL('./scenarios/', import.meta.url));

describe('talking cluster: where is the user?', { skip: skipWithoutSipp() }, () => {
  const cluster = new ExampleCluster({
    example: 'where-is',
    prefixes: { sip: '508', bin: '558', mi: '889' },
    // Slow heartbeats: a frozen node must still count as reachable when the WHEREIS goes out
    // (SIPp takes about a second to start), so the 480 test sees a node that does not answer.
    edit: (text) => text.replace('  allowNetworks:', '  pingIntervalMs: 1000\n  pingTimeoutMs: 5000\n  allowNetworks:'),
  });
  const nodes = cluster.nodes;
  const sipOf = (i: number) => cluster.sipOf(i);
  const show = (r: SippResult) => cluster.show(r);

  before(() => cluster.startAll(3));
  after(() => cluster.stop());

  test('alice registers on node 1; a call to alice arriving at node 3 completes INVITE … BYE through the cluster', async () => {
    const uasPort = await freePort();
    const csv = join(cluster.dir, 'alice.csv');
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
