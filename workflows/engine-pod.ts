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
  proxySinks,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy, SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  DELETE_REASONS,
  FAILURE_TYPES,
  KILL_REASONS,
  engineStateQuery,
  killSignal,
  killUpdate,
  searchAttributeKeys,
  type CarriedEngine,
  type EngineOutcome,
  type KillRequest,
  type NormalizedEngineInput,
} from '../src/contract/messages';
import type { EngineState } from '../src/contract/names';
import { EngineMachine } from './engine-machine';
import type { EngineSinks } from './sinks';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' };

const { createPod, deletePod } = proxyActivities<Activities>({
  // One apiserver request each, safe to repeat: a dead worker's attempt is retried soon.
  startToCloseTimeout: '15 seconds',
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
  // A continued run goes on in the state its previous run already counted.
  if (carried) counted = machine.state;

  setHandler(engineStateQuery, () => machine.snapshot);
  // `request?`: a raw caller (JVM, CLI) may send the kill with no argument at all.
  setHandler(killSignal, (request?: KillRequest) => machine.requestKill(request?.reason || KILL_REASONS.default, now()));
  setHandler(
    killUpdate,
    async (request?: KillRequest) => {
      machine.requestKill(request?.reason || KILL_REASONS.default, now());
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
      machine.begin(await validated(machine, rawInput));
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

/**
 * The normalized input, or the workflow fails with the activity's InvalidEngineInput,
 * after recording FAILED where `list --state` and a status query look.
 */
async function validated(machine: EngineMachine, rawInput: unknown): Promise<NormalizedEngineInput> {
  try {
    return await normalizeInput(rawInput);
  } catch (error) {
    // A local activity's failure reaches the workflow unwrapped; a retried one may not.
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (!(cause instanceof ApplicationFailure) || cause.type !== FAILURE_TYPES.invalidInput) throw error;
    machine.finish('FAILED', now(), cause.type, cause.message);
    publish(machine);
    throw cause;
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
      // No kill update waits here: its handler sets killRequested at once, so the kill
      // branch above runs first and this wait cannot deadlock on it.
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
    const observation = input.mode === 'create' ? await create(machine, input) : await find(machine, input);
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

/**
 * A kill before the create leaves nothing to create. Once started, the create is shielded
 * from cancellation: a cancelled create may still make the pod, and only a create whose
 * result we hold lets the cancellation handler delete it.
 */
async function create(machine: EngineMachine, input: NormalizedEngineInput) {
  if (machine.killRequested) return undefined;
  return CancellationScope.nonCancellable(() => createPod(input));
}

/**
 * Waits for spark-submit's pod until the submit deadline or a kill. A kill cancels the
 * wait, so one immediate look follows it: a pod that appeared meanwhile is still found,
 * and the kill deletes it rather than leaving it to run unowned.
 */
async function find(machine: EngineMachine, input: NormalizedEngineInput) {
  const lookup = (deadline: string) =>
    findPod({ namespace: input.namespace, tag: input.tag, podName: input.podName, podUid: input.podUid, deadline, stateOptions: input.policy });
  const found = await untilInterrupted(machine, () => lookup(machine.snapshot.deadlines.submitUntil ?? now()), undefined);
  if (found || !machine.killRequested) return found;
  return lookup(now());
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
  await deleteIfOwned(machine, DELETE_REASONS.retentionEnded);
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
let counted: EngineState | undefined;
let reports = 0;
const { engineMetrics } = proxySinks<EngineSinks>();
/** Keeps the engine's search attributes current; only what changed is written. */
function publish(machine: EngineMachine, all = false): void {
  const { state, podName, tag, namespace } = machine.snapshot;
  const updates: SearchAttributeUpdatePair[] = [];
  if (all) {
    updates.push({ key: searchAttributeKeys.engineTag, value: tag }, { key: searchAttributeKeys.namespace, value: namespace });
  }
  if (all || state !== published.state) updates.push({ key: searchAttributeKeys.engineState, value: state });
  if (podName && (all || podName !== published.podName)) updates.push({ key: searchAttributeKeys.podName, value: podName });
  if (state !== counted) {
    engineMetrics.stateEntered({ namespace, state, seq: reports++ });
    counted = state;
  }
  if (updates.length === 0) return;
  upsertSearchAttributes(updates);
  published = { state, podName };
  // `pod`, not `namespace`: the log bridge derives namespace and tag from the workflow id.
  log.info('engine state', { state, pod: podName });
}

function requireInput(machine: EngineMachine): NormalizedEngineInput {
  if (!machine.input) throw new Error('engine input was not validated');
  return machine.input;
}
