import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

    // core:log_level reports the level it set (notice and info share a logger level), and refuses a non-level.
    for (const level of [2, -2, 4]) {
      assert.deepEqual((await mi(url, 'core:log_level', { level })).result, { 'New global log level': level });
      const now = (await mi(url, 'core:log_level')).result as { Processes: Array<Record<string, unknown>> };
      assert.equal(now.Processes[0]?.['Log level'], level);
    }
    assert.equal((await mi(url, 'core:log_level', { level: null })).error?.code, -32602);

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

test('requests that arrive while the routing script is still loading wait for it: no 501 from the stateless core during start-up', async () => {
  const dir = tempDir();
  const sipPort = await freePort();
  // A script that takes 1.5 s to load (top-level await) and answers every request itself.
  writeFileSync(join(dir, 'slow-routes.mts'), [
    'await new Promise((r) => setTimeout(r, 1500));',
    "export default { request(req, ctx) { ctx.reply(486, 'Busy From Script'); } };",
    '',
  ].join('\n'));
  const file = writeConfig(dir, 'node.yaml', [
    'node: { name: e2e-slow-start, logLevel: info }',
    'mi: { enabled: false }',
    `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    `store: { url: "sqlite:${join(dir, 'node.db')}" }`,
    'routes: { module: slow-routes.mts }',
    '',
  ].join('\n'));
  const node = startNode(file);
  const sock = createSocket('udp4');
  try {
    const statuses: string[] = [];
    sock.on('message', (m) => statuses.push(m.toString().split('\r\n')[0] ?? ''));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const lport = sock.address().port;
    // One new request every 100 ms from the start (before the socket is bound some are lost) until one is answered.
    for (let i = 0; i < 150 && statuses.length === 0; i++) {
      const msg = [
        `MESSAGE sip:x@127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${lport};branch=z9hG4bKslow${i}`,
        `From: <sip:a@127.0.0.1>;tag=f${i}`, `To: <sip:x@127.0.0.1>`, `Call-ID: slow-${i}`, 'CSeq: 1 MESSAGE', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
      ].join('\r\n');
      sock.send(msg, sipPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor('the answers', async () => (statuses.length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(statuses.length >= 2, `the requests sent while loading were held, then answered: ${statuses.join(' | ')}`);
    for (const s of statuses) assert.equal(s, 'SIP/2.0 486 Busy From Script', `every answer is the script's: ${statuses.join(' | ')}`);
  } finally {
    sock.close();
    node.child.kill('SIGTERM');
    await node.exited;
  }
});

/** Sends one MESSAGE to the node and returns the status line of its answer. */
async function statusOf(sipPort: number, id: string): Promise<string> {
  const sock = createSocket('udp4');
  try {
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<string>((r) => sock.once('message', (m) => r(m.toString().split('\r\n')[0] ?? '')));
    sock.send([
      `MESSAGE sip:x@127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${sock.address().port};branch=z9hG4bK${id}`,
      `From: <sip:a@127.0.0.1>;tag=f${id}`, 'To: <sip:x@127.0.0.1>', `Call-ID: ${id}`, 'CSeq: 1 MESSAGE', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
    ].join('\r\n'), sipPort, '127.0.0.1');
    return await got;
  } finally {
    sock.close();
  }
}

test('core:reload_routes: a routes module beside the config (outside the checkout) loads and reloads; a broken edit is refused with the reason, and the node keeps the old script', async () => {
  const dir = tempDir(); // under the system temp folder: no package.json, not inside the checkout
  const miPort = await freePort();
  const sipPort = await freePort();
  const routes = join(dir, 'routes.ts');
  writeFileSync(routes, "import { defineRoutes } from 'sipcluster';\nexport default defineRoutes({ request(_req, ctx) { ctx.reply(486, 'Busy One'); } });\n");
  const file = writeConfig(dir, 'node.yaml', [
    'node: { name: e2e-reload, logLevel: warn }',
    `mi: { host: 127.0.0.1, port: ${miPort} }`,
    `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    `store: { url: "sqlite:${join(dir, 'node.db')}" }`,
    'routes: { module: routes.ts }',
    '',
  ].join('\n'));
  const node = startNode(file);
  const url = `http://127.0.0.1:${miPort}/mi`;
  try {
    await waitFor('the MI to answer', async () => ((await mi(url, 'core:uptime').catch(() => ({ result: undefined }))).result !== undefined ? true : undefined));
    assert.equal(await statusOf(sipPort, 'r1'), 'SIP/2.0 486 Busy One');
    writeFileSync(routes, 'export default {{{');
    const broken = await mi(url, 'core:reload_routes');
    assert.equal(broken.error?.code, 500);
    assert.match(broken.error?.message ?? '', /routes\.ts/);
    assert.match(broken.error?.message ?? '', /Expected|Unexpected/, `the compiler's words: ${broken.error?.message}`);
    assert.equal(await statusOf(sipPort, 'r2'), 'SIP/2.0 486 Busy One', 'the old script still answers');
    writeFileSync(routes, "import { defineRoutes } from 'sipcluster';\nexport default defineRoutes({ request(_req, ctx) { ctx.reply(486, 'Busy Two'); } });\n");
    assert.deepEqual(await mi(url, 'core:reload_routes'), { jsonrpc: '2.0', result: 'OK', id: 1 });
    assert.equal(await statusOf(sipPort, 'r3'), 'SIP/2.0 486 Busy Two');
  } finally {
    node.child.kill('SIGTERM');
    await node.exited;
  }
  // A node without routes: the method says so instead of "Method not found".
  const plain = writeConfig(dir, 'plain.yaml', [
    'node: { name: e2e-plain, logLevel: warn }',
    `mi: { host: 127.0.0.1, port: ${miPort} }`,
    `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    '',
  ].join('\n'));
  const n2 = startNode(plain);
  try {
    await waitFor('the MI to answer', async () => ((await mi(url, 'core:uptime').catch(() => ({ result: undefined }))).result !== undefined ? true : undefined));
    const r = await mi(url, 'core:reload_routes');
    assert.equal(r.error?.code, 400);
  } finally {
    n2.child.kill('SIGTERM');
    await n2.exited;
  }
});

test('a port already taken stops the start with CONFIG_LISTEN_FAILED naming the config key', async () => {
  const dir = tempDir();
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const taken = (holder.address() as { port: number }).port;
  const sipPort = await freePort();
  const file = writeConfig(dir, 'node.yaml', [
    'node: { name: e2e-busy, logLevel: warn }',
    `mi: { host: 127.0.0.1, port: ${taken} }`,
    `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    '',
  ].join('\n'));
  try {
    const r = await runCli(['start', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^sipcluster: CONFIG_LISTEN_FAILED: mi\\.port: listen EADDRINUSE.*127\\.0\\.0\\.1:${taken}`, 'm'));
  } finally {
    holder.close();
  }
});
