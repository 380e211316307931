/**
 * Starting recovery: at worker start (same workflow id on every replica, so replicas
 * starting together run it once) and on a Temporal Schedule the worker keeps current.
 */
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptionsAction } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config';
import type { RecoveryInput } from '../contract/messages';
import { WORKFLOW_TYPES, recoveryScheduleId, recoveryWorkflowId } from '../contract/names';
import type { Logger } from '../logger';

export function recoveryStartOptions(namespace: string, taskQueue: string, input: RecoveryInput = { namespace }) {
  return {
    taskQueue,
    workflowId: recoveryWorkflowId(namespace),
    args: [input] as [RecoveryInput],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    staticSummary: `Recovery of engine pods in ${namespace}`,
  };
}

export async function ensureRecoverySchedule(client: Client, config: Config, namespace: string): Promise<void> {
  const scheduleId = recoveryScheduleId(namespace);
  const spec = { intervals: [{ every: config.recoveryIntervalMs }] };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPES.podRecovery,
    workflowId: recoveryWorkflowId(namespace),
    taskQueue: config.taskQueue,
    args: [{ namespace } satisfies RecoveryInput],
  };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}

/** Schedules recovery for each namespace and runs it once now. */
export async function startRecovery(client: Client, config: Config, namespaces: string[], logger: Logger): Promise<void> {
  for (const namespace of namespaces) {
    await ensureRecoverySchedule(client, config, namespace);
    const handle = await client.workflow.start(WORKFLOW_TYPES.podRecovery, recoveryStartOptions(namespace, config.taskQueue));
    logger.info({ namespace, workflowId: handle.workflowId }, 'recovery started');
  }
}
