/**
 * What crash tests share: a Kubernetes namespace of their own, client calls that ride out
 * a Temporal restart, every run of a workflow's history, and a cleanup that leaves
 * neither pods nor workflows nor schedules behind.
 */
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import { ScheduleNotFoundError, isGrpcServiceError, type Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { enginePodWorkflowId, recoveryScheduleId, recoveryWorkflowId } from '../../src/contract/names';
import type { HistoryEvent } from './engine';

/** gRPC codes a client sees while the dev server restarts ("Not enough hosts..." is UNAVAILABLE). */
const TRANSIENT_CODES = new Set([
  1, // CANCELLED: a call cut off by the server going away
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  13, // INTERNAL: RST_STREAM on a connection that died mid-call
  14, // UNAVAILABLE
]);

export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e) && TRANSIENT_CODES.has(e.code)) return true;
    if (/Not enough hosts|ECONNREFUSED|ECONNRESET|Connection dropped|No connection established/i.test(e.message)) return true;
  }
  return false;
}

/** Retries `call` on transient Temporal errors until `timeoutMs` has passed; other errors fail at once. */
export async function retryTransient<T>(call: () => Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (Date.now() > deadline) {
        throw new Error(`${what}: still failing after ${timeoutMs} ms (${attempt} attempts): ${(error as Error).message}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)));
    }
  }
}

/** A namespace for one test alone, so its worker's recovery and the pod count see only its pods. */
export async function createNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'kyuubi-pods.test/owner': prefix } } } });
  return name;
}

export async function podsIn(core: CoreV1Api, namespace: string) {
  return (await core.listNamespacedPod({ namespace })).items;
}

/** Every event of every run of a workflow, following continue-as-new from its first run. */
export async function historyChain(client: Client, workflowId: string, firstRunId?: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for (let runId = firstRunId, runs = 0; runs < 100; runs++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const runEvents = history.events ?? [];
    events.push(...runEvents);
    const next = runEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) break;
    runId = next;
  }
  return events;
}

/**
 * Workflow task failures that mean a bug (non-determinism, an exception in workflow code).
 * UnhandledCommand is left out: the server's own "new events arrived while you completed,
 * redo the task" (here: a kill landing as the engine closes), not a fault of the workflow.
 */
export function workflowTaskFailures(events: HistoryEvent[]): string[] {
  return events
    .filter((event) => event.workflowTaskFailedEventAttributes)
    .filter((event) => event.workflowTaskFailedEventAttributes?.cause !== temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND)
    .map((event) => {
      const failed = event.workflowTaskFailedEventAttributes;
      return `event ${String(event.eventId)} cause ${String(failed?.cause)}: ${failed?.failure?.message ?? ''}`;
    });
}

export const eventMs = (event: HistoryEvent | undefined): number | undefined =>
  event?.eventTime ? tsToMs(event.eventTime) : undefined;

/** When each run of `activity` was scheduled and when it completed (undefined: not in history). */
export function activityTimes(events: HistoryEvent[], activity: string): { scheduledMs?: number; completedMs?: number }[] {
  const byId = new Map(events.map((event) => [String(event.eventId), event]));
  return events
    .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activity)
    .map((scheduled) => {
      const completed = events.find(
        (event) => String(event.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId),
      );
      return { scheduledMs: eventMs(byId.get(String(scheduled.eventId))), completedMs: eventMs(completed) };
    });
}

/**
 * Ends what a test started in its namespace, also after a failure: running engine
 * workflows, the recovery Schedule and run the worker made, pods, and the namespace.
 */
export async function clearNamespace(core: CoreV1Api, client: Client | undefined, namespace: string, tags: string[]): Promise<void> {
  if (client) {
    // Each step rides out a Temporal restart briefly; a workflow already closed is fine.
    const quietly = (what: string, call: () => Promise<unknown>) => retryTransient(call, what, 20_000).catch(() => undefined);
    await quietly('delete recovery schedule', () =>
      client.schedule.getHandle(recoveryScheduleId(namespace)).delete().catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      }),
    );
    await quietly('terminate recovery', () => client.workflow.getHandle(recoveryWorkflowId(namespace)).terminate('crash test cleanup'));
    for (const tag of tags) {
      await quietly('terminate engine', () => client.workflow.getHandle(enginePodWorkflowId(namespace, tag)).terminate('crash test cleanup'));
    }
  }
  for (const pod of await podsIn(core, namespace).catch(() => [])) {
    await core.deleteNamespacedPod({ namespace, name: pod.metadata?.name ?? '', gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  // Without a namespace controller the namespace stays Terminating, but nothing can be created in it.
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
}
