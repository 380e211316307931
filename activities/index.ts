import type { ActivityDeps } from './deps';
import { createPodActivities } from './pods';
import { createRecoveryActivities } from './recovery';

export type { ActivityDeps } from './deps';

/** Every activity the worker registers, built over injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPodActivities(deps),
    ...createRecoveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
