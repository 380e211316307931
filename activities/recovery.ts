/**
 * Recovery's activities: list labelled pods page by page, learn which engines Temporal
 * runs, and act on orphans. Every action re-checks what it relies on, so a retry or a
 * second replica does no harm.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { DELETE_REASONS, searchAttributeKeys, type EngineOutcome } from '../src/contract/messages';
import {
  ENGINE_TAG_LABEL,
  INSTANCE_LABEL,
  SEARCH_ATTRIBUTES,
  WORKFLOW_TYPES,
  enginePodWorkflowId,
} from '../src/contract/names';
import { namespaceSchema } from '../src/contract/schemas';
import { engineState } from '../src/k8s/engine-state';
import { statusCode, statusMessage } from '../src/k8s/kube';
import { INVALID_RECOVERY_INPUT, type EngineRecord, type PodDecision, type PodSummary } from '../src/recovery/plan';
import type { ActivityDeps } from './deps';
import { engineLogger } from './log';
import { createPodActivities } from './pods';

export interface RecoverySettings {
  namespace: string;
  selector: string;
  instance: string;
  retainPeriodMs: number;
  pageSize: number;
  taskQueue: string;
}

export interface PodPage {
  pods: PodSummary[];
  continueToken?: string;
}

/** Visibility queries stay short: tags are looked up this many at a time. */
const TAGS_PER_QUERY = 100;
const PARALLEL_ACTIONS = 8;

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
  });
  await Promise.all(workers);
}

