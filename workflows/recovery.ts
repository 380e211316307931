/**
 * `podRecovery`: finds every labelled pod without a live engine workflow in one namespace
 * and adopts or deletes it. Each page's decisions are activity inputs, so the history in
 * the UI says what was done to which pod and why.
 */
import {
  ParentClosePolicy,
  continueAsNew,
  executeChild,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type RetryPolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import { recoveryProgressQuery, type CarriedRecovery, type RecoveryInput } from '../src/contract/messages';
import { recoveryWorkflowId } from '../src/contract/names';
import { INVALID_RECOVERY_INPUT, addPage, decide, emptyReport, type PodDecision, type RecoveryReport } from '../src/recovery/plan';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' };
const { listPodsPage, findEngines, adoptEngines, deleteOrphans, recordRecoveryRun } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // A worker killed mid-page would otherwise stall recovery until startToClose (the crash
  // soak saw recovery runs wait out those 5 minutes); these activities heartbeat.
  heartbeatTimeout: '30 seconds',
  retry,
});
const { recoverySettings } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [INVALID_RECOVERY_INPUT] },
});

/** Pages per run before continue-as-new, whatever the server suggests: keeps 10,000 pods' history small. */
const PAGES_PER_RUN = 10;

export async function podRecovery(input: RecoveryInput, carried?: CarriedRecovery): Promise<RecoveryReport> {
  let report = carried?.report ?? emptyReport(input.namespace, Boolean(input.dryRun), new Date(Date.now()).toISOString());
  setHandler(recoveryProgressQuery, () => report);

  // A Schedule appends the scheduled time to the workflow id it starts, so its runs would
  // not share the one recovery id and could act beside a run started at worker start or by
  // the CLI (two DELETEs of one pod). It runs recovery under that id instead, or leaves it
  // to the run already there.
  const canonicalId = recoveryWorkflowId(input.namespace);
  if (!input.dryRun && workflowInfo().workflowId !== canonicalId && patched('recovery-under-one-id')) {
    try {
      return await executeChild(podRecovery, {
        workflowId: canonicalId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        // The run is the namespace's recovery, which others may have attached to: it outlives this one.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Recovery of engine pods in ${input.namespace}, started by ${workflowInfo().workflowId}`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      log.info('recovery already running under its id: leaving this round to it', { workflowId: canonicalId });
      return { ...report, alreadyRunning: canonicalId };
    }
  }

  const settings = await recoverySettings(input);
  let continueToken = carried?.continueToken;
  for (let page = 0; ; page++) {
    if (page >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof podRecovery>(input, { report, continueToken });
    }
    const pods = await listPodsPage({ namespace: settings.namespace, selector: settings.selector, limit: settings.pageSize, continueToken });
    const records = pods.pods.length ? await findEngines({ namespace: settings.namespace, tags: pods.pods.map((p) => p.tag) }) : {};
    const context = { instance: settings.instance, retainPeriodMs: settings.retainPeriodMs, nowMs: Date.now() };
    const decisions = pods.pods.map((pod) => decide(pod, records[pod.tag] ?? { status: 'none' }, context));
    const failed = input.dryRun ? [] : await act(settings.namespace, settings.taskQueue, decisions);
    report = addPage(report, decisions, new Set(failed));
    continueToken = pods.continueToken;
    if (!continueToken) break;
  }
  if (!input.dryRun) {
    await recordRecoveryRun({ namespace: settings.namespace, seconds: (Date.now() - Date.parse(report.startedAt)) / 1000 });
  }
  return report;
}

async function act(namespace: string, taskQueue: string, decisions: PodDecision[]): Promise<string[]> {
  const adopt = decisions.filter((d) => d.decision === 'adopt');
  const remove = decisions.filter((d) => d.decision === 'delete');
  const [adoptFailed, deleteFailed] = await Promise.all([
    adopt.length ? adoptEngines({ namespace, taskQueue, pods: adopt }) : Promise.resolve([]),
    remove.length ? deleteOrphans({ namespace, pods: remove }) : Promise.resolve([]),
  ]);
  return [...adoptFailed, ...deleteFailed];
}
