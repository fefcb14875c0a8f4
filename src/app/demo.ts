import { fileURLToPath } from 'node:url';
import { loadConfigFile } from './config/load-config.ts';
import { NodeRuntime } from './node-runtime.ts';
import { exitOnSignals } from './signals.ts';

/**
 * `npm start`: until the cluster lands, one node from examples/single.yaml on loopback, and how
 * to talk to it.
 */
export async function runDemo(): Promise<void> {
  const file = fileURLToPath(new URL('../../examples/single.yaml', import.meta.url));
  const loaded = loadConfigFile(file);
  const rt = await NodeRuntime.start(loaded);
  exitOnSignals(rt);
  const listen = loaded.config.sip.listen.map((l) => `${l.proto}:${l.host}:${l.port}`).join(', ');
  process.stdout.write([
    'sipcluster demo: one node is running (Ctrl-C stops it).',
    `  config:  ${file}`,
    `  SIP:     ${listen}`,
    `  MI:      ${rt.miUrl() ?? 'disabled'}`,
    'Try:',
    `  npx sipcluster mi --url ${rt.miUrl() ?? ''} core:uptime`,
    `  npx sipcluster mi --url ${rt.miUrl() ?? ''} statistics:get all`,
    '',
  ].join('\n'));
}
