import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * The shared golden vectors live beside the clone (`../shared/vectors`), never in the repository.
 * Returns the folder, or undefined when it is absent; tests then skip with the reason below.
 */
export function vectorsDir(sub: 'opensips-bin' | 'rfc4475'): string | undefined {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const dir = join(repoRoot, '..', 'shared', 'vectors', sub);
  return existsSync(dir) ? dir : undefined;
}

/** The `skip` option for node:test: false when the vectors are there, else a visible reason. */
export function skipWithoutVectors(sub: 'opensips-bin' | 'rfc4475'): false | string {
  return vectorsDir(sub) === undefined ? `../shared/vectors/${sub} not found beside the clone: golden tests skipped` : false;
}

/** Environment-provided server URLs for storage tests; the skip reason names the variable. */
export function envOrSkip(name: string): { value: string | undefined; skip: false | string } {
  const value = process.env[name];
  return value !== undefined && value !== ''
    ? { value, skip: false }
    : { value: undefined, skip: `${name} is not set: test skipped (.ci/run sets it)` };
}
