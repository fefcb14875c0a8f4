import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfigFile } from './config/load-config.ts';

/**
 * `npm start`: the talking cluster of examples/where-is — three node processes on loopback (2 and
 * 3 know only the seed, node 1), embedded SQLite, nothing to install. Prints what runs where and
 * how to try it; Ctrl-C stops the three nodes cleanly and exits 0.
 */
export async function runDemo(): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = join(root, 'examples', 'where-is');
  const cli = join(root, 'bin', 'sipcluster.mjs');
  const files = [1, 2, 3].map((i) => join(dir, `node${i}.yaml`));
  const configs = files.map((f) => loadConfigFile(f).config);
  const children: ChildProcess[] = files.map((f, i) => {
    const c = spawn(process.execPath, [cli, 'start', '-c', f], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (/"level":(4|5|6)0/.test(line)) process.stderr.write(`[node ${i + 1}] ${line}\n`);
    });
    return c;
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the three nodes…\n');
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const exits = children.map((c) => new Promise<number | null>((r) => c.once('exit', (code) => r(code))));
  void Promise.all(exits).then((codes) => {
    if (!stopping) process.stderr.write(`a node exited unexpectedly (${codes.join(', ')})\n`);
    process.exit(stopping && codes.every((c) => c === 0) ? 0 : 1);
  });

  const mis = configs.map((c) => `http://${c.mi.host}:${c.mi.port}/mi`);
  const allUp = await waitAllUp(mis, 30_000, () => stopping);
  const sip = configs.map((c) => c.sip.listen.find((l) => l.proto === 'udp'));
  const rows = configs.map((c, i) => `  node ${i + 1}   sip ${sip[i]?.host}:${sip[i]?.port}   ${c.cluster?.listen}${c.cluster?.flags.includes('seed') ? ' (seed)' : ''}   MI ${mis[i]}`);
  process.stdout.write([
    '',
    `sipcluster demo — the talking cluster of examples/where-is (${allUp ? 'all three nodes see each other Up' : 'the cluster is still forming'})`,
    ...rows,
    '',
    'Try it (SIPp: apt-get install sip-tester), from the repository folder:',
    `  sipp -sf test/e2e/scenarios/register.xml -inf examples/where-is/alice.csv -m 1 -p 6000 ${sip[0]?.host}:${sip[0]?.port}     # alice registers on node 1`,
    `  sipp -sf test/e2e/scenarios/uas-call.xml -p 6000 -m 1 ${sip[0]?.host}:${sip[0]?.port} &                                     # alice answers`,
    `  sipp -sf test/e2e/scenarios/uac-call.xml -s alice -m 1 ${sip[2]?.host}:${sip[2]?.port}                                     # call alice via node 3`,
    'Look inside:',
    `  npx sipcluster mi --url ${mis[0]} clusterer:list`,
    `  npx sipcluster mi --url ${mis[2]} statistics:get clusterer:`,
    'Ctrl-C stops all three.',
    '',
  ].join('\n'));
}

async function waitAllUp(mis: string[], timeoutMs: number, stopped: () => boolean): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !stopped()) {
    try {
      let up = 0;
      for (const url of mis) {
        const res = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'clusterer:list', id: 1 }) });
        const body = (await res.json()) as { result?: { Clusters?: Array<{ Nodes?: Array<{ link_state?: string }> }> } };
        const nodes = body.result?.Clusters?.[0]?.Nodes ?? [];
        if (nodes.length === mis.length - 1 && nodes.every((n) => n.link_state === 'Up')) up++;
      }
      if (up === mis.length) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
