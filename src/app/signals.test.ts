import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const signals = fileURLToPath(new URL('./signals.ts', import.meta.url));

test('an unhandled promise rejection is logged and counted, and the process keeps running (a synchronous throw still ends it)', () => {
  // A child process: the test runner has its own unhandledRejection handling.
  const script = `
    const { survivePromiseBugs } = await import(${JSON.stringify(signals)});
    let n = 0; const lines = [];
    const rt = { stats: { counter: () => ({ inc: () => { n++; } }) }, logger: { error: (o, m) => lines.push(o.code + ' ' + m) } };
    survivePromiseBugs(rt);
    void Promise.reject(new Error('a bug'));
    setTimeout(() => { console.log(JSON.stringify({ n, lines })); process.exit(0); }, 50);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { n: number; lines: string[] };
  assert.equal(out.n, 1);
  assert.match(out.lines[0] ?? '', /^INTERNAL_UNHANDLED_REJECTION /);
});
