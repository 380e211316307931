/**
 * The worker process: one Temporal worker on the engine queue, the shared pod watches,
 * and the metrics endpoint. IO lives here and in activities, nowhere else.
 */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type InjectedSinks, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type Activities } from '../activities';
import type { Config } from './config';
import { createKube, type Kube } from './k8s/kube';
import { PodWatchers } from './k8s/pod-watcher';
import type { Logger } from './logger';
import { RecentKeys, createMetrics, type Metrics } from './metrics';
import { startRecovery } from './recovery/start';
import { installRuntime, temporalLogger, temporalMetricsText } from './runtime';
import { temporalSettings, type TemporalSettings } from './temporal';
import type { EngineSinks } from '../workflows/sinks';

/** Enough for the transitions of every engine whose task could be redone at once. */
const TRANSITIONS_REMEMBERED = 10_000;

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
  /**
   * A prebuilt bundle (tests share one); otherwise the workflows are bundled now. With
   * encryption on, build it with `failureConverterPath: FAILURE_CONVERTER_PATH` (src/codec).
   */
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
  metrics.countEnginesFrom(() => watchers.watched(), config.defaultPolicy);
  installRuntime(logger);
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  const clientConnection = await Connection.connect(temporal.connectionOptions);
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace, dataConverter: temporal.dataConverter });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      ...(temporal.dataConverter ? { dataConverter: temporal.dataConverter } : {}),
      ...(options.identity ? { identity: options.identity } : {}),
      workflowBundle: options.workflowBundle ?? (await bundleWorkflows(logger, temporal)),
      sinks: engineSinks(metrics),
      activities: (options.wrapActivities ?? ((real) => real))(
        createActivities({ kube, watchers, config, metrics, logger, temporal: client }),
      ),
      shutdownGraceTime: config.shutdownGraceMs,
      // A watchPod slot per running engine; the activities wait on one shared watch, so idle slots cost little memory.
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    });
  } catch (error) {
    // A worker that cannot start must not hold its connections open and hang the process.
    await clientConnection.close();
    await connection.close();
    throw error;
  }
  const server = config.metricsPort ? await serveMetrics(metrics, config.metricsPort, config.metricsHost) : undefined;
  const address = server?.address();
  logger.info({ taskQueue: config.taskQueue, temporal: temporal.address, temporalNamespace: temporal.namespace }, 'worker started');
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

/**
 * Bundled here rather than by Worker.create, so webpack's stats (a page of text the SDK
 * logs at info) go to debug. The converter paths are what Worker.create would pass.
 */
function bundleWorkflows(logger: Logger, temporal: TemporalSettings) {
  const converter = temporal.dataConverter;
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: temporalLogger(logger.child({ component: 'workflow-bundler' }), { INFO: 'debug' }),
    ...(converter?.failureConverterPath ? { failureConverterPath: converter.failureConverterPath } : {}),
    ...(converter?.payloadConverterPath ? { payloadConverterPath: converter.payloadConverterPath } : {}),
  });
}

/**
 * Engine state transitions reported by workflows feed the counter. Never called during
 * replay, but a workflow task the server turns down (UnhandledCommand when an update or
 * signal arrived meanwhile) is run again as new: its calls repeat, with the same sequence.
 */
function engineSinks(metrics: Metrics): InjectedSinks<EngineSinks> {
  const counted = new RecentKeys(TRANSITIONS_REMEMBERED);
  return {
    engineMetrics: {
      stateEntered: {
        fn: (info, { namespace, state, seq }) => {
          if (counted.addIfNew(`${info.runId}/${seq}`)) metrics.engineTransitions.inc({ namespace, state });
        },
      },
    },
  };
}

/** Our registry, then the Temporal SDK's metrics: one endpoint for an operator to scrape. */
function serveMetrics(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.registry
      .metrics()
      .then((body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body + temporalMetricsText()))
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
