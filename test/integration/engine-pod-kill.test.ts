/**
 * Kill paths on the real stack: the kill update and signal, a kill on an engine that has
 * already ended, and workflow cancellation. Each must leave no pod behind.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FAILURE_TYPES, KILL_REASONS, killSignal, killUpdate } from '../../src/contract/messages';
import { driverManifest, eventually,  podsWithTag, startWorker } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { engineHandle, historyOf, scheduledActivities, untilNoPods, untilState } from '../helpers/engine';
import { PodRecorder } from '../helpers/pod-recorder';

const NS = 'default';

const suite = engineSuite(() => startWorker({ KPL_SHUTDOWN_GRACE: '1s' }), NS);

/** A pod that runs until deleted, followed to RUNNING. */
async function runningEngine(policy: { retainPeriod?: string } = {}) {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s', ...policy } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  const running = await untilState(handle, 'RUNNING');
  return { tag, launched, handle, running, recorder };
}

test('the kill update returns the snapshot once the delete is accepted, and the pod goes', async () => {
  const { tag, launched, handle, running, recorder } = await runningEngine();
  try {
    const snapshot = await suite.engines.killEngine(launched, 'user asked');
    expect(snapshot).toMatchObject({
      state: 'KILLED',
      podDeleted: true,
      deleteReason: 'user asked',
      killRequest: { reason: 'user asked' },
      podUid: running.podUid,
    });
    // Accepted means the apiserver has the delete: the pod is marked or already gone.
    const left = await podsWithTag(suite.core, NS, tag);
    expect(left.every((p) => p.metadata?.deletionTimestamp !== undefined)).toBe(true);
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.sawDeleted()).toBe(true);

    const outcome = await suite.engines.waitForEngine(launched);
    expect(outcome).toMatchObject({ state: 'KILLED', reason: 'user asked', podDeleted: true });
    expect(outcome.transitions.map((t) => t.state)).toEqual(['PENDING', 'RUNNING', 'KILLED']);
    expect(scheduledActivities(await historyOf(handle)).filter((a) => a === 'deletePod')).toHaveLength(1);
  } finally {
    recorder.stop();
  }
});

test('the kill signal kills without waiting, with the default reason', async () => {
  const { tag, handle, recorder } = await runningEngine();
  try {
    await handle.signal(killSignal, {});
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ state: 'KILLED', reason: KILL_REASONS.default, podDeleted: true });
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.sawDeleted()).toBe(true);
  } finally {
    recorder.stop();
  }
});

test('a kill signal sent right after the start leaves no pod behind', async () => {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  try {
    await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
    const handle = engineHandle(suite.engines.temporal, NS, tag);
    await handle.signal(killSignal, { reason: 'never mind' });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ state: 'KILLED', reason: 'never mind' });
    // Killed before the create: nothing is created. Killed after it: the pod is deleted.
    const activities = scheduledActivities(await historyOf(handle));
    expect(activities.includes('createPod')).toBe(activities.includes('deletePod'));
    await untilNoPods(suite.core, NS, tag, 10_000);
    if (recorder.events.some((e) => e.type === 'ADDED')) {
      await eventually(async () => (recorder.sawDeleted() ? true : undefined), 'DELETED watch event', 5_000);
    }
  } finally {
    recorder.stop();
  }
});

test('a kill on an engine that already ended is rejected with EngineAlreadyTerminal', async () => {
  const tag = suite.leftovers.tag();
  await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest({ exitAfter: '1s' }), policy: { retainPeriod: '1m' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  await untilState(handle, 'FINISHED');

  const rejection = await handle.executeUpdate(killUpdate, { args: [{ reason: 'too late' }] }).catch((e: unknown) => e);
  expect(rejection).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (rejection as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(FAILURE_TYPES.alreadyTerminal);
  expect((cause as ApplicationFailure).message).toBe(`Engine ${tag} is already FINISHED: there is nothing to kill`);
  // The validator rejects before the update is accepted: no history event, nothing changed.
  const events = await historyOf(handle);
  expect(events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  const snapshot = await untilState(handle, 'FINISHED');
  expect(snapshot.killRequest).toBeUndefined();

  // Cancelling during retention deletes the retained pod at once.
  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  await untilNoPods(suite.core, NS, tag, 10_000);
});

test('cancelling the workflow deletes the pod in a non-cancellable scope', async () => {
  const { tag, handle, running, recorder } = await runningEngine();
  try {
    await handle.cancel();
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    await untilNoPods(suite.core, NS, tag, 10_000);
    const deleted = recorder.events.find((e) => e.type === 'DELETED');
    expect(deleted?.pod.metadata?.uid).toBe(running.podUid);
    expect(scheduledActivities(await historyOf(handle))).toContain('deletePod');
  } finally {
    recorder.stop();
  }
});
