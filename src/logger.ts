/**
 * Structured logs: JSON lines for machines, readable lines on a terminal.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  return pino({
    level,
    base: { service: 'kyuubi-pod-lifecycle' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } } : {}),
  }, pretty ? undefined : pino.destination(2));
}
