/**
 * The typed client library for TypeScript callers (Kyuubi's JVM side speaks the same
 * contract through the Temporal Java SDK and schema/). Inputs are validated before
 * anything is started.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  engineStateQuery,
  killUpdate,
  searchAttributeKeys,
  type EngineOutcome,
  type EngineSnapshot,
} from './contract/messages';
import { SEARCH_ATTRIBUTES, TASK_QUEUE, WORKFLOW_TYPES, enginePodWorkflowId, type EngineState } from './contract/names';
import { InvalidInputError, assertNamespaceAllowed } from './contract/normalize';
import { describeIssues, enginePodInputSchema, engineStateSchema, namespaceSchema, type EnginePodInput } from './contract/schemas';
import { connectClient } from './temporal';
import { loadConfig } from './config';

export { InvalidInputError };
export type { EnginePodInput, EngineOutcome, EngineSnapshot };

export class EngineNotFoundError extends Error {
  override name = 'EngineNotFoundError';
}

export class EngineAlreadyEndedError extends Error {
  override name = 'EngineAlreadyEndedError';
}

export interface EngineRef {
  tag: string;
  namespace: string;
}

export interface LaunchedEngine extends EngineRef {
  workflowId: string;
  runId: string;
  /** False when an engine with this tag was already running: launch is idempotent. */
  started: boolean;
}

export interface EngineSummary extends EngineRef {
  workflowId: string;
  status: string;
  state?: string;
  podName?: string;
  startTime: string;
  closeTime?: string;
}

export class EngineClient {
  constructor(
    readonly temporal: Client,
    readonly taskQueue: string = TASK_QUEUE,
    /** KPL_NAMESPACES: a launch elsewhere is refused before anything starts; undefined = any. */
    readonly namespaces?: readonly string[],
  ) {}

  /** Connects with Temporal's environment settings; KPL_TASK_QUEUE and KPL_NAMESPACES apply. */
  static async connect(): Promise<EngineClient> {
    // Configuration first: a bad KPL_* value is bad input even when Temporal is unreachable.
    const config = loadConfig();
    return new EngineClient(await connectClient(), config.taskQueue, config.namespaces);
  }

  async launchEngine(input: EnginePodInput): Promise<LaunchedEngine> {
    const parsed = enginePodInputSchema.safeParse(input);
    if (!parsed.success) throw new InvalidInputError(`Invalid engine input:\n${describeIssues(parsed.error)}`);
    const { tag, namespace } = parsed.data;
    assertNamespaceAllowed(namespace, this.namespaces);
    const workflowId = enginePodWorkflowId(namespace, tag);
    try {
      const handle = await this.temporal.workflow.start(WORKFLOW_TYPES.enginePod, {
        taskQueue: this.taskQueue,
        workflowId,
        // The caller's input as sent: the worker applies its own defaults when it validates.
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Engine ${tag} in ${namespace} (${parsed.data.mode ?? 'create'})`,
        typedSearchAttributes: [
          { key: searchAttributeKeys.engineTag, value: tag },
          { key: searchAttributeKeys.namespace, value: namespace },
          { key: searchAttributeKeys.engineState, value: 'PENDING' },
        ],
      });
      return { tag, namespace, workflowId, runId: handle.firstExecutionRunId, started: true };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw new InvalidInputError(`Engine ${tag} in ${namespace} already ran (workflow ${workflowId}): use a new tag`);
      }
      throw error;
    }
  }

  /** The engine's snapshot, also for an engine whose workflow has closed. */
  async getEngine(ref: EngineRef): Promise<EngineSnapshot> {
    const handle = this.handle(ref);
    const description = await this.describe(ref);
    if (description.status.name === 'COMPLETED') return handle.result() as Promise<EngineOutcome>;
    return handle.query(engineStateQuery);
  }

  /** Kills the engine and returns its snapshot once the pod's delete is accepted. */
  async killEngine(ref: EngineRef, reason?: string): Promise<EngineSnapshot> {
    const description = await this.describe(ref);
    if (description.status.name !== 'RUNNING') {
      // A closed workflow takes no update; say what the engine ended as, like the workflow would.
      const ended = description.status.name === 'COMPLETED' ? ((await this.handle(ref).result()) as EngineOutcome).state : description.status.name;
      throw new EngineAlreadyEndedError(`Engine ${ref.tag} is already ${ended}: there is nothing to kill`);
    }
    return this.handle(ref).executeUpdate(killUpdate, { args: [{ reason }] });
  }

  async waitForEngine(ref: EngineRef): Promise<EngineOutcome> {
    await this.describe(ref);
    return this.handle(ref).result() as Promise<EngineOutcome>;
  }

  async listEngines(filter: { namespace?: string; state?: EngineState; limit?: number } = {}): Promise<EngineSummary[]> {
    const clauses = [`WorkflowType = '${WORKFLOW_TYPES.enginePod}'`];
    if (filter.namespace) clauses.push(`${SEARCH_ATTRIBUTES.namespace} = '${namespaceSchema.parse(filter.namespace)}'`);
    if (filter.state) clauses.push(`${SEARCH_ATTRIBUTES.engineState} = '${engineStateSchema.parse(filter.state)}'`);
    const summaries: EngineSummary[] = [];
    for await (const execution of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      const attributes = execution.typedSearchAttributes;
      summaries.push({
        tag: attributes.get(searchAttributeKeys.engineTag) ?? '',
        namespace: attributes.get(searchAttributeKeys.namespace) ?? '',
        workflowId: execution.workflowId,
        status: execution.status.name,
        state: attributes.get(searchAttributeKeys.engineState),
        podName: attributes.get(searchAttributeKeys.podName),
        startTime: execution.startTime.toISOString(),
        closeTime: execution.closeTime?.toISOString(),
      });
      if (filter.limit && summaries.length >= filter.limit) break;
    }
    return summaries;
  }

  private handle({ tag, namespace }: EngineRef) {
    return this.temporal.workflow.getHandle(enginePodWorkflowId(namespace, tag));
  }

  private async describe(ref: EngineRef) {
    try {
      return await this.handle(ref).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new EngineNotFoundError(`No engine ${ref.tag} in namespace ${ref.namespace} (workflow ${enginePodWorkflowId(ref.namespace, ref.tag)})`);
      }
      throw error;
    }
  }
}
