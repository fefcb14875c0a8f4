import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { SipclusterError } from '../lib/errors.ts';
import type { Routes } from './api.ts';

const HANDLERS = ['request', 'reply', 'failure', 'error', 'clusterRequest', 'clusterReply', 'nodeStateChanged', 'banDetected', 'eslEvent'] as const;
let generation = 0;
let selfResolve = false;

/** Once per process: 'sipcluster' resolves to this installation's API from any folder (self-resolve-hooks.ts). */
function ensureSelfResolve(): void {
  if (selfResolve) return;
  selfResolve = true;
  register(new URL('./self-resolve-hooks.ts', import.meta.url), { data: { apiUrl: new URL('./api.ts', import.meta.url).href } });
}

/**
 * Imports a routes module (TypeScript compiled on the fly by the tsx loader the node runs
 * under). Each load gets a fresh module instance (a query string defeats the ESM cache), so
 * `core:reload_routes` picks up edits; transactions in flight keep the handlers they started with.
 */
export async function loadRoutes(file: string): Promise<Routes> {
  let mod: { default?: unknown };
  try {
    ensureSelfResolve();
    mod = (await import(`${pathToFileURL(file).href}?sipcluster-routes=${++generation}`)) as { default?: unknown };
  } catch (e) {
    throw new SipclusterError('SCRIPT_LOAD_FAILED', `cannot load routes module ${file}: ${(e as Error).message}`, { cause: String((e as Error).stack ?? e) });
  }
  const r = mod.default;
  if (typeof r !== 'object' || r === null) {
    throw new SipclusterError('SCRIPT_INVALID', `${file}: the default export must be defineRoutes({...})`);
  }
  const o = r as Record<string, unknown>;
  if (typeof o.request !== 'function') throw new SipclusterError('SCRIPT_INVALID', `${file}: routes need a request(req, ctx) handler`);
  for (const k of Object.keys(o)) {
    if (!(HANDLERS as readonly string[]).includes(k)) throw new SipclusterError('SCRIPT_INVALID', `${file}: unknown handler '${k}' (known: ${HANDLERS.join(', ')})`);
    if (typeof o[k] !== 'function') throw new SipclusterError('SCRIPT_INVALID', `${file}: handler '${k}' must be a function`);
  }
  return r as Routes;
}
