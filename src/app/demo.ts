import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfigFile } from './config/load-config.ts';
import { parseBinUrl } from '../cluster/net/bin-url.ts';

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
  // A second demo (or anything else) on these ports: say so before starting, instead of nodes that
  // fail one by one while the MIs of the other demo answer that all is Up.
  const busy = await busyPorts(configs);
  if (busy.length > 0) {
    process.stderr.write(`sipcluster demo: ${busy.join(', ')} already in use (is another demo running?)\n`);
    process.exit(1);
  }
  const children: ChildProcess[] = files.map((f, i) => {
    const c = spawn(process.execPath, [cli, 'start', '-c', f], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (d: Buffer) => {
      // Warnings and errors of the JSON log, and any plain line (a start-up failure is printed plain).
      for (const line of d.toString().split('\n')) {
        if (line.trim() !== '' && (!line.startsWith('{') || /"level":(4|5|6)0/.test(line))) process.stderr.write(`[node ${i + 1}] ${line}\n`);
      }
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

/** The demo's ports that something already holds, as `node N mi.port 127.0.0.1:8891`. */
async function busyPorts(configs: ReturnType<typeof loadConfigFile>['config'][]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, c] of configs.entries()) {
    const probes: Array<[string, 'tcp' | 'udp', string, number]> = [[`mi.port`, 'tcp', c.mi.host, c.mi.port]];
    const bin = c.cluster === undefined ? undefined : parseBinUrl(c.cluster.listen);
    if (bin !== undefined) probes.push(['cluster.listen', 'tcp', bin.host, bin.port]);
    for (const l of c.sip.listen) probes.push([`sip.listen ${l.proto}`, l.proto === 'udp' ? 'udp' : 'tcp', l.host, l.port]);
    for (const [what, proto, host, port] of probes) if (await inUse(proto, host, port)) out.push(`node ${i + 1} ${what} ${host}:${port}`);
  }
  return out;
}

function inUse(proto: 'tcp' | 'udp', host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => { s.close(); resolve(true); });
      s.bind(port, host, () => s.close(() => resolve(false)));
      return;
    }
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, host, () => s.close(() => resolve(false)));
  });
}
