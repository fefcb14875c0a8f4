import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

// `npm start` (README): the where-is cluster on its fixed example ports.
const CLI = fileURLToPath(new URL('../../bin/sipcluster.mjs', import.meta.url));

function runDemo(): { out: () => string; err: () => string; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void } {
  const c = spawn(process.execPath, [CLI, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  return { out: () => out, err: () => err, exited, kill: (s) => c.kill(s) };
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the demo starts three nodes that see each other Up, prints how to try it, and Ctrl-C stops them with 0', async () => {
  const d = runDemo();
  try {
    await until('the banner', () => d.out().includes('Ctrl-C stops all three'), 60_000);
    assert.match(d.out(), /all three nodes see each other Up/, d.out() + d.err());
  } finally {
    d.kill('SIGINT');
  }
  assert.equal(await d.exited, 0, d.err());
});

test('the demo with one of its ports taken says which and exits 1, without a banner', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(8891, '127.0.0.1', r)); // node 1's mi.port
  try {
    const d = runDemo();
    const code = await Promise.race([d.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    if (code === 'hung') d.kill('SIGTERM');
    assert.equal(code, 1);
    assert.match(d.err(), /node 1 mi\.port 127\.0\.0\.1:8891 already in use/);
    assert.doesNotMatch(d.out(), /see each other Up/);
  } finally {
    holder.close();
  }
});
