/**
 * What integration tests share: real clients for the stack's apiserver and Temporal, an
 * in-process worker on one prebuilt workflow bundle, and engine manifests in the
 * fixture's shape.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { EngineClient } from '../../src/client';
import { loadConfig, type Config } from '../../src/config';
import { ENGINE_TAG_LABEL, LOCAL_STACK_ANNOTATIONS } from '../../src/contract/names';
import type { EnginePodInput } from '../../src/contract/schemas';
import { createLogger } from '../../src/logger';
import { connectClient } from '../../src/temporal';
import { createWorker, type CreateWorkerOptions, type WorkerHandle } from '../../src/worker';

export const ROOT = path.resolve(__dirname, '../..');

export function kubeApi(): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config.makeApiClient(CoreV1Api);
}

export async function temporalClient(): Promise<Client> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
  return bundle;
}
const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export interface TestWorker {
  handle: WorkerHandle;
  config: Config;
  /** A client whose launches go to this worker's queue. */
  engines(): Promise<EngineClient>;
  stop(): Promise<void>;
}

/** What a test may swap in the worker: its Kubernetes client, Temporal settings, bundle. */
export type WorkerOverrides = Partial<Pick<CreateWorkerOptions, 'kube' | 'temporal' | 'workflowBundle' | 'wrapActivities'>>;

/**
 * A worker in this process on a queue of its own, so test files (and developers running
 * tests at once) never serve each other's workflows. `env` overrides KPL_* settings.
 */
export async function startWorker(env: Record<string, string> = {}, overrides: WorkerOverrides = {}): Promise<TestWorker> {
  const config = loadConfig({
    KPL_METRICS_PORT: '0',
    KPL_LOG_LEVEL: 'warn',
    KPL_TASK_QUEUE: `test-${randomUUID()}`,
    // Recovery touches every labelled pod of a namespace: only tests about it turn it on.
    KPL_RECOVERY_ON_START: 'false',
    ...env,
  });
  const handle = await createWorker({
    config,
    logger: createLogger(config.logLevel, { pretty: false }),
    ...overrides,
    workflowBundle: overrides.workflowBundle ?? (await workflowBundle()),
  });
  const running = handle.run();
  const { temporal } = overrides;
  return {
    handle,
    config,
    engines: async () => new EngineClient(temporal ? await connectClient(temporal) : await temporalClient(), config.taskQueue),
    stop: async () => {
      handle.shutdown();
      await running;
    },
  };
}

export function newTag(): string {
  return randomUUID();
}

/** The fixture Spark driver pod, with the local stack's behaviour annotations. */
export function driverManifest(annotations: Partial<Record<keyof typeof LOCAL_STACK_ANNOTATIONS, string>> = {}) {
  const fixture = parseYaml(readFileSync(path.join(ROOT, 'examples/spark-driver-pod.yaml'), 'utf8')) as V1Pod;
  const { [ENGINE_TAG_LABEL]: _fixtureTag, ...labels } = fixture.metadata?.labels ?? {};
  const stackAnnotations = Object.fromEntries(
    Object.entries(annotations).map(([key, value]) => [LOCAL_STACK_ANNOTATIONS[key as keyof typeof LOCAL_STACK_ANNOTATIONS], value]),
  );
  return { ...fixture, metadata: { labels, annotations: stackAnnotations } } as NonNullable<EnginePodInput['pod']>;
}

export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function podsWithTag(core: CoreV1Api, namespace: string, tag: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `${ENGINE_TAG_LABEL}=${tag}` });
  return list.items;
}
