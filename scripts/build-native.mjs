// Builds native/ — the node's UDP engine (native/sip-udp.c) — at `npm ci` / `npm install`, with the
// node-gyp npm runs install scripts with (the one better-sqlite3 is built by). It never fails the
// install: without a compiler the node uses node:dgram, and `sipcluster` says so at start.
//   node scripts/build-native.mjs        (again by hand after changing native/)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  // Run by hand: npm's own copy, next to the npm that runs this Node.
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  try {
    return createRequire(join(npmDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

const gyp = nodeGyp();
if (gyp === undefined) {
  console.warn('sipcluster: node-gyp not found; the native UDP engine is not built (the node uses node:dgram)');
  process.exit(0);
}
const args = [gyp, 'rebuild'];
// A machine that cannot download Node's headers has them installed (Debian: /usr/include/node).
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  console.warn(`sipcluster: the native UDP engine did not build (the node uses node:dgram):\n${(r.stderr || r.stdout || String(r.error)).slice(-2000)}`);
  process.exit(0);
}
console.log('sipcluster: native UDP engine built (native/build/Release/sip_udp.node)');
