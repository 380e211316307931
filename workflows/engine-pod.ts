/**
 * `enginePod`: one engine pod's whole life as a durable workflow. Thin over
 * EngineMachine; every wait is a Temporal timer or an activity, so a crash of anything
 * resumes exactly here.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy, SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  FAILURE_TYPES,
  KILL_REASONS,
  engineStateQuery,
  killSignal,
  killUpdate,
  searchAttributeKeys,
  type CarriedEngine,
  type EngineOutcome,
  type NormalizedEngineInput,
} from '../src/contract/messages';
import { EngineMachine } from './engine-machine';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' };

const { createPod, deletePod } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, nonRetryableErrorTypes: [FAILURE_TYPES.invalidInput, FAILURE_TYPES.podNameConflict] },
});
const { watchPod, findPod } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  // A dead worker's watch is noticed within this and retried on a live one.
  heartbeatTimeout: '20 seconds',
  retry,
});
// Local: validation needs no queue round trip and adds one marker event, not three.
const { normalizeInput } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [FAILURE_TYPES.invalidInput] },
});

/** The workflow's deterministic clock, as ISO text. */
const now = () => new Date(Date.now()).toISOString();
const msUntil = (iso: string | undefined) => (iso === undefined ? undefined : Math.max(0, Date.parse(iso) - Date.now()));

export async function enginePod(rawInput: unknown, carried?: CarriedEngine): Promise<EngineOutcome> {
  const machine = carried ? EngineMachine.resume(carried) : EngineMachine.starting(rawInput, now());

  setHandler(engineStateQuery, () => machine.snapshot);
  setHandler(killSignal, ({ reason }) => machine.requestKill(reason || KILL_REASONS.default, now()));
  setHandler(
    killUpdate,
    async ({ reason }) => {
      machine.requestKill(reason || KILL_REASONS.default, now());
      await condition(() => machine.snapshot.podDeleted || machine.isTerminal);
      return machine.snapshot;
    },
    {
      validator: (_request) => {
        if (machine.isTerminal) {
          throw ApplicationFailure.create({
            type: FAILURE_TYPES.alreadyTerminal,
            message: `Engine ${machine.snapshot.tag} is already ${machine.state}: there is nothing to kill`,
          });
        }
      },
    },
  );

  try {
    if (!carried) {
      machine.begin(await normalizeInput(rawInput));
      publish(machine, true);
    }
    await live(machine);
    await retainAndClean(machine);
    await condition(allHandlersFinished);
    return machine.outcome(now());
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => deleteIfOwned(machine, KILL_REASONS.cancelled));
    }
    throw error;
  }
}

/** From no pod to a terminal engine state. */
async function live(machine: EngineMachine): Promise<void> {
  const input = requireInput(machine);
  if (!machine.snapshot.podUid && !machine.isTerminal) await acquirePod(machine, input);
  while (!machine.isTerminal) {
    if (machine.killRequested) {
      await deleteIfOwned(machine, machine.snapshot.killRequest?.reason ?? KILL_REASONS.default);
      machine.finish('KILLED', now(), machine.snapshot.killRequest?.reason);
      break;
    }
    const { pendingUntil, maxLifetimeUntil } = machine.snapshot.deadlines;
    if (pendingUntil !== undefined && msUntil(pendingUntil) === 0) {
      await failStuckPending(machine);
      break;
    }
    if (maxLifetimeUntil !== undefined && msUntil(maxLifetimeUntil) === 0) {
      machine.requestKill(KILL_REASONS.maxLifetime, now());
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof import('./engine-pod').enginePod>(undefined, machine.carry());
    }
    const observation = await untilInterrupted(
      machine,
      () =>
        watchPod({
          namespace: input.namespace,
          name: machine.snapshot.podName ?? '',
          uid: machine.snapshot.podUid ?? '',
          known: { state: machine.state, phase: machine.snapshot.phase, reason: machine.snapshot.reason },
          stateOptions: input.policy,
        }),
      earliest(pendingUntil, maxLifetimeUntil),
    );
    if (observation && machine.observe(observation, now())) publish(machine);
  }
  publish(machine);
}

