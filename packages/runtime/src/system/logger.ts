// The system's logger: any pino-compatible object (error, warn, info, debug taking (obj, msg)), the console by default, with a level.

import { InvalidOptionError } from '../errors.js';
import { describe, preview } from '../validate.js';

/**
 * What the system logs through: pino, bunyan-style child loggers, or your
 * own object. Each method takes a structured object first and a message.
 */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** The least severe entry that is logged; `'silent'` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: Infinity };
const METHODS = ['error', 'warn', 'info', 'debug'] as const;

/** The default: one line per entry on the console (the stack of an error below it). */
export const consoleLogger: Logger = {
  error: (obj, msg) => console.error(line(obj, msg)),
  warn: (obj, msg) => console.warn(line(obj, msg)),
  info: (obj, msg) => console.info(line(obj, msg)),
  debug: (obj, msg) => console.debug(line(obj, msg)),
};

function line(obj: object, msg: string | undefined): string {
  const stack = (obj as { error?: { stack?: unknown } }).error?.stack;
  return `[joerl] ${msg ?? preview(obj, Infinity)}${typeof stack === 'string' ? `\n${stack}` : ''}`;
}

/** Checks the `logger` and `logLevel` options. */
export function checkLogging(logger: unknown, level: unknown): { logger: Logger; logLevel: LogLevel } {
  const l = logger ?? consoleLogger;
  if (typeof l !== 'object' || l === null) throw new InvalidOptionError(`options.logger must be an object with error, warn, info and debug methods (pino works), got ${describe(l)}`);
  const missing = METHODS.filter((m) => typeof (l as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new InvalidOptionError(`options.logger must have ${METHODS.join(', ')} methods taking (obj, msg); it lacks ${missing.join(', ')}`);
  const logLevel = level ?? 'warn';
  // Own keys only: `in` also finds what every object inherits ('toString', 'constructor').
  if (typeof logLevel !== 'string' || !Object.hasOwn(RANK, logLevel)) {
    throw new InvalidOptionError(`options.logLevel must be one of ${Object.keys(RANK).map((k) => `'${k}'`).join(', ')}, got ${describe(logLevel)}`);
  }
  return { logger: l as Logger, logLevel: logLevel as LogLevel };
}

/** Writes an entry at `level` if the system's level lets it through. */
export function log(logger: Logger, threshold: LogLevel, level: Exclude<LogLevel, 'silent'>, obj: object, msg: string): void {
  if (RANK[level] < RANK[threshold]) return;
  try {
    logger[level](obj, msg);
  } catch {
    // A logger that throws must not take the system's bookkeeping down with it.
  }
}
