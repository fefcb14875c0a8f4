/**
 * bench:options — server CPU per OPTIONS request under a fixed SIPp load, sipcluster's stateless
 * node side by side with the bare Node UDP floor (bench/support/floor-responder.ts) and that floor
 * with dgram's per-send lookup tick skipped, then the highest rate each answers with ≥ 99.9 %
 * success. Prints a table; not a test.
 * The fixed load runs in alternating rounds (sipcluster, floor, literal floor, sipcluster, …): this VM's
 * CPU time per request drifts by tens of percent from one minute to the next, so one pair can
 * mislead; many short rounds (9 × 3 s by default) and the median ratio with its interquartile range
 * resist that better than a few long ones.
 *   npm run bench:options [-- --rate 10000 --seconds 3 --rounds 9]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.ts';
import { runSipp } from '../test/support/sipp.ts';
import { cpuMs, ratioSummary, startTs } from './support/proc.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RATE = arg('rate', 10_000);
const SECONDS = arg('seconds', 3);
const ROUNDS = Math.max(1, arg('rounds', 9));
const MAX_RATES = [10_000, 15_000, 20_000, 25_000, 30_000, 40_000];
process.env.SIPCLUSTER_SIPP ??= '/usr/bin/sipp';
const scenario = fileURLToPath(new URL('../test/e2e/scenarios/options.xml', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

interface Server { name: string; child: ChildProcess; port: number }

async function waitReady(child: ChildProcess, pattern: RegExp): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const on = (d: Buffer) => { out += d.toString(); if (pattern.test(out)) resolve(); };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (c) => reject(new Error(`server exited (${c}): ${out}`)));
    setTimeout(() => reject(new Error(`server not ready: ${out}`)), 20_000).unref();
  });
}

async function startSipcluster(): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-options-'));
  const cfg = join(dir, 'node.yaml');
  writeFileSync(cfg, `node: { name: bench, logLevel: info }\nmi: { enabled: false }\nsip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${port} } ] }\n`);
  const child = spawn(process.execPath, [join(root, 'bin/sipcluster.mjs'), 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitReady(child, /SIP listening/);
  return { name: 'sipcluster', child, port };
}

async function startFloor(literal: boolean): Promise<Server> {
  const port = await freePort();
  const child = startTs(join(root, 'bench/support/floor-responder.ts'), literal ? [String(port), 'literal'] : [String(port)]);
  await waitReady(child, /floor responder/);
  return { name: literal ? FLOOR_LITERAL : FLOOR, child, port };
}

const FLOOR = 'bare Node UDP floor';
/** The floor with dgram's per-send lookup tick answered in place (informational: not the issue's floor). */
const FLOOR_LITERAL = 'floor, literal lookup';

async function load(s: Server, rate: number, seconds: number) {
  const calls = rate * seconds;
  const pid = s.child.pid as number;
  const before = cpuMs(pid);
  const r = await runSipp({ scenario, target: `127.0.0.1:${s.port}`, transport: 'u1', calls, rate, timeoutMs: (seconds + 30) * 1000 });
  const used = cpuMs(pid) - before;
  return { ok: r.successful, failed: r.failed, calls, cpuUsPerReq: r.successful > 0 ? (used * 1000) / r.successful : NaN };
}

async function main(): Promise<void> {
  const servers = [await startSipcluster(), await startFloor(false), await startFloor(true)];
  try {
    for (const s of servers) await load(s, 1000, 1); // warm up the JIT
    // Alternating rounds at the fixed rate; each round's ratio is ours ÷ the floor's just after it.
    const rounds: Array<Record<string, Awaited<ReturnType<typeof load>>>> = [];
    for (let k = 0; k < ROUNDS; k++) {
      const round: Record<string, Awaited<ReturnType<typeof load>>> = {};
      for (const s of servers) round[s.name] = await load(s, RATE, SECONDS);
      rounds.push(round);
    }
    const maxRate: Record<string, number> = {};
    for (const s of servers) {
      maxRate[s.name] = 0;
      for (const rate of MAX_RATES) {
        const r = await load(s, rate, 3);
        if (r.ok / r.calls < 0.999) break;
        maxRate[s.name] = rate;
      }
    }
    console.log(`\nbench:options — SIPp OPTIONS over UDP, ${RATE}/s for ${SECONDS} s, ${ROUNDS} alternating rounds, node ${process.version}`);
    console.log('| round | sipcluster answered / failed | sipcluster CPU µs/request | floor answered / failed | floor CPU µs/request | ratio | floor with literal lookup µs/request | ratio to it |');
    console.log('|--:|--:|--:|--:|--:|--:|--:|--:|');
    const ratios: number[] = [];
    const literalRatios: number[] = [];
    rounds.forEach((r, k) => {
      const ours = r['sipcluster'];
      const floor = r[FLOOR];
      const lit = r[FLOOR_LITERAL];
      if (ours === undefined || floor === undefined || lit === undefined) return;
      const ratio = ours.cpuUsPerReq / floor.cpuUsPerReq;
      ratios.push(ratio);
      literalRatios.push(ours.cpuUsPerReq / lit.cpuUsPerReq);
      console.log(`| ${k + 1} | ${ours.ok} / ${ours.failed} | ${ours.cpuUsPerReq.toFixed(1)} | ${floor.ok} / ${floor.failed} | ${floor.cpuUsPerReq.toFixed(1)} | ${ratio.toFixed(2)}× | ${lit.cpuUsPerReq.toFixed(1)} | ${(ours.cpuUsPerReq / lit.cpuUsPerReq).toFixed(2)}× |`);
    });
    console.log(`\nmax rate with ≥ 99.9 % answered (tried up to 40k/s): ${servers.map((s) => `${s.name} ${maxRate[s.name]}/s`).join(', ')}`);
    if (ratios.length > 0) console.log(`ratio sipcluster ÷ floor (CPU per request), median: ${ratioSummary(ratios)}; target ≤ 1.1×`);
    if (literalRatios.length > 0) console.log(`ratio sipcluster ÷ floor with literal lookup, median: ${ratioSummary(literalRatios)} (informational: that floor also skips dgram's lookup tick per send, as sipcluster does)`);
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
  }
}

await main();
