/**
 * The end-of-soak checks, read from the real servers: every run's history (all of them,
 * from visibility), workflows still running, and pods left in the soak's namespaces.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventMs, retryTransient, workflowTaskFailures } from '../test/helpers/crash';
import type { HistoryFacts } from './summary';

const UNHANDLED_COMMAND = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;

/** Scans every workflow run the soak's Temporal knows for workflow task failures. */
export async function scanHistories(client: Client): Promise<HistoryFacts> {
  const facts: HistoryFacts = { workflows: 0, events: 0, taskFailures: [], unhandledCommandRedos: 0, taskTimeouts: 0, activityTimeouts: 0, continuedAsNew: 0 };
  const runs = await retryTransient(async () => {
    const found: { workflowId: string; runId: string }[] = [];
    for await (const execution of client.workflow.list()) found.push({ workflowId: execution.workflowId, runId: execution.runId });
    return found;
  }, 'list workflows');
  for (const { workflowId, runId } of runs) {
    const history = await retryTransient(() => client.workflow.getHandle(workflowId, runId).fetchHistory(), `history of ${workflowId}`);
    const events = history.events ?? [];
    facts.workflows++;
    facts.events += events.length;
    for (const failure of workflowTaskFailures(events)) facts.taskFailures.push(`${workflowId} run ${runId}: ${failure}`);
    for (const event of events) {
      if (event.workflowTaskFailedEventAttributes?.cause === UNHANDLED_COMMAND) facts.unhandledCommandRedos++;
      if (event.workflowTaskTimedOutEventAttributes) facts.taskTimeouts++;
      if (event.activityTaskTimedOutEventAttributes) facts.activityTimeouts++;
      if (event.workflowExecutionContinuedAsNewEventAttributes) facts.continuedAsNew++;
    }
  }
  return facts;
}

/** Workflows still running once `timeoutMs` has passed (recovery runs get that long to end). */
export async function stillRunning(client: Client, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await retryTransient(async () => {
      const found: string[] = [];
      for await (const execution of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
        found.push(`${execution.workflowId} (${execution.type}, run ${execution.runId})`);
      }
      return found;
    }, 'list running workflows');
    if (running.length === 0 || Date.now() > deadline) return running;
    await sleep(2_000);
  }
}

/** Pods in the namespaces once `timeoutMs` has passed (a deleted pod takes kwok a moment). */
export async function podsLeft(core: CoreV1Api, namespaces: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: string[] = [];
    for (const namespace of namespaces) {
      const pods = await core.listNamespacedPod({ namespace });
      for (const pod of pods.items) {
        const deleting = pod.metadata?.deletionTimestamp ? `, deleting since ${new Date(pod.metadata.deletionTimestamp).toISOString()}` : '';
        left.push(`${namespace}/${pod.metadata?.name} (${pod.status?.phase ?? 'no phase'}${deleting})`);
      }
    }
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(2_000);
  }
}

/** A workflow's history as short lines (time since `baseMs`, event, activity, worker, failure), for the slowest engines. */
export async function timeline(client: Client, workflowId: string, baseMs: number): Promise<string[]> {
  const history = await retryTransient(() => client.workflow.getHandle(workflowId).fetchHistory(), `history of ${workflowId}`);
  const events = history.events ?? [];
  const activityOf = new Map<string, string>();
  return events.map((event) => {
    const type = temporal.api.enums.v1.EventType[event.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '') ?? String(event.eventType);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityOf.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const ref = event.activityTaskStartedEventAttributes ?? event.activityTaskCompletedEventAttributes ?? event.activityTaskTimedOutEventAttributes ??
      event.activityTaskFailedEventAttributes ?? event.activityTaskCancelRequestedEventAttributes ?? event.activityTaskCanceledEventAttributes;
    const activity = scheduled?.activityType?.name ?? (ref?.scheduledEventId ? activityOf.get(String(ref.scheduledEventId)) : undefined);
    const failure = event.activityTaskTimedOutEventAttributes?.failure?.message ?? event.activityTaskFailedEventAttributes?.failure?.message ??
      event.workflowTaskTimedOutEventAttributes?.timeoutType?.toString();
    const identity = event.activityTaskStartedEventAttributes?.identity ?? event.workflowTaskStartedEventAttributes?.identity;
    const at = (((eventMs(event) ?? baseMs) - baseMs) / 1000).toFixed(1).padStart(6);
    return `+${at} s ${type}${activity ? ` ${activity}` : ''}${identity ? ` by ${identity}` : ''}${failure ? ` (${failure})` : ''}`;
  });
}
