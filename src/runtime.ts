/**
 * The Temporal SDK's runtime, installed once per process before the first connection:
 * routes the SDK's logs (worker, workflow `log`, activity context) into our pino logger, so
 * one process writes one log format, and buffers Core's metrics so they are served on our
 * own /metrics endpoint. A buffer rather than Core's Prometheus exporter: that exporter
 * binds a second port, which operators would have to scrape too, and in tests (several
 * workers in one process, several worker processes on one machine) would collide.
 */
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { MetricsBuffer, Runtime, type Logger as TemporalLogger } from '@temporalio/worker';
import { sdkLogFields } from './log-fields';
import type { Logger } from './logger';
import { SdkMetricStore, type SdkMetricUpdate } from './sdk-metrics';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, PinoLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's logger interface over pino; `demote` lowers chatty levels (webpack's stats). */
export function temporalLogger(logger: Logger, demote: Partial<Record<LogLevel, PinoLevel>> = {}): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) =>
    logger[demote[level] ?? LEVELS[level]](sdkLogFields(meta), message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** Drained this often, so bursts between two scrapes never overflow the buffer. */
const DRAIN_INTERVAL_MS = 1_000;
const BUFFER_SIZE = 100_000;

const sdkMetrics = new SdkMetricStore();
let buffer: MetricsBuffer | undefined;

function drain(): void {
  if (buffer) sdkMetrics.apply(buffer.retrieveUpdates() as Iterable<SdkMetricUpdate>);
}

export function installRuntime(logger: Logger): void {
  if (Runtime._instance) return;
  const metricsBuffer = new MetricsBuffer({ maxBufferSize: BUFFER_SIZE, useSecondsForDurations: true });
  Runtime.install({
    logger: temporalLogger(logger.child({ component: 'temporal-sdk' })),
    telemetryOptions: { metrics: { buffer: metricsBuffer } },
  });
  buffer = metricsBuffer;
  setInterval(drain, DRAIN_INTERVAL_MS).unref();
}

/**
 * The SDK's metrics in the Prometheus text format: the whole process's (they carry a
 * `task_queue` label), empty when the runtime was installed by someone else.
 */
export function temporalMetricsText(): string {
  drain();
  return sdkMetrics.render();
}
