import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';

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
  localPort?: number;
  service?: string;
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  output: string;
  statsCsv: string;
}

/**
 * Runs SIPp in the background mode it supports best for automation (`-bg` is not used: we wait
 * for the process) and reads the final counts from its statistics file (`-stf`).
 */
export function runSipp(run: SippRun): Promise<SippResult> {
  const bin = sippPath();
  if (bin === undefined) throw new Error('SIPCLUSTER_SIPP is not set');
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stf = join(dir, 'stats.csv');
  const args = [
    run.target, '-sf', resolvePath(run.scenario), '-t', run.transport ?? 'u1', '-m', String(run.calls),
    '-r', String(run.rate ?? 100), '-rp', '1000', '-i', '127.0.0.1', '-p', String(run.localPort ?? 0),
    '-s', run.service ?? 'sipcluster', '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1',
    '-buff_size', '4194304', '-timeout', `${Math.ceil((run.timeoutMs ?? 60_000) / 1000)}s`, '-timeout_error',
    ...(run.extraArgs ?? []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); if (output.length > 200_000) output = output.slice(-100_000); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => {
      const csv = existsSync(stf) ? readFileSync(stf, 'utf8') : '';
      resolve({ code, ...countsFromStats(csv), output, statsCsv: csv });
    });
  });
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
