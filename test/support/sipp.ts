import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { freeMediaPort } from './ports.ts';

/** Path of the SIPp binary from SIPCLUSTER_SIPP (set by .ci/run), or undefined. */
export function sippPath(): string | undefined {
  const p = process.env.SIPCLUSTER_SIPP;
  return p !== undefined && p !== '' && existsSync(p) ? p : undefined;
}

export function skipWithoutSipp(): false | string {
  return sippPath() === undefined ? 'SIPCLUSTER_SIPP is not set (or not a file): SIPp test skipped (.ci/run sets it)' : false;
}

export interface SippRun {
  scenario: string;
  /** host:port of the system under test. */
  target: string;
  transport?: 'u1' | 'un' | 't1' | 'tn';
  /** Calls per second and how many in all. */
  rate?: number;
  calls: number;
  /** `-p`: local SIP port (0 = SIPp's choice). A UAS needs the port its binding names. */
  localPort?: number;
  service?: string;
  /** `-inf`: injection CSV (first line SEQUENTIAL/RANDOM/USER; fields read as [field0]…). */
  injectionFile?: string;
  /** `-rsa host:port`: send there instead of `target` (e.g. to one node while the R-URI names another). */
  remoteSendingAddress?: string;
  /** `-aa`: answer INFO/NOTIFY/OPTIONS/UPDATE with 200 automatically. */
  autoAnswer?: boolean;
  /**
   * `-mp`: local RTP echo port. SIPp binds it and the port two above even without media; two SIPp at
   * once need different ones. Unset: a block from freeMediaPort().
   */
  mediaPort?: number;
  /** `-d`: length of `<pause/>` without milliseconds (call hold time), ms. */
  pauseMs?: number;
  /** `-i`: local address SIPp binds and writes into its messages (default 127.0.0.1); another loopback address gives it a source of its own. */
  localIp?: string;
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  output: string;
  statsCsv: string;
  /** Unexpected messages and aborted calls (`-trace_err`), '' when none. Attach it to failures. */
  errors: string;
  /** The run's temp directory (stats, error log). */
  dir: string;
}

/** The command line shared by client and server runs; `-trace_err` writes into `dir`. */
function sippArgs(run: SippRun, dir: string, stf: string): string[] {
  const opt = (flag: string, v: string | number | undefined) => (v === undefined ? [] : [flag, String(v)]);
  const args = [
    run.target, '-sf', resolvePath(run.scenario), '-t', run.transport ?? 'u1', '-m', String(run.calls),
    '-r', String(run.rate ?? 100), '-rp', '1000', '-i', run.localIp ?? '127.0.0.1', '-p', String(run.localPort ?? 0),
    '-s', run.service ?? 'sipcluster', '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-buff_size', '4194304', '-timeout', `${Math.ceil((run.timeoutMs ?? 60_000) / 1000)}s`, '-timeout_error',
    ...opt('-inf', run.injectionFile === undefined ? undefined : resolvePath(run.injectionFile)),
    ...opt('-rsa', run.remoteSendingAddress), ...opt('-mp', run.mediaPort), ...opt('-d', run.pauseMs),
    ...(run.autoAnswer === true ? ['-aa'] : []),
    ...(run.extraArgs ?? []),
  ];
  return args;
}

function readErrors(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('errors.log'));
  return files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n').slice(0, 20_000);
}

