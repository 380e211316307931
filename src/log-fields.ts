/**
 * The fields of our log lines, one vocabulary for our code and the Temporal SDK's:
 * `namespace` is always the Kubernetes namespace, `tag` the engine, `pod` its pod;
 * Temporal's own namespace is `temporalNamespace`. Pure, so table-tested.
 */
import { parseEnginePodWorkflowId, parseRecoveryWorkflowId } from './contract/names';

export type LogFields = Record<string, unknown>;

/** The engine (or recovery) a workflow id names: `namespace` and, for an engine, `tag`. */
export function workflowIdFields(workflowId: unknown): LogFields {
  if (typeof workflowId !== 'string') return {};
  const engine = parseEnginePodWorkflowId(workflowId);
  if (engine) return { namespace: engine.namespace, tag: engine.tag };
  const recovering = parseRecoveryWorkflowId(workflowId);
  return recovering ? { namespace: recovering } : {};
}

/**
 * A line from the SDK (worker, workflow `log`, activity context): its `namespace` is
 * Temporal's, so it moves to `temporalNamespace`, and the Kubernetes namespace and tag come
 * from the workflow id (our workflow code passes `pod`, never `namespace`). The task token
 * is an opaque credential-like blob that only bloats every activity line. The SDK names
 * errors `error`; pino serializes (message, stack) only an `err`.
 */
export function sdkLogFields(meta: LogFields | undefined): LogFields {
  if (!meta) return {};
  const { namespace, taskToken: _taskToken, error, ...rest } = meta;
  return {
    ...rest,
    ...(error === undefined ? {} : error instanceof Error && rest.err === undefined ? { err: error } : { error }),
    ...(namespace === undefined ? {} : { temporalNamespace: namespace }),
    ...workflowIdFields(rest.workflowId),
  };
}

export interface ActivityLogInfo {
  activityType: string;
  /** Absent for an activity started outside a workflow. */
  workflowId?: string;
  runId?: string;
}

/**
 * What an activity's own lines about one pod carry: the workflow that asked (so an engine's
 * lines are found by its workflow id) and the engine's tag, namespace and pod. An explicit
 * `tag` wins: recovery's activities act on engines other than their own workflow's.
 */
export function activityLogFields(
  info: ActivityLogInfo | undefined,
  engine: { namespace: string; pod?: string; tag?: string },
): LogFields {
  const fromId = info?.workflowId ? parseEnginePodWorkflowId(info.workflowId) : undefined;
  const tag = engine.tag ?? (fromId?.namespace === engine.namespace ? fromId.tag : undefined);
  return {
    ...(info ? { activityType: info.activityType } : {}),
    ...(info?.workflowId ? { workflowId: info.workflowId, runId: info.runId } : {}),
    namespace: engine.namespace,
    ...(tag === undefined ? {} : { tag }),
    ...(engine.pod === undefined ? {} : { pod: engine.pod }),
  };
}
