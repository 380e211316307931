/**
 * A test worker whose payloads are encrypted with a given KPL_ENCRYPTION_KEY, and the
 * history as the server stores it (read with no codec).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../src/codec';
import { temporalSettings, type TemporalSettings } from '../../src/temporal';
import { startWorker, type TestWorker } from './env';

export function encryptingSettings(key: string): TemporalSettings {
  return temporalSettings({ ...process.env, KPL_ENCRYPTION_KEY: key });
}

export async function startEncryptingWorker(key: string, namespace: string): Promise<TestWorker> {
  // The shared test bundle has the SDK's failure converter; this one encrypts failure messages too.
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, log: () => undefined },
  });
  return startWorker({ KPL_NAMESPACES: namespace, KPL_SHUTDOWN_GRACE: '1s' }, { temporal: encryptingSettings(key), workflowBundle });
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
