/**
 * An activity's logger for one engine's pod: the pino logger with the asking workflow's id
 * and the engine's tag, namespace and pod bound, so every line about an engine can be
 * found by its workflow id and carries the same fields as the workflow's own lines.
 */
import { Context } from '@temporalio/activity';
import { activityLogFields, type ActivityLogInfo } from '../src/log-fields';
import type { Logger } from '../src/logger';

function currentActivity(): ActivityLogInfo | undefined {
  try {
    const { info } = Context.current();
    return { activityType: info.activityType, workflowId: info.workflowExecution?.workflowId, runId: info.workflowExecution?.runId };
  } catch {
    // Called outside an activity (a unit test driving the function directly).
    return undefined;
  }
}

export function engineLogger(logger: Logger, engine: { namespace: string; pod?: string; tag?: string }): Logger {
  return logger.child(activityLogFields(currentActivity(), engine));
}
