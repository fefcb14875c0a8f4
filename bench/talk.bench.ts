/**
 * The talking cluster on 3 real node processes (examples/where-is configs on free ports, routes
 * bench/configs/talk-routes.ts = where-is + OPTIONS commands that drive ctx.cluster from inside
 * node 1; one SIPp OPTIONS = one cluster request):
 *  a. cluster requests/s node 1 issues with replies collected: SIPp OPTIONS sip:bcast@node1 at
 *     rising rates, each an `await ctx.cluster.request(1, 'PING', {collect: 'all'})` (2 replies);
 *     SIPp's OPTIONS → 200 times (rtd);
 *  b. script-level request → reply round trip: OPTIONS sip:rtt@node1 at a moderate rate, each an
 *     `await ctx.cluster.request(1, 'PING', {nodeId: 2, collect: 'first'})` timed with
 *     performance.now() inside the script; percentiles come back in node 1's `talk-rtt` log line;
 *  c. call setup through the cluster: SIPp uac-call.xml INVITE → 200 times (rtd) for alice
 *     registered on node 1, called via node 1 (local), via node 3 asking WHEREIS each call, and via
 *     node 3 with where-is's REGONLINE cache (the extra SIP hop without the question).
 *  floor: the same round trip between two bare Node processes over one TCP connection
 *     (bench/support/tcp-echo.ts), at the same rate: what this machine's loopback and scheduler
 *     give before any sipcluster code runs.
 * Run: npx tsx bench/talk.bench.ts   (package.json: "bench:talk")
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.ts';
import { mi, startNode, tempDir, waitFor, type NodeProcess } from '../test/support/node-process.ts';
import { runSipp, startSippServer, type SippResult } from '../test/support/sipp.ts';
import { connect } from 'node:net';
import { percentile, startTs } from './support/proc.ts';

process.env.SIPCLUSTER_SIPP ??= '/usr/bin/sipp';
const example = fileURLToPath(new URL('../examples/where-is/', import.meta.url));
const routes = fileURLToPath(new URL('./configs/talk-routes.ts', import.meta.url));
const optionsXml = fileURLToPath(new URL('./configs/options-rtd.xml', import.meta.url));
const scenarios = fileURLToPath(new URL('../test/e2e/scenarios/', import.meta.url));
const RATES = [500, 1000, 2000, 4000, 8000];
const LOAD_S = 4;
const RTT_RATE = 200;
const RTT_CALLS = 2000;
const CALL_RATE = 50;
const CALLS = 500;

interface Ports { sip: number; bin: number; mi: number }
interface Run { ok: number; failed: number; perS: number; rtdMs: number[] }

async function startCluster(dir: string): Promise<{ nodes: NodeProcess[]; ports: Ports[] }> {
  const ports: Ports[] = [];
  for (let i = 0; i < 3; i++) ports.push({ sip: await freePort(), bin: await freePort(), mi: await freePort() });
  const nodes: NodeProcess[] = [];
  for (let i = 1; i <= 3; i++) {
    let text = readFileSync(join(example, `node${i}.yaml`), 'utf8');
    for (let j = 1; j <= 3; j++) {
      const p = ports[j - 1] as Ports;
      text = text.replaceAll(`508${j}`, String(p.sip)).replaceAll(`558${j}`, String(p.bin)).replaceAll(`889${j}`, String(p.mi));
    }
    text = text.replace('routes: { module: routes.ts }', `routes: { module: ${JSON.stringify(routes)} }`).replace(/logLevel: info/, 'logLevel: warn');
    writeFileSync(join(dir, `node${i}.yaml`), text);
    nodes.push(startNode(join(dir, `node${i}.yaml`)));
  }
  await waitFor('every node to see the other two Up', async () => {
    for (const p of ports) {
      const r = (await mi(`http://127.0.0.1:${p.mi}/mi`, 'clusterer:list')).result as { Clusters: Array<{ Nodes: Array<{ link_state: string }> }> } | undefined;
      const states = r?.Clusters[0]?.Nodes.map((n) => n.link_state) ?? [];
      if (states.length !== 2 || states.some((s) => s !== 'Up')) return undefined;
    }
    return true;
  }, 30_000, 200);
  return { nodes, ports };
}

/** SIPp's per-call response times (-trace_rtt -rtt_freq 1: `date_ms;response_time_ms;rtd_no` rows). */
function rtdOf(r: SippResult): number[] {
  const out: number[] = [];
  for (const f of readdirSync(r.dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(r.dir, f), 'utf8').split('\n')) {
      const v = Number(line.split(';')[1]);
      if (line.includes(';') && Number.isFinite(v)) out.push(v);
    }
  }
  return out.sort((a, b) => a - b);
}

