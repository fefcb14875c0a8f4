import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRoutes } from './load-routes.ts';
import { defineRoutes } from './api.ts';

const MODULE = `import { defineRoutes } from 'sipcluster';
(globalThis as Record<string, unknown>).routesOutsideApi = defineRoutes;
export default defineRoutes({ request(_req, ctx) { ctx.reply(404); } });
`;

test('a routes module outside the installation (no package.json, a .ts file) imports "sipcluster" and gets the API of the installation', async () => {
  // Operators keep routes beside their config (/etc/sipcluster/routes.ts): there the package name
  // does not resolve by itself, and a .ts file without "type": "module" around it loads as CommonJS.
  const dir = mkdtempSync(join(tmpdir(), 'routes-outside-'));
  const file = join(dir, 'routes.ts');
  writeFileSync(file, MODULE);
  const r = await loadRoutes(file);
  assert.equal(typeof r.request, 'function');
  assert.equal((globalThis as Record<string, unknown>).routesOutsideApi, defineRoutes, 'the same API module instance as the node\'s');
});

test('a routes module that does not compile is SCRIPT_LOAD_FAILED with the reason of the compiler', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'routes-broken-'));
  const file = join(dir, 'routes.ts');
  writeFileSync(file, 'export default {{{');
  await assert.rejects(loadRoutes(file), (e: Error & { code?: string }) => e.code === 'SCRIPT_LOAD_FAILED' && /routes\.ts/.test(e.message));
});
