import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { nodeConfigSchema } from '../../src/app/config/schema.ts';
import { parseConfigText } from '../../src/app/config/load-config.ts';

/**
 * docs/reference/config.md is the operator's list of every node config key. It drifted before
 * (keys documented in four places, none complete), so this test holds it to the zod schema both
 * ways: every key the schema accepts has a row, and every row names a key the schema accepts.
 *
 * Schema side: walk `nodeConfigSchema` from its root object through `_zod.def`: wrappers
 * (optional, default, prefault, nullable, readonly, catch, and the input side of a pipe) are
 * unwrapped, an object's `shape` gives `parent.key`, and a list of objects gives `parent[].key`.
 * Every key is listed, containers too (`sip`, `sip.listen`, `registrar.natPing`).
 *
 * Doc side: a table whose header row starts with `| key |` lists keys; each of its rows names one
 * key as a backticked path in its first cell. Other tables (the checks) are not read.
 */
const docPath = fileURLToPath(new URL('../../docs/reference/config.md', import.meta.url));

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema under optional/default/prefault/… wrappers (the input side of a pipe). */
function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = defOf(s);
    if (d.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in !== undefined) s = d.in;
    else return s;
  }
}

/** The object whose keys continue a path below `s` (itself, or a list's element), if any. */
function objectBelow(s: z.ZodType): { shape: Record<string, z.ZodType>; prefix: string } | undefined {
  const u = unwrap(s);
  const d = defOf(u);
  if (d.type === 'object' && d.shape !== undefined) return { shape: d.shape, prefix: '.' };
  if (d.type === 'array' && d.element !== undefined) {
    const e = defOf(unwrap(d.element));
    if (e.type === 'object' && e.shape !== undefined) return { shape: e.shape, prefix: '[].' };
  }
  return undefined;
}

export function schemaKeyPaths(root: z.ZodType = nodeConfigSchema): string[] {
  const out: string[] = [];
  const walk = (shape: Record<string, z.ZodType>, base: string): void => {
    for (const [key, child] of Object.entries(shape)) {
      const path = base + key;
      out.push(path);
      const below = objectBelow(child);
      if (below !== undefined) walk(below.shape, path + below.prefix);
    }
  };
  const top = objectBelow(root);
  assert.ok(top !== undefined && top.prefix === '.', 'the node config schema is an object');
  walk(top.shape, '');
  return out;
}

const KEY_TABLE_HEADER = /^\|\s*key\s*\|/;
const KEY_ROW = /^\|\s*`([^`]+)`\s*\|/;

/** Key paths named by the doc's key tables, with the line each is on. */
export function docKeyPaths(text: string): Map<string, number> {
  const keys = new Map<string, number>();
  let inKeyTable = false;
  text.split('\n').forEach((line, i) => {
    if (!line.startsWith('|')) { inKeyTable = false; return; }
    if (KEY_TABLE_HEADER.test(line)) { inKeyTable = true; return; }
    if (!inKeyTable) return;
    const m = KEY_ROW.exec(line);
    if (m !== null) {
      assert.ok(!keys.has(m[1] as string), `docs/reference/config.md line ${i + 1}: ${m[1]} is listed twice`);
      keys.set(m[1] as string, i + 1);
    }
  });
  return keys;
}

const docText = readFileSync(docPath, 'utf8');

test('the schema walk finds keys at every depth (sanity of the walk itself)', () => {
  const paths = new Set(schemaKeyPaths());
  for (const p of ['node.name', 'sip.listen', 'sip.listen[].advertise', 'sip.tcp.idleTimeoutMs', 'registrar.natPing.intervalSec',
    'cluster.tls.caFile', 'cluster.neighbors[].nodeId', 'maps[].askTimeoutMs', 'cdr.role', 'esl.headers', 'shutdown.drainTimeoutMs']) {
    assert.ok(paths.has(p), `the walk misses ${p}`);
  }
  assert.ok(docKeyPaths(docText).size > 100, 'the doc parser found the key tables');
});

test('every key of the node config schema is documented in docs/reference/config.md', () => {
  const doc = docKeyPaths(docText);
  const missing = schemaKeyPaths().filter((p) => !doc.has(p));
  assert.deepEqual(missing, [], `add a row to docs/reference/config.md for: ${missing.join(', ')}`);
});

test('docs/reference/config.md names no key the schema does not have', () => {
  const schema = new Set(schemaKeyPaths());
  const stale = [...docKeyPaths(docText)].filter(([p]) => !schema.has(p)).map(([p, line]) => `${p} (line ${line})`);
  assert.deepEqual(stale, [], `remove or rename these rows: ${stale.join(', ')}`);
});

test('the doc lists keys in the order of the schema', () => {
  const doc = [...docKeyPaths(docText).keys()];
  assert.deepEqual(doc, schemaKeyPaths().filter((p) => doc.includes(p)));
});

test('the YAML examples of docs/reference/config.md are valid configs', () => {
  const blocks = [...docText.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  assert.ok(blocks.length >= 2, 'a minimal and a full example');
  for (const b of blocks) assert.doesNotThrow(() => parseConfigText(b, 'docs/reference/config.md'), b.slice(0, 60));
});
