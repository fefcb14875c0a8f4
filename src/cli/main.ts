import { Command } from 'commander';
import { SipclusterError } from '../lib/errors.ts';
import { ConfigError, loadConfigFile } from '../app/config/load-config.ts';
import { nodeConfigJsonSchema } from '../app/config/schema.ts';
import { NodeRuntime } from '../app/node-runtime.ts';
import { exitOnSignals, survivePromiseBugs } from '../app/signals.ts';
import { VERSION } from '../app/version.ts';
import { runDemo } from '../app/demo.ts';
import { callMi, wordsToParams } from './mi-client.ts';
import { addSubscriberCommand } from './subscriber-command.ts';

/** The `sipcluster` command. Exit codes: 0 ok, 1 failure, 2 bad usage or invalid config. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('sipcluster')
    .description('a cluster of SIP proxies that talk OpenSIPS BIN to each other')
    .version(VERSION);

  program.command('start')
    .description('start a node')
    .requiredOption('-c, --config <file>', 'node config (YAML)')
    .action(async (o: { config: string }) => {
      const loaded = loadOrExit(o.config);
      const rt = await NodeRuntime.start(loaded);
      exitOnSignals(rt);
      survivePromiseBugs(rt);
    });

  const config = program.command('config').description('work with node config files');
  config.command('check')
    .description('validate a config without starting; lists every problem')
    .requiredOption('-c, --config <file>', 'node config (YAML)')
    .action((o: { config: string }) => {
      loadOrExit(o.config);
      process.stdout.write(`${o.config}: ok\n`);
    });
  config.command('schema')
    .description('print the JSON Schema of the node config (for editors)')
    .action(() => { process.stdout.write(`${JSON.stringify(nodeConfigJsonSchema(), null, 2)}\n`); });

  program.command('mi')
    .description('call a management (JSON-RPC) method; params as words or key=value')
    .argument('<method>', 'e.g. core:uptime, clusterer:list, statistics:get')
    .argument('[params...]', 'positional params, or key=value named params')
    .option('-c, --config <file>', "read the MI address from this node's config")
    .option('--url <url>', 'MI URL (default http://127.0.0.1:8888/mi, the default mi: of a config)')
    .action(async (method: string, words: string[], o: { config?: string; url?: string }) => {
      const url = o.url ?? (o.config !== undefined ? miUrlOf(o.config) : 'http://127.0.0.1:8888/mi');
      let reply;
      try {
        reply = await callMi(url, method, wordsToParams(words, method));
      } catch (e) {
        const cause = (e as Error & { cause?: { code?: string } }).cause?.code;
        throw new Error(`cannot reach the MI at ${url}: ${cause ?? (e as Error).message}${o.url === undefined && o.config === undefined ? ' (the default; give -c <node config> or --url)' : ''}`);
      }
      if (reply.error !== undefined) {
        process.stderr.write(`error ${reply.error.code}: ${reply.error.message}` +
          `${reply.error.data?.code !== undefined ? ` (${reply.error.data.code})` : ''}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${JSON.stringify(reply.result, null, 2)}\n`);
    });

  addSubscriberCommand(program);

  program.command('demo')
    .description('run the demo on loopback (what `npm start` runs)')
    .action(async () => { await runDemo(); });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    // With our stable code when there is one (docs/reference/errors.md), as the subscriber command prints it.
    const code = e instanceof SipclusterError && !(e instanceof ConfigError) ? `${e.code}: ` : '';
    process.stderr.write(`sipcluster: ${code}${(e as Error).message}\n`);
    process.exit(1);
  }
}

function loadOrExit(file: string) {
  try {
    return loadConfigFile(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

function miUrlOf(file: string): string {
  const { config } = loadOrExit(file);
  if (!config.mi.enabled) throw new Error(`${file}: the management interface is disabled (mi.enabled: false)`);
  const host = config.mi.host.includes(':') ? `[${config.mi.host}]` : config.mi.host;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${config.mi.port}/mi`;
}