export function createRecoveryActivities(deps: ActivityDeps) {
  const { kube, config, metrics, logger } = deps;
  const podActivities = createPodActivities(deps);
  const temporal = (): Client => {
    if (!deps.temporal) throw new Error('recovery activities need a Temporal client in their deps');
    return deps.temporal;
  };

  function summarize(pod: V1Pod): PodSummary | undefined {
    const labels = pod.metadata?.labels ?? {};
    const tag = labels[ENGINE_TAG_LABEL];
    if (!tag || !pod.metadata?.name || !pod.metadata.uid) return undefined;
    const view = engineState(pod, config.defaultPolicy);
    return {
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      tag,
      instance: labels[INSTANCE_LABEL],
      state: view.state,
      terminatedAt: view.terminatedAt,
      deleting: Boolean(pod.metadata.deletionTimestamp),
    };
  }

  /** What Temporal holds for one tag, read from the workflow itself (not visibility). */
  async function describeEngine(namespace: string, tag: string): Promise<EngineRecord> {
    const handle = temporal().workflow.getHandle(enginePodWorkflowId(namespace, tag));
    try {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return { status: 'running' };
      if (status.name !== 'COMPLETED') return { status: 'closed' };
      const outcome = (await handle.result()) as EngineOutcome;
      return outcome.podDeleted ? { status: 'closed', deletedPodUid: outcome.podUid } : { status: 'kept', podUid: outcome.podUid };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { status: 'none' };
      throw error;
    }
  }

  /** Acts on each orphan, a few at a time; returns the uids it could not act on. */
  async function actOnEach(
    namespace: string,
    decision: 'adopt' | 'delete',
    pods: PodDecision[],
    act: (pod: PodDecision) => Promise<boolean>,
  ): Promise<string[]> {
    const failed: string[] = [];
    await inParallel(pods, PARALLEL_ACTIONS, async (pod) => {
      const log = engineLogger(logger, { namespace, tag: pod.tag, pod: pod.pod });
      try {
        if (await act(pod)) {
          metrics.orphans.inc({ namespace, decision });
          log.info({ why: pod.why }, `orphan pod: ${decision} done`);
        } else {
          failed.push(pod.uid);
        }
      } catch (error) {
        log.warn({ why: pod.why, err: error }, `orphan pod: could not ${decision} it`);
        failed.push(pod.uid);
      }
    });
    return failed;
  }

  return {
    /** The worker's settings for a recovery run, so the workflow reads no environment. */
    async recoverySettings(input: { namespace: string; selector?: string; pageSize?: number }): Promise<RecoverySettings> {
      const namespace = namespaceSchema.safeParse(input.namespace);
      if (!namespace.success) {
        throw ApplicationFailure.nonRetryable(`namespace "${input.namespace}": ${namespace.error.issues[0]?.message}`, INVALID_RECOVERY_INPUT);
      }
      // Outside the allow-list this installation must not delete nor adopt anything (the
      // engines it would start are rejected by their own input check anyway).
      if (config.namespaces && !config.namespaces.includes(namespace.data)) {
        throw ApplicationFailure.nonRetryable(
          `namespace "${namespace.data}" is not managed by this installation (KPL_NAMESPACES allows ${config.namespaces.join(', ')})`,
          INVALID_RECOVERY_INPUT,
        );
      }
      return {
        namespace: namespace.data,
        selector: input.selector ?? config.recoverySelector,
        instance: config.instance,
        retainPeriodMs: config.defaultPolicy.retainPeriodMs,
        pageSize: input.pageSize ?? config.recoveryPageSize,
        taskQueue: config.taskQueue,
      };
    },

    async listPodsPage(args: { namespace: string; selector: string; limit: number; continueToken?: string }): Promise<PodPage> {
      const list = async (token?: string) =>
        kube.call('list', (options) =>
          kube.core.listNamespacedPod(
            { namespace: args.namespace, labelSelector: args.selector, limit: args.limit, _continue: token },
            options,
          ),
        );
      let page;
      try {
        page = await list(args.continueToken);
      } catch (error) {
        // A selector the apiserver cannot parse fails the same way on every retry: a retried
        // run would hold the recovery workflow id, and so block the Schedule, forever.
        if (statusCode(error) === 400) {
          throw ApplicationFailure.nonRetryable(`selector "${args.selector}": ${statusMessage(error)}`, INVALID_RECOVERY_INPUT);
        }
        // An expired continue token (410): start over; every decision is re-derived anyway.
        if (statusCode(error) !== 410) throw error;
        page = await list(undefined);
      }
      return {
        pods: page.items.map(summarize).filter((p): p is PodSummary => p !== undefined),
        continueToken: page.metadata?._continue || undefined,
      };
    },

    /** One visibility query per chunk of tags; every tag not seen running is confirmed by describe. */
    async findEngines(args: { namespace: string; tags: string[] }): Promise<Record<string, EngineRecord>> {
      const running = new Set<string>();
      const tags = [...new Set(args.tags)];
      for (let i = 0; i < tags.length; i += TAGS_PER_QUERY) {
        const chunk = tags.slice(i, i + TAGS_PER_QUERY);
        const query =
          `WorkflowType = '${WORKFLOW_TYPES.enginePod}' AND ExecutionStatus = 'Running' AND ` +
          `${SEARCH_ATTRIBUTES.namespace} = '${args.namespace}' AND ` +
          `${SEARCH_ATTRIBUTES.engineTag} IN (${chunk.map((t) => `'${t}'`).join(', ')})`;
        for await (const execution of temporal().workflow.list({ query })) {
          const tag = execution.typedSearchAttributes.get(searchAttributeKeys.engineTag);
          if (tag) running.add(tag);
        }
      }
      const records: Record<string, EngineRecord> = {};
      await inParallel(tags, PARALLEL_ACTIONS, async (tag) => {
        records[tag] = running.has(tag) ? { status: 'running' } : await describeEngine(args.namespace, tag);
      });
      return records;
    },

    /** Starts an engine in track mode for each orphan; an engine already running is kept. */
    async adoptEngines(args: { namespace: string; taskQueue: string; pods: PodDecision[] }): Promise<string[]> {
      return actOnEach(args.namespace, 'adopt', args.pods, async (pod) => {
        await temporal().workflow.start(WORKFLOW_TYPES.enginePod, {
          taskQueue: args.taskQueue,
          workflowId: enginePodWorkflowId(args.namespace, pod.tag),
          args: [{ tag: pod.tag, namespace: args.namespace, mode: 'track', podName: pod.pod, podUid: pod.uid }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          // An engine whose workflow ended without its pod gets a new run under the same id.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          staticSummary: `Engine ${pod.tag} in ${args.namespace}, adopted by recovery (${pod.why})`,
          typedSearchAttributes: [
            { key: searchAttributeKeys.engineTag, value: pod.tag },
            { key: searchAttributeKeys.namespace, value: args.namespace },
            { key: searchAttributeKeys.engineState, value: pod.state },
            { key: searchAttributeKeys.podName, value: pod.pod },
          ],
        });
        return true;
      });
    },

    /** Deletes orphans past retention, after confirming again that no engine took them. */
    async deleteOrphans(args: { namespace: string; pods: PodDecision[] }): Promise<string[]> {
      return actOnEach(args.namespace, 'delete', args.pods, async (pod) => {
        if ((await describeEngine(args.namespace, pod.tag)).status === 'running') return false;
        await podActivities.deletePod({ namespace: args.namespace, name: pod.pod, uid: pod.uid, reason: DELETE_REASONS.orphanPastRetention, tag: pod.tag });
        return true;
      });
    },

    async recordRecoveryRun(args: { namespace: string; seconds: number }): Promise<void> {
      metrics.recoveryRuns.inc({ namespace: args.namespace });
      metrics.recoveryDuration.observe({ namespace: args.namespace }, args.seconds);
    },
  };
}
