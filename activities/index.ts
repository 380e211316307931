import type { ActivityDeps } from './deps';
import { heartbeating } from './heartbeat';
import { createPodActivities } from './pods';
import { createRecoveryActivities } from './recovery';

export type { ActivityDeps } from './deps';

/** Every activity the worker registers, built over injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  const recovery = createRecoveryActivities(deps);
  return {
    ...createPodActivities(deps),
    ...recovery,
    // Recovery's per-page activities can run long (a page of 500 pods): they heartbeat, so
    // a crashed worker's attempt is retried after the workflow's heartbeatTimeout.
    listPodsPage: heartbeating(recovery.listPodsPage.bind(recovery)),
    findEngines: heartbeating(recovery.findEngines.bind(recovery)),
    adoptEngines: heartbeating(recovery.adoptEngines.bind(recovery)),
    deleteOrphans: heartbeating(recovery.deleteOrphans.bind(recovery)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
