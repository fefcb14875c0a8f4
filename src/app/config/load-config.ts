import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SipclusterError } from '../../lib/errors.ts';
import { nodeConfigSchema, type NodeConfig } from './schema.ts';

export interface ConfigProblem {
  /** Dotted field path, e.g. `sip.listen.0.port`; empty for the whole document. */
  path: string;
  message: string;
}

/** A config file that cannot be used; `problems` lists every problem found, not just the first. */
export class ConfigError extends SipclusterError {
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    super('CONFIG_INVALID', `${file}: ${problems.length} problem(s)\n` +
      problems.map((p) => `  - ${p.path === '' ? '(root)' : p.path}: ${p.message}`).join('\n'));
    this.problems = problems;
  }
}

export interface LoadedConfig {
  config: NodeConfig;
  /** Absolute path of the file, or '<inline>'. */
  file: string;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
}

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  const abs = resolve(file);
  const config = parseConfigText(text, abs);
  const baseDir = dirname(abs);
  const missing = missingFiles(config, baseDir);
  if (missing.length > 0) throw new ConfigError(abs, missing);
  return { config, file: abs, baseDir };
}

/**
 * Files the config names that are not there: the routes module and the cluster's TLS material
 * (relative to the config's folder). `config check` reports them; before, `start` failed with a
 * bare ENOENT that did not say which key named the file.
 */
function missingFiles(c: NodeConfig, baseDir: string): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const need = (path: string, p: string): void => {
    const f = resolveFromConfig(baseDir, p);
    if (!existsSync(f)) out.push({ path, message: `no such file: ${f}` });
  };
  if (c.routes !== undefined) need('routes.module', c.routes.module);
  const tls = c.cluster?.tls;
  if (tls !== undefined) {
    need('cluster.tls.keyFile', tls.keyFile);
    need('cluster.tls.certFile', tls.certFile);
    need('cluster.tls.caFile', tls.caFile);
  }
  return out;
}

/** Parses YAML and validates it; throws ConfigError with every problem at once. */
export function parseConfigText(text: string, file = '<inline>'): NodeConfig {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({
      path: '',
      message: `YAML line ${lineAt(text, e.pos[0])}: ${e.message.split('\n')[0]}`,
    })));
  }
  let raw: unknown;
  try {
    // The yaml library refuses an alias-expansion bomb ("Excessive alias count") here, as a plain error.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new ConfigError(file, [{ path: '', message: `YAML: ${(e as Error).message.split('\n')[0]}` }]);
  }
  const parsed = nodeConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.error.issues));
  return parsed.data;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Resolves a config-relative path (store files, routes module). */
export function resolveFromConfig(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const i of issues) {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: path === '' ? k : `${path}.${k}`, message: 'unknown key' });
      continue;
    }
    out.push({ path, message: i.message + unitHint(path) });
  }
  return out;
}

/** Durations and sizes carry their unit in the field name; say it in the message too. */
function unitHint(path: string): string {
  if (/Ms$/.test(path)) return ' (unit: milliseconds)';
  if (/Bytes$|BytesPer/.test(path)) return ' (unit: bytes)';
  return '';
}
