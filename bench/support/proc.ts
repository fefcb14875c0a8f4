import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';

/** utime+stime of a process in milliseconds, from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
export function cpuMs(pid: number, ticksPerSecond = 100): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Sum over a process and its children (a server with worker processes, e.g. Kamailio). */
export function treeCpuMs(pids: readonly number[]): number {
  return pids.reduce((s, p) => { try { return s + cpuMs(p); } catch { return s; } }, 0);
}

/** Starts a Node script with tsx in-process (no npx wrapper), so the child's PID is the server's. */
export function startTs(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
