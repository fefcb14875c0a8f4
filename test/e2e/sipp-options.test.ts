import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.ts';
import { mi, startNode, tempDir, waitFor, writeConfig } from '../support/node-process.ts';
import { runSipp, skipWithoutSipp } from '../support/sipp.ts';

const scenario = fileURLToPath(new URL('./scenarios/options.xml', import.meta.url));

test('real SIPp sends OPTIONS over UDP and over TCP to a started node and gets 200 for every one', { skip: skipWithoutSipp() }, async () => {
  const dir = tempDir();
  const miPort = await freePort();
  const sipPort = await freePort();
  const file = writeConfig(dir, 'node.yaml', [
    'node: { name: sipp-options, logLevel: warn }',
    `mi: { port: ${miPort} }`,
    'sip:',
    '  listen:',
    `    - { proto: udp, host: 127.0.0.1, port: ${sipPort} }`,
    `    - { proto: tcp, host: 127.0.0.1, port: ${sipPort} }`,
    '',
  ].join('\n'));
  const node = startNode(file);
  const url = `http://127.0.0.1:${miPort}/mi`;
  try {
    await waitFor('the node to start', async () => ((await mi(url, 'core:uptime')).result !== undefined ? true : undefined));
    const udp = await runSipp({ scenario, target: `127.0.0.1:${sipPort}`, transport: 'u1', calls: 500, rate: 500 });
    assert.equal(udp.failed, 0, udp.output.slice(-2000));
    assert.equal(udp.successful, 500);
    const tcp = await runSipp({ scenario, target: `127.0.0.1:${sipPort}`, transport: 't1', calls: 500, rate: 500 });
    assert.equal(tcp.failed, 0, tcp.output.slice(-2000));
    assert.equal(tcp.successful, 500);
    const stats = (await mi(url, 'statistics:get', { statistics: ['core:rcv_requests', 'sl:2xx_replies'] })).result as Record<string, number>;
    assert.equal(stats['core:rcv_requests'], 1000);
    assert.equal(stats['sl:2xx_replies'], 1000);
  } finally {
    node.child.kill('SIGTERM');
    await node.exited;
  }
});
