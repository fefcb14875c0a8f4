import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** CPU time in milliseconds, user and kernel apart. */
export interface CpuSplit { userMs: number; sysMs: number }

/** utime and stime of a process in milliseconds, from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
export function cpuSplitMs(pid: number, ticksPerSecond = 100): CpuSplit {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(fields[11]) * 1000) / ticksPerSecond, sysMs: (Number(fields[12]) * 1000) / ticksPerSecond };
}

/** utime+stime of a process in milliseconds. */
export function cpuMs(pid: number, ticksPerSecond = 100): number {
  const c = cpuSplitMs(pid, ticksPerSecond);
  return c.userMs + c.sysMs;
}

/** Starts a Node script with tsx in-process (no npx wrapper), so the child's PID is the server's. */
export function startTs(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/**
 * Median and interquartile range of per-round ratios, e.g. "1.24× (IQR 1.15–1.31×, 7 rounds)".
 * This VM's CPU time per request drifts by tens of percent from one minute to the next: many short
 * alternating rounds and their median resist that better than a few long ones.
 */
export function ratioSummary(ratios: readonly number[]): string {
  // A round without a figure (no successful call: NaN) is left out; NaN would also break the sort.
  const s = ratios.filter(Number.isFinite).sort((a, b) => a - b);
  const missing = ratios.length - s.length;
  const left = missing === 0 ? '' : `, ${missing} without a figure left out`;
  if (s.length === 0) return `n/a${left}`;
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * (s.length - 1) + 0.5))] as number;
  return `${q(0.5).toFixed(2)}× (IQR ${q(0.25).toFixed(2)}–${q(0.75).toFixed(2)}×, ${s.length} rounds${left})`;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A process and all its descendants, from the ppid field of every /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited meanwhile */ }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/**
 * Binds a process tree, every thread of every process, to the CPUs in `cpus` (a taskset list such
 * as `0` or `1-3`). bench:sip --pin keeps the servers and SIPp on separate cores with it.
 */
export function pinTree(root: number, cpus: string): void {
  for (const pid of processTree(root)) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    } catch { /* exited meanwhile */ }
  }
}

/**
 * utime+stime of every process of a server (Kamailio forks its workers, timers and the main
 * process). Re-read the tree each time: a child that exits between two readings loses its time.
 */
export function serverCpuMs(root: number): number {
  const c = serverCpuSplitMs(root);
  return c.userMs + c.sysMs;
}

/** serverCpuMs with user and kernel time apart (a process that exits meanwhile is left out). */
export function serverCpuSplitMs(root: number): CpuSplit {
  const sum: CpuSplit = { userMs: 0, sysMs: 0 };
  for (const pid of processTree(root)) {
    try {
      const c = cpuSplitMs(pid);
      sum.userMs += c.userMs;
      sum.sysMs += c.sysMs;
    } catch { /* exited meanwhile */ }
  }
  return sum;
}

/**
 * cutime+cstime of this process: the CPU of children it has waited for. Node reaps SIPp when it
 * exits, so the difference around a runSipp() is SIPp's own CPU (if no other child ended then).
 */
export function reapedChildrenCpuMs(ticksPerSecond = 100): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
}
