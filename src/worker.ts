/**
 * The worker process: one Temporal worker on the engine queue, the shared pod watches,
 * and the metrics endpoint. IO lives here and in activities, nowhere else.
 */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type Activities } from '../activities';
import type { Config } from './config';
import { createKube, type Kube } from './k8s/kube';
import { PodWatchers } from './k8s/pod-watcher';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { startRecovery } from './recovery/start';
import { installRuntime } from './runtime';
import { temporalSettings, type TemporalSettings } from './temporal';

export interface WorkerHandle {
  worker: Worker;
  metrics: Metrics;
  /** The metrics endpoint's port, when one is served. */
  metricsPort?: number;
  /** Runs until shutdown() or a shutdown signal, then releases everything. */
  run(): Promise<void>;
  shutdown(): void;
}

export interface CreateWorkerOptions {
  config: Config;
  logger: Logger;
  temporal?: TemporalSettings;
  kube?: Kube;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  /** Wraps the real activities (tests slow one down to land a kill mid-call); identity by default. */
  wrapActivities?: (activities: Activities) => Activities;
}

export async function createWorker(options: CreateWorkerOptions): Promise<WorkerHandle> {
  const { config, logger } = options;
  const temporal = options.temporal ?? temporalSettings();
  const metrics = createMetrics({ defaultMetrics: true });
  const kube = options.kube ?? createKube(metrics);
  const watchers = new PodWatchers(kube, logger);
  installRuntime(logger);
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  const clientConnection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
      activities: (options.wrapActivities ?? ((real) => real))(
        createActivities({ kube, watchers, config, metrics, logger, temporal: client }),
      ),
      shutdownGraceTime: config.shutdownGraceMs,
    });
  } catch (error) {
    // A worker that cannot start must not hold its connections open and hang the process.
    await clientConnection.close();
    await connection.close();
    throw error;
  }
  const server = config.metricsPort ? await serveMetrics(metrics, config.metricsPort, config.metricsHost) : undefined;
  const address = server?.address();
  logger.info({ taskQueue: config.taskQueue, temporal: temporal.address, namespace: temporal.namespace }, 'worker started');
  return {
    worker,
    metrics,
    metricsPort: typeof address === 'object' && address ? address.port : undefined,
    shutdown: () => worker.shutdown(),
    async run() {
      try {
        const running = worker.run();
        // Awaited together so a fatal worker error is never left unhandled while recovery starts.
        const recovery = config.recoveryOnStart
          ? // The worker serves engines even when recovery cannot start now; the Schedule retries.
            startRecovery(client, config, recoveryNamespaces(config, kube), logger).catch((error: unknown) =>
              logger.error({ err: error }, 'recovery could not be started at worker start'),
            )
          : Promise.resolve();
        await Promise.all([running, recovery]);
      } finally {
        server?.close();
        await watchers.stopAll();
        await clientConnection.close();
        await connection.close();
        logger.info('worker stopped');
      }
    },
  };
}

function serveMetrics(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.registry
      .metrics()
      .then((body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body))
      .catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** The namespaces this worker recovers: the allow-list, else the kube context's namespace. */
function recoveryNamespaces(config: Config, kube: Kube): string[] {
  if (config.namespaces) return config.namespaces;
  const context = kube.config.getContextObject(kube.config.getCurrentContext());
  return [context?.namespace ?? 'default'];
}
