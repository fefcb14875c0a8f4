/**
 * DESIGN.md §2 as data: which folder may import which, and which folders are pure (no clock,
 * timers, randomness or I/O modules). Both the architecture test and ESLint read this table.
 */
export interface FolderRule {
  /** Path prefix under src/, e.g. 'sip/message' or 'cluster/node.ts'. Longest prefix wins. */
  readonly folder: string;
  /** Folders (prefixes under src/) this one may import besides itself. '*' allows everything. */
  readonly mayImport: readonly string[];
  /** Folders this one may import with `import type` only (ports it implements). */
  readonly mayImportTypes?: readonly string[];
  readonly pure?: boolean;
}

export const FOLDER_RULES: readonly FolderRule[] = [
  { folder: 'lib', mayImport: [] },
  { folder: 'sip/message', mayImport: ['lib'], pure: true },
  { folder: 'sip/transport', mayImport: ['lib', 'sip/message'] },
  { folder: 'sip/transaction', mayImport: ['lib', 'sip/message'], pure: true },
  { folder: 'sip/proxy', mayImport: ['lib', 'sip/message', 'sip/transaction'], pure: true },
  { folder: 'sip/registrar', mayImport: ['lib', 'sip/message'], pure: true },
  { folder: 'cluster/wire', mayImport: ['lib'], pure: true },
  { folder: 'cluster/membership', mayImport: ['lib', 'cluster/wire'], pure: true },
  { folder: 'cluster/topology', mayImport: ['lib', 'cluster/wire'], pure: true },
  { folder: 'cluster/capability', mayImport: ['lib', 'cluster/wire'], pure: true },
  { folder: 'cluster/messaging', mayImport: ['lib', 'cluster/wire'], pure: true },
  { folder: 'cluster/node.ts', mayImport: ['lib', 'cluster'], pure: true },
  { folder: 'cluster/node-mi.ts', mayImport: ['lib', 'cluster'], pure: true },
  { folder: 'cluster/node-types.ts', mayImport: ['lib', 'cluster'], pure: true },
  { folder: 'cluster/node-core.ts', mayImport: ['lib', 'cluster'], pure: true },
  { folder: 'cluster/node-ids-check.ts', mayImport: ['lib', 'cluster'], pure: true },
  { folder: 'cluster/node-receive.ts', mayImport: ['lib', 'cluster'], pure: true },
  { folder: 'cluster/net', mayImport: ['lib', 'cluster/wire', 'cluster/node.ts'] },
  {
    folder: 'features',
    mayImport: ['lib', 'store', 'cluster/capability', 'cluster/messaging', 'sip/registrar', 'sip/message'],
  },
  { folder: 'store', mayImport: ['lib'], mayImportTypes: ['sip/registrar', 'cluster'] },
  { folder: 'script', mayImport: ['lib', 'sip', 'cluster', 'features'] },
  { folder: 'mgmt', mayImport: ['lib'] },
  { folder: 'app', mayImport: ['*'] },
  { folder: 'cli', mayImport: ['app', 'store', 'lib'] },
];

/** Globals a pure folder must receive through Clock/Timers/Random instead (DESIGN.md §2). */
export const PURE_BANNED_CALLS = ['Date.now', 'performance.now', 'Math.random', 'setTimeout', 'setInterval', 'setImmediate'];
export const PURE_BANNED_MODULES = ['node:net', 'node:dgram', 'node:fs', 'node:fs/promises', 'net', 'dgram', 'fs', 'fs/promises', 'node:tls', 'node:http'];

/** The rule of a file given its path relative to src/ (e.g. 'sip/message/parser.ts'). */
export function ruleFor(relPath: string): FolderRule | undefined {
  let best: FolderRule | undefined;
  for (const r of FOLDER_RULES) {
    if ((relPath === r.folder || relPath.startsWith(`${r.folder}/`)) && (best === undefined || r.folder.length > best.folder.length)) {
      best = r;
    }
  }
  return best;
}

export function allows(prefixes: readonly string[], target: string): boolean {
  return prefixes.some((p) => p === '*' || target === p || target.startsWith(`${p}/`));
}
