import type { StatisticsRegistry } from './statistics.ts';
import { RpcError, RPC_INVALID_PARAMS, type RpcRegistry } from './rpc-registry.ts';

/** What the core MI methods need from the running node; src/app provides it. */
export interface CorePorts {
  readonly version: string;
  readonly startedAtWallMs: number;
  wallMs(): number;
  pid: number;
  stats: StatisticsRegistry;
  /** OpenSIPS numeric log level (4 debug … -3 alert). */
  getLogLevel(): number;
  setLogLevel(level: number): void;
}

/** OpenSIPS numeric log levels (dprint.h): L_ALERT -3 … L_DBG 4. */
export const OPENSIPS_LOG_LEVELS = { alert: -3, crit: -2, error: -1, warn: 1, notice: 2, info: 3, debug: 4 } as const;

/** ctime(3) layout without the newline, as OpenSIPS prints "Now" and "Up since". */
export function ctime(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
}

export function registerCoreMethods(reg: RpcRegistry, ports: CorePorts): void {
  reg.register({
    name: 'core:which', aliases: ['which'], help: 'lists the MI methods',
    handler: () => reg.names(),
  });
  reg.register({
    name: 'core:version', aliases: ['version'],
    handler: () => ({ Server: `sipcluster (${ports.version} (${process.arch}/${process.platform}))` }),
  });
  reg.register({
    name: 'core:uptime', aliases: ['uptime'],
    handler: () => {
      const now = ports.wallMs();
      return {
        Now: ctime(now),
        'Up since': ctime(ports.startedAtWallMs),
        'Up time': `${Math.floor((now - ports.startedAtWallMs) / 1000)} [sec]`,
      };
    },
  });
  reg.register({
    // OpenSIPS `ps` lists every process with its ID, PID and Type. A node is one Node.js process
    // (one event loop, DESIGN.md §2): no worker processes or threads to list beside it.
    name: 'core:ps', aliases: ['ps'], help: 'lists the processes of the node',
    handler: () => ({ Processes: [{ ID: 0, PID: ports.pid, Type: 'sipcluster node' }] }),
  });
  reg.register({
    name: 'core:log_level', aliases: ['log_level'], params: ['level', 'pid'],
    handler: (p) => {
      if (p.level === undefined) {
        return { Processes: [{ PID: ports.pid, 'Log level': ports.getLogLevel(), Type: 'sipcluster node' }] };
      }
      const raw = p.level;
      const level = typeof raw === 'string' && raw in OPENSIPS_LOG_LEVELS
        ? OPENSIPS_LOG_LEVELS[raw as keyof typeof OPENSIPS_LOG_LEVELS]
        : typeof raw === 'number' || (typeof raw === 'string' && /^-?\d+$/.test(raw)) ? Number(raw) : NaN;
      if (!Number.isInteger(level) || level < -3 || level > 4) {
        throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', 'level must be an integer from -3 to 4 or a level name');
      }
      ports.setLogLevel(level);
      return { 'New global log level': level };
    },
  });
  reg.register({
    // OpenSIPS get_statistics (statistics.c mi_get_stats): the statistics that match, skipping
    // unknown names; 404 "Statistics Not Found" when nothing matched at all.
    name: 'statistics:get', aliases: ['get_statistics'], params: ['statistics'],
    handler: (p) => selectStats(ports.stats, statList(p.statistics)),
  });
  reg.register({
    name: 'statistics:list', aliases: ['list_statistics'], params: ['statistics'],
    handler: (p) => {
      // With names, OpenSIPS list_statistics (w_mi_list_stats_1) also answers 404 when none matched.
      const wanted = selectStats(ports.stats, p.statistics === undefined ? ['all'] : statList(p.statistics));
      const out: Record<string, string> = {};
      for (const d of ports.stats.describe()) {
        if (d.name in wanted) out[d.name] = d.kind === 'counter' ? 'incremental' : 'non-incremental';
      }
      return out;
    },
  });
  reg.register({
    // OpenSIPS reset_statistics (statistics.c mi_reset_stats): resets the counters named and
    // answers 404 "Statistics Not Found" when none of the names is known. OpenSIPS takes single
    // names only; we also take `group:` and `all` as statistics:get does. Gauges are left as
    // they are (OpenSIPS does not reset non-incremental statistics either). OpenSIPS 3.x has no
    // reset-all method: `statistics:reset all` is ours.
    name: 'statistics:reset', aliases: ['reset_statistics'], params: ['statistics'],
    handler: (p) => {
      ports.stats.reset(Object.keys(selectStats(ports.stats, statList(p.statistics))));
      return 'OK';
    },
  });
}

/**
 * The statistics the selectors name, or 404 "Statistics Not Found" when none matched, as
 * OpenSIPS's get_statistics and reset_statistics answer. `all` always counts as found (mi_get_stats
 * sets found for it even when nothing is registered); unknown names among known ones are skipped.
 */
function selectStats(stats: StatisticsRegistry, selectors: readonly string[]): Record<string, number> {
  const out = stats.get(selectors);
  if (Object.keys(out).length === 0 && !selectors.includes('all')) {
    throw new RpcError(404, 'RPC_STATISTICS_NOT_FOUND', 'Statistics Not Found');
  }
  return out;
}

function statList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', "parameter 'statistics' must be a list of names");
}