function spawnSipp(run: SippRun & { mediaPort: number }): { child: ChildProcess; dir: string; stf: string; output: () => string } {
  const bin = sippPath();
  if (bin === undefined) throw new Error('SIPCLUSTER_SIPP is not set');
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stf = join(dir, 'stats.csv');
  const child = spawn(bin, sippArgs(run, dir, stf), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => { output += d.toString(); if (output.length > 200_000) output = output.slice(-100_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, dir, stf, output: () => output };
}

/** Attempts at a run whose SIPp could not bind a port at start (another process took it in between). */
const BIND_ATTEMPTS = 4;

/**
 * SIPp exited before any call because a port it binds at start was taken: its media ports come from
 * our allocator, but processes of other test files bind ports in the same range, so a block checked
 * free can be taken before SIPp binds it (CI once failed on "Unable to bind video RTP socket").
 */
export function failedToBind(r: Pick<SippResult, 'successful' | 'failed' | 'errors' | 'output'>): boolean {
  return r.successful === 0 && r.failed === 0 && /Unable to bind|Address already in use|errno = 98\b/.test(r.errors + r.output);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Attempt `attempt` of `run`: SIPp spawned on the run's media port (first attempt) or a fresh block, and its result once it exits. */
async function launch(run: SippRun, attempt: number): Promise<{ s: ReturnType<typeof spawnSipp>; exited: Promise<SippResult> }> {
  const mediaPort = attempt === 1 && run.mediaPort !== undefined ? run.mediaPort : await freeMediaPort();
  const s = spawnSipp({ ...run, mediaPort });
  const exited = new Promise<SippResult>((resolve, reject) => {
    s.child.once('error', reject);
    s.child.once('exit', (code) => resolve(finish(s.dir, s.stf, code, s.output())));
  });
  return { s, exited };
}

function finish(dir: string, stf: string, code: number | null, output: string): SippResult {
  const csv = existsSync(stf) ? readFileSync(stf, 'utf8') : '';
  return { code, ...countsFromStats(csv), output, statsCsv: csv, errors: readErrors(dir), dir };
}

/**
 * Runs SIPp in the background mode it supports best for automation (`-bg` is not used: we wait
 * for the process) and reads the final counts from its statistics file (`-stf`). A run that could
 * not bind its ports at start is tried again with another media port block (failedToBind).
 */
export async function runSipp(run: SippRun): Promise<SippResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await (await launch(run, attempt)).exited;
    if (attempt >= BIND_ATTEMPTS || !failedToBind(result)) return result;
    await sleep(100 * attempt);
  }
}

export interface SippServer {
  pid: number;
  dir: string;
  /** Resolves when SIPp exits by itself (after `calls` calls, or on -timeout). */
  exited: Promise<SippResult>;
  /**
   * Ends the run and returns the final counts. SIGUSR1 makes SIPp stop taking new calls, finish
   * the ones in progress and write its last statistics; SIGTERM after `graceMs` if it lingers.
   */
  stop(graceMs?: number): Promise<SippResult>;
}

/**
 * Starts a SIPp UAS (uas-call.xml, uas-ring.xml…) in the background on `localPort` and returns once
 * it has bound the port (or after 2 s). `calls` bounds the run; stop() ends it earlier.
 */
export async function startSippServer(run: SippRun): Promise<SippServer> {
  if (run.localPort === undefined || run.localPort === 0) throw new Error('startSippServer needs a fixed localPort (the registered Contact)');
  for (let attempt = 1; ; attempt++) {
    const { s, exited } = await launch(run, attempt);
    await Promise.race([
      new Promise<void>((resolve) => { const t = setInterval(() => { if (existsSync(s.stf) || s.child.exitCode !== null) { clearInterval(t); resolve(); } }, 50); t.unref(); }),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    if (s.child.exitCode === null) return serverHandle(s, exited);
    const result = await exited;
    if (attempt >= BIND_ATTEMPTS || !failedToBind(result)) throw new Error(`SIPp server exited at start (${result.code}): ${describeSipp(result)}`);
    await sleep(100 * attempt);
  }
}

function serverHandle(s: ReturnType<typeof spawnSipp>, exited: Promise<SippResult>): SippServer {
  const pid = s.child.pid as number;
  return {
    pid, dir: s.dir, exited,
    async stop(graceMs = 5000) {
      if (s.child.exitCode === null) s.child.kill('SIGUSR1');
      const timer = setTimeout(() => { if (s.child.exitCode === null) s.child.kill('SIGTERM'); }, graceMs);
      try { return await exited; } finally { clearTimeout(timer); }
    },
  };
}

/** One line for an assertion message: counts, the error log and the end of SIPp's output. */
export function describeSipp(r: SippResult): string {
  return `SIPp exit ${r.code}: ${r.successful} ok, ${r.failed} failed\n--- errors (${r.dir}) ---\n${r.errors.slice(0, 4000)}\n--- output ---\n${r.output.slice(-2000)}`;
}

/** Reads SuccessfulCall(C) and FailedCall(C) from the last row of SIPp's -stf CSV. */
export function countsFromStats(csv: string): { successful: number; failed: number } {
  const lines = csv.trim().split('\n').filter((l) => l.includes(';'));
  if (lines.length < 2) return { successful: 0, failed: 0 };
  const head = (lines[0] as string).split(';');
  const last = (lines[lines.length - 1] as string).split(';');
  const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
}
