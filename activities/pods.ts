/**
 * Activities on one engine's pod. Each is idempotent: a retry after a crash finds what
 * the first attempt did and carries on from there.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FAILURE_TYPES, type NormalizedEngineInput, type PodObservation } from '../src/contract/messages';
import { ENGINE_TAG_LABEL, type EngineState } from '../src/contract/names';
import { InvalidInputError, normalizeEngineInput } from '../src/contract/normalize';
import { deletedPodView, engineState, type EngineStateOptions } from '../src/k8s/engine-state';
import { statusCode, statusMessage } from '../src/k8s/kube';
import type { NamespacePodWatcher, PodEvent } from '../src/k8s/pod-watcher';
import { deleteReasonLabel } from '../src/metrics';
import type { ActivityDeps } from './deps';
import { heartbeatWhileWaiting } from './heartbeat';
import { engineLogger } from './log';

const HEARTBEAT_INTERVAL_MS = 5_000;
/** A watch window never outlives the workflow's startToClose for watchPod (2 h). */
const MAX_WATCH_WINDOW_MS = 90 * 60_000;

export interface WatchPodArgs {
  namespace: string;
  name: string;
  uid: string;
  /** What the workflow last saw; the activity returns when the pod differs from it. */
  known: Pick<PodObservation, 'state' | 'phase' | 'reason'>;
  stateOptions: EngineStateOptions;
}

export interface FindPodArgs {
  namespace: string;
  tag: string;
  podName?: string;
  podUid?: string;
  /** ISO time after which the pod counts as never submitted. */
  deadline: string;
  stateOptions: EngineStateOptions;
}

export interface DeletePodArgs {
  namespace: string;
  name: string;
  uid: string;
  reason: string;
  /** The engine's tag, for logs, when the caller is not the engine's own workflow (recovery). */
  tag?: string;
}
export type DeletePodResult = 'deleted' | 'already-gone';

export function observePod(pod: V1Pod, options: EngineStateOptions): PodObservation {
  return toObservation(pod, engineState(pod, options));
}

function toObservation(pod: V1Pod, view: ReturnType<typeof engineState>): PodObservation {
  return {
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    createdAt: isoTime(pod.metadata?.creationTimestamp),
    ...view,
  };
}

function isoTime(time: Date | string | undefined): string | undefined {
  if (time === undefined) return undefined;
  return time instanceof Date ? time.toISOString() : new Date(time).toISOString();
}

function differs(observation: PodObservation, known: WatchPodArgs['known']): boolean {
  return observation.state !== known.state || observation.phase !== known.phase || observation.reason !== known.reason;
}

function goneObservation(name: string, uid: string, state: EngineState, message: string): PodObservation {
  return { name, uid, state, gone: true, message };
}

/** Longer than a kube-apiserver restart; an activity attempt waiting past it is retried. */
const POD_CACHE_WAIT_LIMIT_MS = 2 * 60_000;

