/**
 * A kill or a cancellation that arrives while createPod is in flight. createPod is slowed
 * by a test wrapper around the real activity so the timing is certain; the create itself
 * and everything else are real. The pod that the slow create makes must still be deleted.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { killSignal } from '../../src/contract/messages';
import { driverManifest, eventually } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { engineHandle, historyOf, scheduledActivities, untilNoPods } from '../helpers/engine';
import { PodRecorder } from '../helpers/pod-recorder';
import { delayed, startWrappedWorker } from '../helpers/wrapped-worker';

const NS = 'default';
const CREATE_DELAY_MS = 2_000;

const suite = engineSuite(() => startWrappedWorker(delayed('createPod', CREATE_DELAY_MS), { KPL_SHUTDOWN_GRACE: '1s' }), NS);

/** Resolves once the suite.worker runs createPod (it then sleeps before creating). */
function untilCreating(handle: WorkflowHandle) {
  return eventually(async () => {
    const { raw } = await handle.describe();
    const creating = raw.pendingActivities?.some((a) => a.activityType?.name === 'createPod' && a.attempt === 1 && a.lastStartedTime);
    return creating ? true : undefined;
  }, 'createPod started');
}

async function startCreating() {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  await untilCreating(handle);
  return { tag, launched, handle, recorder };
}

test('a kill signal during the create deletes the pod the create made', async () => {
  const { tag, handle, recorder } = await startCreating();
  try {
    await handle.signal(killSignal, { reason: 'changed my mind' });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ state: 'KILLED', reason: 'changed my mind', podDeleted: true });
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.events.map((e) => e.type)).toEqual(expect.arrayContaining(['ADDED', 'DELETED']));
    expect(recorder.events.find((e) => e.type === 'DELETED')?.pod.metadata?.uid).toBe(outcome.podUid);
  } finally {
    recorder.stop();
  }
});

test('a kill update during the create returns once the created pod is deleted', async () => {
  const { tag, launched, recorder } = await startCreating();
  try {
    const snapshot = await suite.engines.killEngine(launched, 'too slow');
    expect(snapshot).toMatchObject({ state: 'KILLED', podDeleted: true, deleteReason: 'too slow' });
    expect(snapshot.podUid).toBeTruthy();
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.sawDeleted()).toBe(true);
  } finally {
    recorder.stop();
  }
});

test('cancelling the workflow during the create deletes the pod the create made', async () => {
  const { tag, handle, recorder } = await startCreating();
  try {
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    // The create finishes after the cancel: wait past it before asking the apiserver.
    await eventually(async () => (recorder.events.some((e) => e.type === 'ADDED') ? true : undefined), 'the slow create', 10_000);
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.sawDeleted()).toBe(true);
    expect(scheduledActivities(await historyOf(handle))).toEqual(['createPod', 'deletePod']);
  } finally {
    recorder.stop();
  }
});
