import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports.ts';
import { runSipp, startSippServer, type SippServer } from '../../test/support/sipp.ts';
import { cpuMs, reapedChildrenCpuMs, serverCpuSplitMs } from './proc.ts';
import type { SipServer } from './sip-servers.ts';

const scenario = (name: string) => fileURLToPath(new URL(`../../test/e2e/scenarios/${name}`, import.meta.url));

export type Phase = 'register' | 'register-auth' | 'call';
/** SIP requests the server handles per SIPp call: REGISTER; 401 round + REGISTER; INVITE, ACK, BYE. */
export const REQUESTS_PER_CALL: Record<Phase, number> = { 'register': 1, 'register-auth': 2, 'call': 3 };

export interface LoadResult {
  phase: Phase;
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  /** Calls completed per wall-clock second (SIPp may fall behind the target rate). */
  achievedRate: number;
  serverUsPerCall: number;
  /** The part of serverUsPerCall spent in the kernel (stime): sockets, wake-ups. */
  serverSysUsPerCall: number;
  sippUsPerCall: number;
  errors: string;
}

/** Success ≥ 99.9 % and SIPp kept within 10 % of the rate asked for (the wall clock includes its start-up). */
export function sustained(r: LoadResult): boolean {
  return r.ok / r.calls >= 0.999 && r.achievedRate >= r.rate * 0.9;
}

/** A SIPp UAS registered at the server as `callee`, for the call phase. */
export interface Callee { uas: SippServer; port: number }

export async function startCallee(server: SipServer, dir: string): Promise<Callee> {
  const port = await freePort();
  const csv = join(dir, 'callee.csv');
  writeFileSync(csv, 'SEQUENTIAL\ncallee\n');
  // The binding first, from the port the UAS will listen on: Contact = sip:callee@127.0.0.1:<port>.
  const reg = await runSipp({ scenario: scenario('register.xml'), target: `127.0.0.1:${server.port}`, calls: 1, rate: 1, localPort: port, injectionFile: csv, timeoutMs: 10_000 });
  if (reg.successful !== 1) throw new Error(`callee REGISTER failed at ${server.name}: ${reg.errors}${reg.output.slice(-1500)}`);
  const uas = await startSippServer({ scenario: scenario('uas-call.xml'), target: `127.0.0.1:${server.port}`, calls: 100_000_000, localPort: port, timeoutMs: 3_600_000,
    // -l: SIPp caps simultaneous calls at 3 × rate × call length, and a UAS has no real rate: without
    // this it stops taking INVITEs once ~300 calls sit in their 2 s timewait.
    extraArgs: ['-l', '200000'] });
  return { uas, port };
}

export interface LoadOptions { rate: number; seconds: number; usersCsv: string; callee?: Callee }

/** Runs one fixed-rate SIPp load and charges the server's (and SIPp's) CPU to the successful calls. */
export async function runLoad(server: SipServer, phase: Phase, o: LoadOptions): Promise<LoadResult> {
  const calls = Math.round(o.rate * o.seconds);
  const file = phase === 'call' ? 'uac-call.xml' : phase === 'register' ? 'register.xml' : 'register-auth.xml';
  if (phase === 'call' && o.callee === undefined) throw new Error('call phase needs a registered callee');
  const uasPid = o.callee?.uas.pid;
  let server0 = serverCpuSplitMs(server.pid);
  let sipp0 = reapedChildrenCpuMs() + (uasPid === undefined ? 0 : cpuMs(uasPid));
  let t0 = performance.now();
  const run = async () => runSipp({
    scenario: scenario(file), target: `127.0.0.1:${server.port}`, calls, rate: o.rate,
    timeoutMs: (o.seconds + 60) * 1000,
    ...(phase === 'call' ? { service: 'callee' } : { injectionFile: o.usersCsv }),
  });
  let r = await run();
  // SIPp that counted no call at all did not run (the harness already retries a port taken before
  // SIPp bound it; this covers the rest):
  // once more, with the CPU used meanwhile left out; a second miss is reported, not charged.
  if (r.successful === 0 && r.failed === 0) {
    console.log(`    SIPp counted no call (exit ${r.code}): ${r.output.slice(-300).replaceAll('\n', ' ')}; running the load again`);
    server0 = serverCpuSplitMs(server.pid);
    sipp0 = reapedChildrenCpuMs() + (uasPid === undefined ? 0 : cpuMs(uasPid));
    t0 = performance.now();
    r = await run();
  }
  const wallS = (performance.now() - t0) / 1000;
  // Let the last transactions (BYE 200, retransmissions) finish before the server's CPU is read.
  if (phase === 'call') await new Promise((res) => setTimeout(res, 500));
  const server1 = serverCpuSplitMs(server.pid);
  const serverSysMs = server1.sysMs - server0.sysMs;
  const serverMs = server1.userMs - server0.userMs + serverSysMs;
  const sippMs = reapedChildrenCpuMs() + (uasPid === undefined ? 0 : cpuMs(uasPid)) - sipp0;
  const per = (ms: number) => (r.successful > 0 ? (ms * 1000) / r.successful : NaN);
  return {
    phase, rate: o.rate, calls, ok: r.successful, failed: r.failed, achievedRate: r.successful / wallS,
    serverUsPerCall: per(serverMs), serverSysUsPerCall: per(serverSysMs), sippUsPerCall: per(sippMs),
    errors: r.successful === 0 && r.failed === 0 ? `SIPp counted no call (exit ${r.code}): ${r.output.slice(-1000)}` : r.errors,
  };
}

/**
 * The highest rate of `rates` the server sustains (sustained()), trying them in order and stopping
 * at the first failure. `first` is a result already measured at rates[0].
 */
export async function maxRate(server: SipServer, phase: Phase, rates: readonly number[], o: Omit<LoadOptions, 'rate'>, first?: LoadResult): Promise<{ best: number; tried: LoadResult[] }> {
  let best = 0;
  const tried: LoadResult[] = [];
  for (const [i, rate] of rates.entries()) {
    const r = i === 0 && first !== undefined && first.rate === rate ? first : await runLoad(server, phase, { ...o, rate });
    tried.push(r);
    if (!sustained(r)) break;
    best = rate;
  }
  return { best, tried };
}
