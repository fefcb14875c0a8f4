// Keeps the SIP_PARSE_ codes, their use and docs/reference/errors.md in step (DESIGN §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const docPath = join(here, '..', '..', '..', 'docs', 'reference', 'errors.md');

test('every SIP_PARSE_ code is declared, used and documented in the "SIP message" section', () => {
  const declared = [...readFileSync(join(here, 'errors.ts'), 'utf8').matchAll(/'(SIP_PARSE_[A-Z_]+)'/g)].map((m) => m[1]);
  assert.ok(declared.length > 10);
  const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts').map((f) => readFileSync(join(here, f), 'utf8')).join('\n');
  const doc = readFileSync(docPath, 'utf8');
  const section = doc.slice(doc.indexOf('## SIP message'));
  assert.ok(doc.includes('## SIP message'));
  const documented = [...section.matchAll(/^\| `(SIP_PARSE_[A-Z_]+)` \| .+ \|$/gm)].map((m) => m[1]);
  for (const c of declared) {
    assert.ok(sources.includes(`'${c}'`), `${c} declared but never used`);
    assert.ok(documented.includes(c), `${c} not documented`);
  }
  for (const c of documented) assert.ok(declared.includes(c), `${c} documented but not declared`);
});