async function acquirePod(machine: EngineMachine, input: NormalizedEngineInput): Promise<void> {
  try {
    const observation =
      input.mode === 'create'
        ? await createPod(input)
        : await untilInterrupted(
            machine,
            () =>
              findPod({
                namespace: input.namespace,
                tag: input.tag,
                podName: input.podName,
                podUid: input.podUid,
                deadline: machine.snapshot.deadlines.submitUntil ?? now(),
                stateOptions: input.policy,
              }),
            undefined,
          );
    if (observation) {
      machine.observe(observation, now());
    } else if (!machine.killRequested) {
      machine.finish('NOT_FOUND', now(), 'NotSubmitted',
        `No pod labelled ${input.tag} appeared in ${input.namespace} within the submit timeout`);
    }
  } catch (error) {
    if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) throw error;
    machine.finish('FAILED', now(), error.cause.type ?? 'CreateFailed', error.cause.message);
  }
  publish(machine);
}

async function failStuckPending(machine: EngineMachine): Promise<void> {
  const stuckFor = machine.snapshot.reason ?? 'Pending';
  await deleteIfOwned(machine, KILL_REASONS.pendingTimeout);
  machine.finish('FAILED', now(), stuckFor,
    `Pod ${machine.snapshot.podName} was still pending (${stuckFor}) after the pending timeout` +
      (machine.snapshot.message ? `: ${machine.snapshot.message}` : ''));
}

/** Terminal: keep the pod for the retain period, counted from its termination, then clean up. */
async function retainAndClean(machine: EngineMachine): Promise<void> {
  if (!machine.hasPod || !machine.cleanupDeletes) return;
  const waitMs = msUntil(machine.snapshot.deadlines.deleteAt) ?? 0;
  if (waitMs > 0) await sleep(waitMs);
  await deleteIfOwned(machine, 'RetentionEnded');
}

async function deleteIfOwned(machine: EngineMachine, reason: string): Promise<void> {
  const { podName, podUid, namespace } = machine.snapshot;
  if (!machine.hasPod || !podName || !podUid) return;
  await deletePod({ namespace, name: podName, uid: podUid, reason });
  machine.markDeleted(reason);
}

/**
 * Runs `work` until it resolves, a kill is requested, or `deadline` passes; the loser is
 * cancelled. Undefined when interrupted.
 */
async function untilInterrupted<T>(
  machine: EngineMachine,
  work: () => Promise<T>,
  deadline: string | undefined,
): Promise<T | undefined> {
  if (machine.killRequested) return undefined;
  return CancellationScope.cancellable(async () => {
    const timeoutMs = msUntil(deadline);
    const interrupted =
      timeoutMs === undefined ? condition(() => machine.killRequested) : condition(() => machine.killRequested, timeoutMs);
    try {
      return await Promise.race([work(), interrupted.then(() => undefined)]);
    } finally {
      CancellationScope.current().cancel();
    }
  });
}

function earliest(...times: (string | undefined)[]): string | undefined {
  const known = times.filter((t): t is string => t !== undefined).sort();
  return known[0];
}

let published: { state?: string; podName?: string } = {};
/** Keeps the engine's search attributes current; only what changed is written. */
function publish(machine: EngineMachine, all = false): void {
  const { state, podName, tag, namespace } = machine.snapshot;
  const updates: SearchAttributeUpdatePair[] = [];
  if (all) {
    updates.push({ key: searchAttributeKeys.engineTag, value: tag }, { key: searchAttributeKeys.namespace, value: namespace });
  }
  if (all || state !== published.state) updates.push({ key: searchAttributeKeys.engineState, value: state });
  if (podName && (all || podName !== published.podName)) updates.push({ key: searchAttributeKeys.podName, value: podName });
  if (updates.length === 0) return;
  upsertSearchAttributes(updates);
  published = { state, podName };
  log.info('engine state', { state, podName });
}

function requireInput(machine: EngineMachine): NormalizedEngineInput {
  if (!machine.input) throw new Error('engine input was not validated');
  return machine.input;
}
