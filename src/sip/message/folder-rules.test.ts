// DESIGN §2: src/sip/message imports only src/lib, and its non-test files stay pure (no clock, timers,
// randomness or I/O modules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

test('imports stay inside the folder or src/lib', () => {
  assert.ok(files.length > 10);
  for (const f of files) {
    const src = readFileSync(join(here, f), 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? '';
      const okSpec = spec.startsWith('./') || spec.startsWith('../../lib/');
      assert.ok(okSpec, `${f} imports ${spec}`);
      if (spec.startsWith('.')) assert.ok(spec.endsWith('.ts'), `${f}: relative import without .ts: ${spec}`);
    }
  }
});

test('no clock, timers, randomness or I/O in non-test files', () => {
  const banned = ['Date.now', 'performance.now', 'setTimeout', 'setInterval', 'Math.random', "'node:fs'", "'node:net'", "'node:dgram'"];
  for (const f of files) {
    const src = readFileSync(join(here, f), 'utf8');
    for (const b of banned) assert.ok(!src.includes(b), `${f} uses ${b}`);
  }
});