async function sipp(scenario: string, target: string, service: string, rate: number, calls: number): Promise<Run> {
  const t0 = performance.now();
  const r = await runSipp({ scenario, target, service, rate, calls, mediaPort: await freePort(), timeoutMs: (calls / rate + 60) * 1000, extraArgs: ['-trace_rtt', '-rtt_freq', '1'] });
  const s = (performance.now() - t0) / 1000;
  if (r.successful === 0) console.error(`SIPp ${service}@${target}: nothing succeeded\n${r.errors.slice(0, 1500)}\n${r.output.slice(-1500)}`);
  return { ok: r.successful, failed: r.failed, perS: r.successful / s, rtdMs: rtdOf(r) };
}

const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : '-');
/** p50 / p99, and the mean: SIPp's clock ticks in steps of a few ms, and a mean over many calls at random phases still resolves below one step. */
const pcts = (s: readonly number[]): string => `${f(percentile(s, 50), 0)} / ${f(percentile(s, 99), 0)} (mean ${f(s.reduce((a, b) => a + b, 0) / s.length)})`;

/** The last `talk-rtt` line node 1 logged (pino JSON), after asking for it. */
async function scriptRtt(node: NodeProcess, target: string): Promise<Record<string, number>> {
  const before = node.output().length;
  await sipp(optionsXml, target, 'report', 1, 1);
  return waitFor('the talk-rtt log line', () => {
    const line = node.output().slice(before).split('\n').find((l) => l.includes('"talk-rtt"'));
    return line === undefined ? undefined : (JSON.parse(line) as Record<string, number>);
  }, 5000, 50);
}

