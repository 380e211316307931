/**
 * The benchmark's own stack and clients: brings the stack up (or reuses it) from
 * KPL_STACK_DIR / KPL_STACK_PORT_OFFSET, points this process's Temporal and Kubernetes
 * clients at it, and reads the apiserver's own request counters.
 */
import { randomUUID } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { stackUp, type StackInfo } from '../../src/stack';
import { kubeRequest } from '../../src/stack/kube-api';
import { defaultStateDir, statePaths } from '../../src/stack/paths';
import { parseProm, type Sample } from './prom';

export { namespacedPodRequests } from './prom';

export interface Cluster {
  stack: StackInfo;
  core: CoreV1Api;
  temporal: Client;
  close(): Promise<void>;
}

export async function openCluster(): Promise<Cluster> {
  const stack = await stackUp({ stateDir: defaultStateDir(), log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  // Children (the worker) and this process's clients find the stack through these.
  process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.TEMPORAL_NAMESPACE = stack.temporalNamespace;
  process.env.KUBECONFIG = stack.kubeconfigPath;
  const config = new KubeConfig();
  config.loadFromFile(stack.kubeconfigPath);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  return {
    stack,
    core: config.makeApiClient(CoreV1Api),
    temporal: new Client({ connection, namespace: stack.temporalNamespace }),
    close: () => connection.close(),
  };
}

export async function apiserverMetrics(): Promise<Sample[]> {
  const response = await kubeRequest(statePaths(defaultStateDir()), 'GET', '/metrics');
  if (response.status !== 200) throw new Error(`apiserver /metrics answered ${response.status}: ${response.body.slice(0, 200)}`);
  return parseProm(response.body);
}

export { READ_VERBS } from './prom';

export function newName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = newName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { 'kyuubi-pods.bench/owner': prefix } } } });
  return name;
}

/** Every pod at once (grace 0: gone without waiting for kwok), then the namespace, finalized by hand. */
export async function removeNamespace(core: CoreV1Api, namespace: string): Promise<void> {
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  // No namespace controller runs in the local stack.
  await core
    .replaceNamespaceFinalize({ name: namespace, body: { metadata: { name: namespace }, spec: { finalizers: [] } } })
    .catch(() => undefined);
}

/** Runs `run` on every item, at most `limit` at once. */
export async function inParallel<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i] as T, i);
  });
  await Promise.all(lanes);
}

export async function countWorkflows(temporal: Client, query: string): Promise<number> {
  return (await temporal.workflow.count(query)).count;
}

/** Polls a visibility count until `accept` holds; returns the last count. */
export async function untilCount(
  temporal: Client,
  query: string,
  accept: (count: number) => boolean,
  what: string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await countWorkflows(temporal, query);
    if (accept(count)) return count;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last count ${count}; query ${query})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Terminates every running workflow the query matches, a few at a time; returns how many. */
export async function terminateAll(temporal: Client, query: string, reason: string): Promise<number> {
  let ended = 0;
  for (let round = 0; round < 5; round++) {
    const ids: { workflowId: string; runId: string }[] = [];
    for await (const execution of temporal.workflow.list({ query: `(${query}) AND ExecutionStatus = 'Running'` })) {
      ids.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
    if (ids.length === 0) break;
    await inParallel(ids, 32, async ({ workflowId, runId }) => {
      await temporal.workflow.getHandle(workflowId, runId).terminate(reason).then(() => ended++, () => undefined);
    });
  }
  return ended;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
