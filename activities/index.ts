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
    listPodsPage: heartbeating((args: Parameters<typeof recovery.listPodsPage>[0]) => recovery.listPodsPage(args)),
    findEngines: heartbeating((args: Parameters<typeof recovery.findEngines>[0]) => recovery.findEngines(args)),
    adoptEngines: heartbeating((args: Parameters<typeof recovery.adoptEngines>[0]) => recovery.adoptEngines(args)),
    deleteOrphans: heartbeating((args: Parameters<typeof recovery.deleteOrphans>[0]) => recovery.deleteOrphans(args)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
