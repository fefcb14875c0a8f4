/**
 * Module resolution hooks (node:module register) that let a routes module anywhere on disk —
 * /etc/sipcluster/routes.ts, say — `import { defineRoutes } from 'sipcluster'`. Inside this
 * checkout the package name resolves by itself (package.json self-reference); from any other
 * folder Node looks for a node_modules/sipcluster that does not exist. These hooks resolve the
 * bare name from the installation the node runs from. Runs in Node's loader thread:
 * no imports, nothing else resolved differently.
 */
interface ResolveContext { readonly parentURL?: string | undefined }
interface ResolveResult { readonly url: string; readonly format?: string | null | undefined; readonly shortCircuit?: boolean }
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;

let apiUrl = '';
/** Query parameter load-routes.ts puts on the routes module's URL. */
const ROUTES_MARK = 'sipcluster-routes=';

export function initialize(data: { apiUrl: string }): void {
  apiUrl = data.apiUrl;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  // Resolved as if imported from inside the installation (its package.json names itself), so the
  // chain (tsx) sees an ordinary self-reference and loads the TypeScript as it does everywhere.
  if (specifier === 'sipcluster' && apiUrl !== '') return next(specifier, { ...context, parentURL: apiUrl });
  const r = await next(specifier, context);
  // The routes module itself is ESM wherever it lives (load-routes.ts marks its URL): a .ts file
  // in a folder without a package.json saying "type": "module" would otherwise load as CommonJS,
  // where its import of 'sipcluster' becomes a require() these hooks never see.
  return r.url.includes(ROUTES_MARK) ? { ...r, format: 'module' } : r;
}
