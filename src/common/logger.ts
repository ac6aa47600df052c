// The daemon's structured logger (pino, JSON lines on stderr). Each subsystem
// takes a child logger with its name, and log calls carry the ids involved as
// fields: { container }, { image }, { digest }, { exec }.
import pino, { type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

let root: Logger = pino({ level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));

export function configureLogger(level: LogLevel, destination: number | string = 2): Logger {
  root = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(destination));
  return root;
}

export function rootLogger(): Logger {
  return root;
}

export function subsystemLogger(subsystem: string): Logger {
  return root.child({ subsystem });
}
