/**
 * Engines in bulk for the benchmarks: the worker as operators run it (a child process of
 * `dist/src/cli.js worker`), launches through the client library, and what the
 * benchmarks read from the worker (its metrics endpoint, its resident memory).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { EngineClient, type EnginePodInput } from '../../src/client';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPES } from '../../src/contract/names';
import { driverManifest, newTag } from '../../test/helpers/env';
import { WorkerProcess } from '../../test/helpers/worker-process';
import type { Cluster } from './cluster';
import { inParallel } from './cluster';
import { parseProm, sumBy } from './prom';

export interface BenchWorker {
  process: WorkerProcess;
  metricsPort: number;
  taskQueue: string;
  engines: EngineClient;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A worker process on a queue of its own, serving `namespace` only; resolves once it polls. */
export async function startEngineWorker(cluster: Cluster, namespace: string, env: Record<string, string> = {}): Promise<BenchWorker> {
  const metricsPort = await freePort();
  const taskQueue = `bench-${newTag()}`;
  const process = WorkerProcess.start({
    taskQueue,
    namespaces: [namespace],
    env: {
      KPL_METRICS_PORT: String(metricsPort),
      KPL_METRICS_HOST: '127.0.0.1',
      KPL_RECOVERY_ON_START: 'false',
      ...env,
    },
  });
  await process.ready(cluster.temporal, 120_000);
  return { process, metricsPort, taskQueue, engines: new EngineClient(cluster.temporal, taskQueue) };
}

/** The worker's own count of Kubernetes requests (kpl_kubernetes_requests_total), by verb. */
export async function workerKubeRequests(worker: BenchWorker): Promise<Record<string, number>> {
  const response = await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`);
  return sumBy(parseProm(await response.text()), 'kpl_kubernetes_requests_total', {}, 'verb');
}

/** Resident set size and its high-water mark of a process, from /proc (Linux). */
export function memoryOf(pid: number): { rssBytes: number; hwmBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

export interface LaunchOptions {
  count: number;
  namespace: string;
  annotations?: Parameters<typeof driverManifest>[0];
  policy?: EnginePodInput['policy'];
  concurrency: number;
}

/** Launches `count` create-mode engines; returns their tags in launch order. */
export async function launchEngines(engines: EngineClient, o: LaunchOptions): Promise<string[]> {
  const tags = Array.from({ length: o.count }, () => newTag());
  const pod = driverManifest(o.annotations ?? {});
  await inParallel(tags, o.concurrency, async (tag) => {
    await engines.launchEngine({ tag, namespace: o.namespace, mode: 'create', pod, ...(o.policy ? { policy: o.policy } : {}) });
  });
  return tags;
}

/** Visibility query for the engines of one namespace, with more clauses ANDed. */
export function engineQuery(namespace: string, ...clauses: string[]): string {
  return [`WorkflowType = '${WORKFLOW_TYPES.enginePod}'`, `${SEARCH_ATTRIBUTES.namespace} = '${namespace}'`, ...clauses].join(' AND ');
}

export function stateClause(state: string): string {
  return `${SEARCH_ATTRIBUTES.engineState} = '${state}'`;
}
