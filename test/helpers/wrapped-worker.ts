/**
 * A worker whose real activities a test may wrap (for example to slow createPod so a
 * kill lands while the create is in flight). Kubernetes and Temporal stay real; only the
 * timing of our own code changes. Same isolation as startWorker: a queue of its own.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { EngineClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { createKube } from '../../src/k8s/kube';
import { PodWatchers } from '../../src/k8s/pod-watcher';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { installRuntime } from '../../src/runtime';
import { temporalSettings } from '../../src/temporal';
import { temporalClient, workflowBundle, type TestWorker } from './env';

export type ActivityWrapper = (real: Activities) => Activities;

export interface WrappedWorker extends Omit<TestWorker, 'handle'> {
  worker: Worker;
}

export async function startWrappedWorker(wrap: ActivityWrapper, env: Record<string, string> = {}): Promise<WrappedWorker> {
  const config = loadConfig({ KPL_METRICS_PORT: '0', KPL_LOG_LEVEL: 'warn', KPL_TASK_QUEUE: `test-${randomUUID()}`, ...env });
  const logger = createLogger(config.logLevel, { pretty: false });
  installRuntime(logger);
  const metrics = createMetrics();
  const kube = createKube(metrics);
  const watchers = new PodWatchers(kube, logger);
  const settings = temporalSettings();
  const connection = await NativeConnection.connect(settings.connectionOptions);
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: wrap(createActivities({ kube, watchers, config, metrics, logger })),
    shutdownGraceTime: config.shutdownGraceMs,
  });
  const running = worker.run();
  return {
    worker,
    config,
    engines: async () => new EngineClient(await temporalClient(), config.taskQueue),
    stop: async () => {
      worker.shutdown();
      try {
        await running;
      } finally {
        await watchers.stopAll();
        await connection.close();
      }
    },
  };
}

/**
 * Delays one activity by `ms`: `before` it runs (a slow create), or `after` it has done
 * its work and before its result reaches the workflow (a completion still in flight).
 */
export function delayed<K extends keyof Activities>(name: K, ms: number, when: 'before' | 'after' = 'before'): ActivityWrapper {
  const pause = () => new Promise((resolve) => setTimeout(resolve, ms));
  return (real) => ({
    ...real,
    [name]: async (...args: Parameters<Activities[K]>) => {
      if (when === 'before') await pause();
      const result = await (real[name] as (...a: Parameters<Activities[K]>) => ReturnType<Activities[K]>)(...args);
      if (when === 'after') await pause();
      return result;
    },
  });
}
