/**
 * Routes the Temporal SDK's own logs (worker, workflow `log`, activity context) into our
 * pino logger, so one process writes one log format. Installed once, before the first
 * connection.
 */
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from './logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[LEVELS[level]](meta ?? {}, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

export function installRuntime(logger: Logger): void {
  if (Runtime._instance) return;
  Runtime.install({ logger: temporalLogger(logger.child({ component: 'temporal-sdk' })) });
}
