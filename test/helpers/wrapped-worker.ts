/**
 * A worker whose real activities a test may wrap (for example to slow createPod so a
 * kill lands while the create is in flight). Kubernetes and Temporal stay real; only the
 * timing of our own code changes. Same isolation as startWorker: a queue of its own.
 */
import type { Activities } from '../../activities';
import { startWorker, type TestWorker } from './env';

export type ActivityWrapper = (real: Activities) => Activities;
export type WrappedWorker = TestWorker;

export function startWrappedWorker(wrap: ActivityWrapper, env: Record<string, string> = {}): Promise<WrappedWorker> {
  return startWorker(env, { wrapActivities: wrap });
}

/**
 * Delays one activity by `ms`: `before` it runs (a slow create), or `after` it has done
 * its work and before its result reaches the workflow (a completion still in flight).
 */
export function delayed<K extends keyof Activities>(name: K, ms: number, when: 'before' | 'after' = 'before'): ActivityWrapper {
  const pause = () => new Promise((resolve) => setTimeout(resolve, ms));
  return (real) => ({
    ...real,
    [name]: async (...args: Parameters<Activities[K]>) => {
      if (when === 'before') await pause();
      const result = await (real[name] as (...a: Parameters<Activities[K]>) => ReturnType<Activities[K]>)(...args);
      if (when === 'after') await pause();
      return result;
    },
  });
}