/** Round trips of 64 bytes to a bare Node TCP echo process, `count` of them at `rate`/s (ms, sorted). */
async function tcpFloor(rate: number, count: number): Promise<number[]> {
  const echo = startTs(fileURLToPath(new URL('./support/tcp-echo.ts', import.meta.url)), []);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      echo.stdout?.on('data', (d: Buffer) => { out += d.toString(); const m = /tcp echo on (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
      echo.once('exit', (c) => reject(new Error(`tcp echo exited (${c})`)));
    });
    const sock = connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    const rtts: number[] = [];
    let t0 = 0;
    let done: (() => void) | undefined;
    sock.on('data', () => { rtts.push(performance.now() - t0); done?.(); });
    const payload = Buffer.alloc(64, 0x61);
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 1000 / rate));
      const answered = new Promise<void>((r) => { done = r; });
      t0 = performance.now();
      sock.write(payload);
      await Promise.race([answered, new Promise((r) => setTimeout(r, 1000))]);
    }
    sock.destroy();
    return rtts.sort((a, b) => a - b);
  } finally {
    echo.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const load0 = loadavg()[0] ?? NaN;
  const floor = await tcpFloor(RTT_RATE, RTT_CALLS);
  const dir = tempDir('sipcluster-bench-talk-');
  const { nodes, ports } = await startCluster(dir);
  const sip = (i: number): string => `127.0.0.1:${(ports[i] as Ports).sip}`;
  const rows: string[][] = [];
  const row = (r: string[]): void => { rows.push(r); console.error(r.join('  ')); };
  try {
    // b. moderate rate, after a warm-up whose samples are dropped
    await sipp(optionsXml, sip(0), 'rtt', RTT_RATE, 500);
    await scriptRtt(nodes[0] as NodeProcess, sip(0));
    const rttRun = await sipp(optionsXml, sip(0), 'rtt', RTT_RATE, RTT_CALLS);
    const rtt = await scriptRtt(nodes[0] as NodeProcess, sip(0));
    row([`b. script request→reply (unicast, collect first) @ ${RTT_RATE}/s`, `${rtt.n} samples`, `${f(rtt.p50Ms ?? NaN, 3)} / ${f(rtt.p99Ms ?? NaN, 3)} (p90 ${f(rtt.p90Ms ?? NaN, 3)}, max ${f(rtt.maxMs ?? NaN, 1)}, ${f(rtt.under1MsPct ?? NaN, 1)} % < 1 ms)`, `SIPp OPTIONS rtd ${pcts(rttRun.rtdMs)}`]);
    const under1 = floor.length === 0 ? NaN : (100 * floor.filter((x) => x < 1).length) / floor.length;
    row([`floor: bare Node TCP echo round trip @ ${RTT_RATE}/s`, `${floor.length} samples`, `${f(percentile(floor, 50), 3)} / ${f(percentile(floor, 99), 3)} (p90 ${f(percentile(floor, 90), 3)}, max ${f(floor[floor.length - 1] ?? NaN, 1)}, ${f(under1, 1)} % < 1 ms)`, '-']);

    // a. rising rates until SIPp cannot keep up or calls fail
    for (const rate of RATES) {
      const r = await sipp(optionsXml, sip(0), 'bcast', rate, rate * LOAD_S);
      const sustained = r.ok >= rate * LOAD_S * 0.999 && r.perS >= rate * 0.9;
      row([`a. broadcast request, 2 replies @ ${rate}/s`, `${f(r.perS, 0)} req/s (${r.failed} failed)${sustained ? '' : ' NOT sustained'}`, '-', `SIPp OPTIONS rtd ${pcts(r.rtdMs)}`]);
      if (!sustained) break;
    }

    // c. alice on node 1 (a SIPp UAS), called through node 1, node 3 + WHEREIS, node 3 + cache
    const uasPort = await freePort();
    const csv = join(dir, 'alice.csv');
    writeFileSync(csv, 'SEQUENTIAL\nalice;none;\n');
    const register = async () => runSipp({ scenario: join(scenarios, 'register.xml'), target: sip(0), calls: 1, rate: 1, localPort: uasPort, injectionFile: csv, mediaPort: await freePort() });
    const callee = async () => {
      if ((await register()).successful !== 1) throw new Error('alice did not register');
      return startSippServer({ scenario: join(scenarios, 'uas-call.xml'), target: sip(0), calls: 100_000_000, localPort: uasPort, mediaPort: await freePort(), timeoutMs: 3_600_000, extraArgs: ['-l', '200000'] });
    };
    const call = async (label: string, at: number): Promise<void> => {
      const r = await sipp(join(scenarios, 'uac-call.xml'), sip(at), 'alice', CALL_RATE, CALLS);
      row([label, `${r.ok}/${CALLS} calls ok`, '-', `SIPp INVITE→200 rtd ${pcts(r.rtdMs)}`]);
    };
    let uas = await callee();
    try {
      await call(`c. call alice via node 1 (local) @ ${CALL_RATE}/s`, 0);
      await call(`c. call alice via node 3, WHEREIS each call @ ${CALL_RATE}/s`, 2);
      // The REGONLINE of a new REGISTER fills node 3's cache; the UAS holds alice's port, so it steps aside.
      await uas.stop();
      await sipp(optionsXml, sip(2), 'cache-on', 1, 1);
      uas = await callee();
      await new Promise((r) => setTimeout(r, 300));
      await call(`c. call alice via node 3, REGONLINE cache @ ${CALL_RATE}/s`, 2);
    } finally {
      await uas.stop();
    }
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.exited));
  }
  const head = ['measurement', 'count / rate', 'script p50 / p99 ms', 'SIPp p50 / p99 ms (mean)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\nbench:talk: 3 node processes + SIPp on loopback, node ${process.version}, ${availableParallelism()} CPUs, load average ${f(load0)} at start and ${f(loadavg()[0] ?? NaN)} at the end (${new Date().toISOString()})`);
  console.log('SIPp response times are whole milliseconds in steps of its clock tick (often 4 ms); compare the means.');
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

await main();
