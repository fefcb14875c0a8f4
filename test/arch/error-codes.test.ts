import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Stable error codes are upper-case string literals with one of these prefixes. */
const CODE_RE = /['"`]((?:SIP|CLUSTER|RPC|CONFIG|STORE|INTERNAL|SCRIPT|FEATURE|MGMT)_[A-Z0-9_]+)['"`]/g;
const DOC_ROW_RE = /^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

export function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const f of walk(join(root, 'src'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(CODE_RE)) codes.add(m[1] as string);
  }
  return codes;
}

export function codesInDoc(): Set<string> {
  const text = readFileSync(join(root, 'docs/reference/errors.md'), 'utf8');
  return new Set([...text.matchAll(DOC_ROW_RE)].map((m) => m[1] as string));
}

test('every error code used in src/ is documented in docs/reference/errors.md', () => {
  const doc = codesInDoc();
  const missing = [...codesInSource()].filter((c) => !doc.has(c)).sort();
  assert.deepEqual(missing, [], `document these codes: ${missing.join(', ')}`);
});

test('every documented error code is still used in src/', () => {
  const src = codesInSource();
  const stale = [...codesInDoc()].filter((c) => !src.has(c)).sort();
  assert.deepEqual(stale, [], `remove or use these codes: ${stale.join(', ')}`);
});
