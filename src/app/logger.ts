import { pino, type Logger, type LevelWithSilent } from 'pino';
import { OPENSIPS_LOG_LEVELS } from '../mgmt/core-methods.ts';

export type { Logger };

/** Structured JSON logs on stderr (stdout stays free for command output). */
export function createLogger(name: string, level: LevelWithSilent): Logger {
  return pino({ name, level, base: { pid: process.pid, node: name } }, pino.destination({ fd: 2, sync: true }));
}

const PINO_TO_OPENSIPS: Record<string, number> = {
  fatal: OPENSIPS_LOG_LEVELS.alert, error: OPENSIPS_LOG_LEVELS.error, warn: OPENSIPS_LOG_LEVELS.warn,
  info: OPENSIPS_LOG_LEVELS.info, debug: OPENSIPS_LOG_LEVELS.debug, trace: OPENSIPS_LOG_LEVELS.debug,
  silent: OPENSIPS_LOG_LEVELS.alert,
};

/** OpenSIPS numeric level of a pino level, for core:log_level. */
export function toOpensipsLevel(level: string): number {
  return PINO_TO_OPENSIPS[level] ?? OPENSIPS_LOG_LEVELS.info;
}

/** pino level for an OpenSIPS numeric level (-3 alert … 4 debug); notice maps to info. */
export function fromOpensipsLevel(level: number): LevelWithSilent {
  if (level >= 4) return 'debug';
  if (level >= 2) return 'info';
  if (level >= 1) return 'warn';
  if (level >= -1) return 'error';
  return 'fatal';
}
