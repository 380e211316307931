/**
 * Probes that lifecycle tests share: the workflow's view (query, history) and the
 * apiserver's (pods by tag), each read from the real servers.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { engineStateQuery, type EngineSnapshot } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL, enginePodWorkflowId, type EngineState } from '../../src/contract/names';
import type { enginePod } from '../../workflows/engine-pod';
import { driverManifest, eventually, newTag, podsWithTag } from './env';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export type EngineHandle = WorkflowHandle<typeof enginePod>;

export function engineHandle(temporalClient: Client, namespace: string, tag: string, runId?: string): EngineHandle {
  return temporalClient.workflow.getHandle<typeof enginePod>(enginePodWorkflowId(namespace, tag), runId);
}

/** Polls the engineState query until `accept` holds; returns that snapshot. */
export function untilSnapshot(handle: WorkflowHandle, accept: (s: EngineSnapshot) => boolean, what: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const snapshot = await handle.query(engineStateQuery);
    return accept(snapshot) ? snapshot : undefined;
  }, what, timeoutMs);
}

export function untilState(handle: WorkflowHandle, state: EngineState, timeoutMs?: number) {
  return untilSnapshot(handle, (s) => s.state === state, `engine state ${state}`, timeoutMs);
}

export async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

export function scheduledActivities(events: HistoryEvent[]): string[] {
  return events
    .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

export function untilNoPods(core: CoreV1Api, namespace: string, tag: string, timeoutMs?: number) {
  return eventually(async () => ((await podsWithTag(core, namespace, tag)).length === 0 ? true : undefined), `no pod with tag ${tag}`, timeoutMs);
}

/** A driver pod created straight in the apiserver, as spark-submit (or a stranger) would. */
export function foreignPod(name: string, tag: string, annotations: Parameters<typeof driverManifest>[0] = {}): V1Pod {
  const manifest = driverManifest(annotations) as V1Pod;
  return { ...manifest, metadata: { ...manifest.metadata, name, labels: { ...manifest.metadata?.labels, [ENGINE_TAG_LABEL]: tag } } };
}

export async function createForeignPod(core: CoreV1Api, namespace: string, pod: V1Pod): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace, body: pod });
}

/** Removes what a test left on purpose (kept pods), so the namespace stays clean. */
export async function deletePodsWithTag(core: CoreV1Api, namespace: string, tag: string): Promise<void> {
  for (const pod of await podsWithTag(core, namespace, tag)) {
    await core.deleteNamespacedPod({ namespace, name: pod.metadata?.name ?? '', gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

/**
 * Tags a test file uses, so afterAll can end what a failed test left running: a workflow
 * whose worker is gone would keep its pod forever.
 */
export class Leftovers {
  private readonly tags = new Set<string>();

  constructor(private readonly namespace: string) {}

  tag(): string {
    const tag = newTag();
    this.tags.add(tag);
    return tag;
  }

  async clear(core: CoreV1Api, temporalClient: Client | undefined): Promise<void> {
    for (const tag of this.tags) {
      if (temporalClient) {
        await engineHandle(temporalClient, this.namespace, tag).terminate('test cleanup').catch(() => undefined);
      }
      await deletePodsWithTag(core, this.namespace, tag);
    }
  }
}
