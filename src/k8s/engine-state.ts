/**
 * A pod's engine state, mapped as Kyuubi maps it (KubernetesApplicationOperation
 * .getApplicationStateAndErrorFromPod), so Kyuubi and we agree on what a pod means.
 * Pure and workflow-safe: the workflow re-derives views from pods that activities return.
 */
import type { V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isTerminalState, type EngineState } from '../contract/names';

export type StateSource = 'POD' | 'CONTAINER';
export interface EngineStateOptions {
  stateSource: StateSource;
  stateContainer: string;
}

export interface PodEngineView {
  state: EngineState;
  phase?: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  startedAt?: string;
  terminatedAt?: string;
}

/** Waiting reasons of a container that is still on its way up; any other reason is stuck. */
const PENDING_WAITING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);

export function podPhaseToState(phase: string | undefined): EngineState {
  switch (phase) {
    case 'Pending':
      return 'PENDING';
    case 'Running':
      return 'RUNNING';
    case 'Succeeded':
      return 'FINISHED';
    case 'Failed':
      return 'FAILED';
    // Never a Kubernetes phase; kept because Kyuubi matches them and callers may pass them.
    case 'Error':
      return 'FAILED';
    case 'OOMKilled':
      return 'KILLED';
    default:
      return 'UNKNOWN';
  }
}

export function containerStateToState(state: V1ContainerState | undefined): EngineState {
  if (state?.waiting) {
    const reason = nonEmpty(state.waiting.reason);
    return reason === undefined || PENDING_WAITING_REASONS.has(reason) ? 'PENDING' : 'FAILED';
  }
  if (state?.running) return 'RUNNING';
  const terminated = state?.terminated;
  if (!terminated) return 'UNKNOWN';
  // Kyuubi meant OOM to be KILLED (#6720) but matches it on the phase, which never says so.
  if (terminated.reason === 'OOMKilled') return 'KILLED';
  return terminated.exitCode === 0 ? 'FINISHED' : 'FAILED';
}

export function engineState(pod: V1Pod, options: EngineStateOptions): PodEngineView {
  const status = pod.status;
  const statuses = status?.containerStatuses ?? [];
  const wanted = options.stateContainer.toLowerCase();
  const named = statuses.find((cs) => cs.name.toLowerCase() === wanted);
  const podState = podPhaseToState(status?.phase);
  const fromContainer =
    options.stateSource === 'CONTAINER' && named ? containerStateToState(named.state) : undefined;

  // A terminated driver wins even while sidecars keep the pod Running; a terminated pod
  // wins over a container that still looks alive.
  let state = podState;
  let decidedByContainer = false;
  if (fromContainer !== undefined && (isTerminalState(fromContainer) || !isTerminalState(podState))) {
    state = fromContainer;
    decidedByContainer = true;
  }

  // Details only: in POD mode a lone container is the driver even if misnamed.
  const detail = named ?? (statuses.length === 1 ? statuses[0] : undefined);
  const cs = detail?.state;
  const containerReason = nonEmpty(cs?.terminated?.reason) ?? nonEmpty(cs?.waiting?.reason);
  const podReason = nonEmpty(status?.reason);
  const troubled = state === 'PENDING' || state === 'FAILED' || state === 'KILLED';
  const scheduling = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');

  return {
    state,
    phase: status?.phase,
    reason: decidedByContainer ? (containerReason ?? podReason) : (podReason ?? containerReason),
    message: joinUnique([
      nonEmpty(cs?.terminated?.message) ?? nonEmpty(cs?.waiting?.message),
      troubled ? joinUnique([podReason, nonEmpty(status?.message)], ': ') : nonEmpty(status?.message),
      state === 'PENDING' ? nonEmpty(scheduling?.message) : undefined,
    ]),
    exitCode: cs?.terminated?.exitCode,
    startedAt: toIso(cs?.running?.startedAt ?? cs?.terminated?.startedAt ?? status?.startTime),
    // Only a terminal engine has a termination time: the retention timer counts from it.
    terminatedAt: isTerminalState(state) ? terminationTime(detail, statuses) : undefined,
  };
}

/** Kyuubi's DELETE event: a pod that vanishes before it terminated counts as failed. */
export function deletedPodView(pod: V1Pod, options: EngineStateOptions): PodEngineView {
  const view = engineState(pod, options);
  if (isTerminalState(view.state)) return view;
  return {
    ...view,
    state: 'FAILED',
    reason: 'Deleted',
    message: `Pod ${pod.metadata?.name ?? '<unnamed>'} is deleted`,
    terminatedAt: toIso(pod.metadata?.deletionTimestamp),
  };
}

export function isPodTerminated(view: PodEngineView): boolean {
  return isTerminalState(view.state);
}

function terminationTime(
  driver: V1ContainerStatus | undefined,
  statuses: readonly V1ContainerStatus[],
): string | undefined {
  const own = toIso(driver?.state?.terminated?.finishedAt);
  if (own !== undefined) return own;
  const times = statuses
    .map((s) => toIso(s.state?.terminated?.finishedAt))
    .filter((t): t is string => t !== undefined)
    .sort();
  return times[times.length - 1];
}

/** client-node hands out Date objects; pods that went through JSON carry strings. */
export function toIso(value: Date | string | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : value;
  const ms = date.getTime();
  return Number.isNaN(ms) ? undefined : date.toISOString();
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function joinUnique(parts: Array<string | undefined>, separator = '; '): string | undefined {
  const kept = [...new Set(parts.filter((p): p is string => p !== undefined && p !== ''))];
  return kept.length > 0 ? kept.join(separator) : undefined;
}
