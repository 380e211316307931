/**
 * A test worker whose payloads are encrypted with a given KPL_ENCRYPTION_KEY, and the
 * history as the server stores it (read with no codec).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { EngineClient } from '../../src/client';
import { FAILURE_CONVERTER_PATH } from '../../src/codec';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { connectClient, temporalSettings, type TemporalSettings } from '../../src/temporal';
import { createWorker } from '../../src/worker';
import type { TestWorker } from './env';

export function encryptingSettings(key: string): TemporalSettings {
  return temporalSettings({ ...process.env, KPL_ENCRYPTION_KEY: key });
}

export async function startEncryptingWorker(key: string, namespace: string): Promise<TestWorker> {
  const settings = encryptingSettings(key);
  const config = loadConfig({
    KPL_METRICS_PORT: '0',
    KPL_LOG_LEVEL: 'warn',
    KPL_TASK_QUEUE: `test-${randomUUID()}`,
    KPL_RECOVERY_ON_START: 'false',
    KPL_NAMESPACES: namespace,
    KPL_SHUTDOWN_GRACE: '1s',
  });
  // The shared test bundle has the SDK's failure converter; this one encrypts failure messages too.
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, log: () => undefined },
  });
  const handle = await createWorker({ config, logger: createLogger(config.logLevel, { pretty: false }), temporal: settings, workflowBundle });
  const running = handle.run();
  return {
    handle,
    config,
    engines: async () => new EngineClient(await connectClient(settings), config.taskQueue),
    stop: async () => {
      handle.shutdown();
      await running;
    },
  };
}

/** The history exactly as stored: `raw` must be a client with no codec. */
export async function rawHistory(raw: Client, workflowId: string): Promise<temporal.api.history.v1.IHistory> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await raw.workflowService.getWorkflowExecutionHistory({ namespace: raw.options.namespace, execution: { workflowId }, nextPageToken });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}