export function createPodActivities({ kube, watchers, config, metrics, logger }: ActivityDeps) {
  const podCache = (namespace: string) =>
    heartbeatWhileWaiting(watchers.forNamespace(namespace), `the pod cache of namespace ${namespace}`, POD_CACHE_WAIT_LIMIT_MS);
  /**
   * Resolves with the first event that `accept` maps to a result, or undefined at the
   * deadline. `recheck` runs once subscribed, so a change between the caller's last look
   * and the subscription is not missed.
   */
  function waitForEvent<T>(
    watcher: NamespacePodWatcher,
    accept: (event: PodEvent) => T | undefined,
    timeoutMs: number,
    recheck: () => T | undefined,
  ): Promise<T | undefined> {
    const context = Context.current();
    return new Promise<T | undefined>((resolve, reject) => {
      const finish = (result: T | undefined, error?: Error) => {
        unsubscribe();
        clearInterval(heartbeat);
        clearTimeout(timer);
        context.cancellationSignal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(result);
      };
      const unsubscribe = watcher.subscribe((event) => {
        const result = accept(event);
        if (result !== undefined) finish(result);
      });
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const onAbort = () => {
        const reason: unknown = context.cancellationSignal.reason;
        finish(undefined, reason instanceof Error ? reason : new Error(String(reason)));
      };
      context.cancellationSignal.addEventListener('abort', onAbort);
      const already = recheck();
      if (already !== undefined) finish(already);
    });
  }

  async function readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await kube.call('get', (options) => kube.core.readNamespacedPod({ name, namespace }, options));
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  return {
    /** Validates a caller's raw input; bad input fails the engine before anything exists. */
    async normalizeInput(raw: unknown): Promise<NormalizedEngineInput> {
      try {
        return normalizeEngineInput(raw, config);
      } catch (error) {
        if (error instanceof InvalidInputError) {
          throw ApplicationFailure.nonRetryable(error.message, FAILURE_TYPES.invalidInput);
        }
        throw error;
      }
    },

    async createPod(input: NormalizedEngineInput): Promise<PodObservation> {
      const { namespace, tag, pod, podName } = input;
      if (!pod || !podName) throw ApplicationFailure.nonRetryable('createPod needs a manifest', FAILURE_TYPES.invalidInput);
      const stateOptions = input.policy;
      try {
        const created = await kube.call('create', (options) => kube.core.createNamespacedPod({ namespace, body: pod }, options));
        metrics.podsCreated.inc({ namespace });
        engineLogger(logger, { namespace, pod: podName, tag }).info('pod created');
        return observePod(created, stateOptions);
      } catch (error) {
        const code = statusCode(error);
        if (code === 409) {
          // A retried create whose first attempt succeeded: the pod with our tag is ours.
          const existing = await readPod(namespace, podName);
          if (existing && existing.metadata?.labels?.[ENGINE_TAG_LABEL] === tag) return observePod(existing, stateOptions);
          throw ApplicationFailure.nonRetryable(
            `Pod ${namespace}/${podName} already exists and belongs to engine ` +
              `"${existing?.metadata?.labels?.[ENGINE_TAG_LABEL] ?? '(none)'}", not "${tag}": name the pod differently`,
            FAILURE_TYPES.podNameConflict,
          );
        }
        if (code !== undefined && code >= 400 && code < 500 && code !== 429) {
          throw ApplicationFailure.nonRetryable(
            `Kubernetes refused to create pod ${namespace}/${podName} (HTTP ${code}): ${statusMessage(error)}`,
            `KubernetesRejected${code}`,
          );
        }
        throw error;
      }
    },

    /** Track mode: waits until a pod with the engine's tag exists, or the deadline passes. */
    async findPod(args: FindPodArgs): Promise<PodObservation | null> {
      const watcher = await podCache(args.namespace);
      const matches = (pod: V1Pod) =>
        args.podUid ? pod.metadata?.uid === args.podUid : pod.metadata?.labels?.[ENGINE_TAG_LABEL] === args.tag;
      const cached = args.podName ? watcher.get(args.podName) : watcher.findByTag(args.tag);
      if (cached && matches(cached)) return observePod(cached, args.stateOptions);
      if (args.podUid && args.podName) {
        // Adoption names a pod that existed a moment ago; absent from the cache means gone.
        const pod = await readPod(args.namespace, args.podName);
        return pod && matches(pod) ? observePod(pod, args.stateOptions) : null;
      }
      const remainingMs = Date.parse(args.deadline) - Date.now();
      if (remainingMs <= 0) return null;
      const found = await waitForEvent(
        watcher,
        (event) => (event.type !== 'delete' && matches(event.pod) ? event.pod : undefined),
        remainingMs,
        () => watcher.pods().find(matches),
      );
      return found ? observePod(found, args.stateOptions) : null;
    },

    /** Returns when the pod's engine state differs from `known`, or at the end of a window. */
    async watchPod(args: WatchPodArgs): Promise<PodObservation> {
      const { namespace, name, uid, known, stateOptions } = args;
      const watcher = await podCache(namespace);
      let current = watcher.get(name);
      if (!current || current.metadata?.uid !== uid) {
        // The cache may lag a pod created a moment ago: ask the apiserver before concluding.
        current = await readPod(namespace, name);
        if (!current || current.metadata?.uid !== uid) {
          return goneObservation(name, uid, 'NOT_FOUND', `Pod ${name} is not found`);
        }
      }
      const now = observePod(current, stateOptions);
      if (differs(now, known)) return now;
      const windowMs = Math.min(config.watchWindowMs, MAX_WATCH_WINDOW_MS);
      const changed = await waitForEvent(
        watcher,
        (event) => {
          if (event.pod.metadata?.uid !== uid) return undefined;
          if (event.type === 'delete') return { ...toObservation(event.pod, deletedPodView(event.pod, stateOptions)), gone: true };
          const observation = observePod(event.pod, stateOptions);
          return differs(observation, known) ? observation : undefined;
        },
        windowMs,
        () => {
          const latest = watcher.get(name);
          if (latest?.metadata?.uid !== uid) return undefined;
          const observation = observePod(latest, stateOptions);
          return differs(observation, known) ? observation : undefined;
        },
      );
      return changed ?? now;
    },

    /** Deletes exactly this pod (uid precondition), never a newer one of the same name. */
    async deletePod({ namespace, name, uid, reason, tag }: DeletePodArgs): Promise<DeletePodResult> {
      try {
        await kube.call('delete', (options) =>
          kube.core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } }, options),
        );
        metrics.podsDeleted.inc({ namespace, reason: deleteReasonLabel(reason) });
        engineLogger(logger, { namespace, pod: name, ...(tag ? { tag } : {}) }).info({ uid, reason }, 'pod deleted');
        return 'deleted';
      } catch (error) {
        const code = statusCode(error);
        // 404: gone already. 409: the uid precondition failed, so the name now holds another pod.
        if (code === 404 || code === 409) return 'already-gone';
        throw error;
      }
    },
  };
}
