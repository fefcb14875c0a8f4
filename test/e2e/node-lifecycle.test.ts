import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.ts';
import { mi, runCli, startNode, tempDir, waitFor, writeConfig } from '../support/node-process.ts';

test('a started node answers core:uptime, core:which and statistics:get through `sipcluster mi`, and SIGTERM stops it with 0', async () => {
  const dir = tempDir();
  const miPort = await freePort();
  const sipPort = await freePort();
  const file = writeConfig(dir, 'node.yaml', [
    'node: { name: e2e-node, logLevel: info }',
    `mi: { host: 127.0.0.1, port: ${miPort} }`,
    `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    '',
  ].join('\n'));
  const node = startNode(file);
  try {
    const url = `http://127.0.0.1:${miPort}/mi`;
    await waitFor('the MI to answer', async () => ((await mi(url, 'core:uptime')).result !== undefined ? true : undefined));

    const uptime = await runCli(['mi', '-c', file, 'core:uptime']);
    assert.equal(uptime.code, 0, uptime.stderr);
    const u = JSON.parse(uptime.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(u), ['Now', 'Up since', 'Up time']);
    assert.match(u['Up time'] ?? '', /^\d+ \[sec\]$/);

    const which = await runCli(['mi', '-c', file, 'which']);
    assert.equal(which.code, 0, which.stderr);
    const methods = JSON.parse(which.stdout) as string[];
    for (const m of ['core:uptime', 'core:which', 'core:version', 'core:log_level', 'statistics:get']) assert.ok(methods.includes(m), m);

    const stats = await runCli(['mi', '-c', file, 'statistics:get', 'all']);
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(typeof (JSON.parse(stats.stdout) as Record<string, number>)['core:uptime_sec'], 'number');

    const bad = await runCli(['mi', '-c', file, 'no:such_method']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /-32601.*RPC_METHOD_NOT_FOUND/);

    node.child.kill('SIGTERM');
    const exit = await node.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, node.output());
    assert.match(node.output(), /"msg":"stopped"/);
  } finally {
    if (node.child.exitCode === null) node.child.kill('SIGKILL');
  }
});

test('`sipcluster config check` lists every problem and exits 2; a good file exits 0', async () => {
  const dir = tempDir();
  const bad = writeConfig(dir, 'bad.yaml', 'mi: { port: -1, what: 1 }\nshutdown: { drainTimeoutMs: "soon" }\n');
  const r = await runCli(['config', 'check', '-c', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /3 problem\(s\)/);
  assert.match(r.stderr, /mi\.port/);
  assert.match(r.stderr, /mi\.what: unknown key/);
  assert.match(r.stderr, /shutdown\.drainTimeoutMs: .*milliseconds/);
  const good = writeConfig(dir, 'good.yaml', 'node: { name: ok }\n');
  const g = await runCli(['config', 'check', '-c', good]);
  assert.equal(g.code, 0, g.stderr);
  const schema = await runCli(['config', 'schema']);
  assert.equal(schema.code, 0);
  assert.equal((JSON.parse(schema.stdout) as { type: string }).type, 'object');
});
