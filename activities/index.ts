import type { ActivityDeps } from './deps';
import { createPodActivities } from './pods';

export type { ActivityDeps } from './deps';

/** Every activity the worker registers, built over injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPodActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
