/**
 * For recovery tests: named orphan pods made in bulk (driver pods created straight in the
 * apiserver, as if their engine workflow had been lost), waits on their phases, runs of a
 * workflow id, and the cleanup that leaves no pod, workflow, Schedule or namespace behind.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { ENGINE_TAG_LABEL, INSTANCE_LABEL, SEARCH_ATTRIBUTES, recoveryScheduleId, recoveryWorkflowId } from '../../src/contract/names';
import { driverManifest, eventually, newTag } from './env';

export { createNamespace } from './orphans';

export interface OrphanSpec {
  name: string;
  /** The instance label, as on a pod a create-mode engine made; absent as spark-submit makes them. */
  instance?: string;
  annotations?: Parameters<typeof driverManifest>[0];
}

export interface Orphan {
  name: string;
  tag: string;
  uid: string;
}

/** Driver pods in the fixture's shape with a fresh `kyuubi-unique-tag`, created directly. */
export async function createOrphans(core: CoreV1Api, namespace: string, specs: OrphanSpec[]): Promise<Orphan[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const tag = newTag();
      const manifest = driverManifest(spec.annotations) as V1Pod;
      const labels = { ...manifest.metadata?.labels, [ENGINE_TAG_LABEL]: tag, ...(spec.instance ? { [INSTANCE_LABEL]: spec.instance } : {}) };
      const pod = await core.createNamespacedPod({ namespace, body: { ...manifest, metadata: { ...manifest.metadata, name: spec.name, labels } } });
      return { name: spec.name, tag, uid: pod.metadata?.uid ?? '' };
    }),
  );
}

export async function podsByName(core: CoreV1Api, namespace: string): Promise<Map<string, V1Pod>> {
  const list = await core.listNamespacedPod({ namespace });
  return new Map(list.items.map((pod) => [pod.metadata?.name ?? '', pod]));
}

/** When the pod's last container finished, once the pod has terminated. */
export function finishedAt(pod: V1Pod | undefined): number | undefined {
  if (pod?.status?.phase !== 'Succeeded' && pod?.status?.phase !== 'Failed') return undefined;
  const times = (pod.status.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt).filter((t) => t !== undefined);
  return times.length ? Math.max(...times.map((t) => new Date(t).getTime())) : undefined;
}

/** Waits until every named pod is in `phases`; returns the pods. */
export function untilPhase(core: CoreV1Api, namespace: string, names: string[], phases: string[], timeoutMs = 30_000) {
  return eventually(async () => {
    const pods = await podsByName(core, namespace);
    return names.every((n) => phases.includes(pods.get(n)?.status?.phase ?? '')) ? pods : undefined;
  }, `pods ${names.join(', ')} ${phases.join('/')}`, timeoutMs);
}

/** Waits until every named pod terminated more than `ageMs` ago (the apiserver's clock is ours). */
export async function untilTerminatedFor(core: CoreV1Api, namespace: string, names: string[], ageMs: number): Promise<void> {
  const pods = await untilPhase(core, namespace, names, ['Succeeded', 'Failed']);
  // Container times keep whole seconds: a second more is past the retain period for sure.
  const latest = Math.max(...names.map((n) => finishedAt(pods.get(n)) ?? Date.now()));
  const wait = latest + ageMs + 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Every execution (all runs, open and closed) of one workflow id, from visibility. */
export async function executionsOf(client: Client, workflowId: string) {
  const runs = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(execution);
  return runs;
}

/**
 * Ends the workflows a test left in a namespace (engines, recovery) and its Schedule. Call
 * it before stopping the workers: a worker waits out its shutdown grace for in-flight
 * watches, which ending the workflows cancels.
 */
export async function endWorkflows(client: Client, namespace: string): Promise<void> {
  await client.schedule.getHandle(recoveryScheduleId(namespace)).delete().catch(() => undefined);
  // The recovery id, the Schedule's (`<id>-<time>`) and dry runs' (`<id>/dry-run/<uuid>`).
  const recovery = `WorkflowId STARTS_WITH '${recoveryWorkflowId(namespace)}'`;
  const query = `(${SEARCH_ATTRIBUTES.namespace} = '${namespace}' OR ${recovery}) AND ExecutionStatus = 'Running'`;
  // Twice: a round the Schedule fired just before its delete shows up in visibility a moment later.
  for (const pause of [0, 1_000]) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    for await (const execution of client.workflow.list({ query })) {
      await client.workflow.getHandle(execution.workflowId, execution.runId).terminate('test cleanup').catch(() => undefined);
    }
  }
}

/** Deletes every pod of the namespace, then the namespace. */
export async function removeNamespace(core: CoreV1Api, namespace: string): Promise<void> {
  const list = await core.listNamespacedPod({ namespace }).catch(() => undefined);
  for (const pod of list?.items ?? []) {
    await core.deleteNamespacedPod({ namespace, name: pod.metadata?.name ?? '', gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  // No namespace controller runs in the local stack: finalize the namespace ourselves.
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await core
    .replaceNamespaceFinalize({ name: namespace, body: { metadata: { name: namespace }, spec: { finalizers: [] } } })
    .catch(() => undefined);
}
