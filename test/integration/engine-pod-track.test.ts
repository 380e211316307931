/**
 * Track mode on the real stack: spark-submit (here: the test, straight through the
 * apiserver) creates the pod; the engine finds it by its tag within submitTimeout, or
 * ends NOT_FOUND.
 */
import type { EngineClient } from '../../src/client';
import { killSignal } from '../../src/contract/messages';
import { startWorker } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { createForeignPod, engineHandle, foreignPod, historyOf, scheduledActivities, untilNoPods, untilSnapshot } from '../helpers/engine';
import { PodRecorder } from '../helpers/pod-recorder';
import { delayed, startWrappedWorker, type WrappedWorker } from '../helpers/wrapped-worker';

const NS = 'default';

const suite = engineSuite(() => startWorker({ KPL_SHUTDOWN_GRACE: '1s' }), NS);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a pod submitted within submitTimeout is found by its tag and followed to FINISHED', async () => {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  try {
    const launched = await suite.engines.launchEngine({ tag, namespace: NS, mode: 'track', policy: { submitTimeout: '5s', retainPeriod: '1s' } });
    const handle = engineHandle(suite.engines.temporal, NS, tag);
    const waiting = await untilSnapshot(handle, (s) => s.deadlines.submitUntil !== undefined, 'submit deadline');
    expect(waiting).toMatchObject({ mode: 'track', state: 'PENDING' });
    expect(waiting.podName).toBeUndefined();

    await sleep(1_000);
    const pod = await createForeignPod(suite.core, NS, foreignPod(`kyuubi-${tag}-driver`, tag, { exitAfter: '1s' }));

    const outcome = await suite.engines.waitForEngine(launched);
    expect(outcome).toMatchObject({ state: 'FINISHED', podName: pod.metadata?.name, podUid: pod.metadata?.uid, podDeleted: true });
    expect(outcome.transitions.map((t) => t.state)).toEqual(['PENDING', 'RUNNING', 'FINISHED']);
    expect(scheduledActivities(await historyOf(handle))).toEqual(expect.arrayContaining(['findPod', 'watchPod', 'deletePod']));
    expect(scheduledActivities(await historyOf(handle))).not.toContain('createPod');
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.events.find((e) => e.type === 'DELETED')?.pod.metadata?.uid).toBe(pod.metadata?.uid);
  } finally {
    recorder.stop();
  }
});

test('no pod within submitTimeout ends the engine NOT_FOUND', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, mode: 'track', policy: { submitTimeout: '3s' } });
  const outcome = await suite.engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'NOT_FOUND', reason: 'NotSubmitted', podDeleted: false });
  expect(outcome.podUid).toBeUndefined();
  expect(outcome.message).toContain('within the submit timeout');
  expect(Date.parse(outcome.closedAt) - Date.parse(outcome.startedAt)).toBeGreaterThanOrEqual(3_000);
  const activities = scheduledActivities(await historyOf(engineHandle(suite.engines.temporal, NS, tag)));
  expect(activities).toEqual(['findPod']);
});

test('a kill while waiting for the submit ends KILLED at once', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, mode: 'track', policy: { submitTimeout: '1m' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  await untilSnapshot(handle, (s) => s.deadlines.submitUntil !== undefined, 'submit deadline');
  const snapshot = await suite.engines.killEngine(launched, 'session closed');
  expect(snapshot).toMatchObject({ state: 'KILLED', reason: 'session closed', podDeleted: false });
  const outcome = await suite.engines.waitForEngine(launched);
  expect(Date.parse(outcome.closedAt) - Date.parse(outcome.startedAt)).toBeLessThan(30_000);
});

describe('when the found pod is still on its way to the workflow', () => {
  // findPod holds its result 2 s after finding the pod, so a kill overtakes it for sure.
  let slow: WrappedWorker;
  let slowEngines: EngineClient;

  beforeAll(async () => {
    slow = await startWrappedWorker(delayed('findPod', 2_000, 'after'), { KPL_SHUTDOWN_GRACE: '1s' });
    slowEngines = await slow.engines();
  });

  afterAll(async () => {
    await suite.leftovers.clear(suite.core, slowEngines?.temporal);
    await slow?.stop();
    await slowEngines?.temporal.connection.close();
  });

  test('a kill that overtakes the find still deletes the pod that was found', async () => {
    const tag = suite.leftovers.tag();
    const recorder = await PodRecorder.start(NS, tag);
    try {
      await slowEngines.launchEngine({ tag, namespace: NS, mode: 'track', policy: { submitTimeout: '1m', retainPeriod: '1s' } });
      const handle = engineHandle(slowEngines.temporal, NS, tag);
      await untilSnapshot(handle, (s) => s.deadlines.submitUntil !== undefined, 'submit deadline');
      const pod = await createForeignPod(suite.core, NS, foreignPod(`kyuubi-${tag}-driver`, tag));
      await sleep(500);
      await handle.signal(killSignal, { reason: 'overtaken' });
      const outcome = await handle.result();
      expect(outcome).toMatchObject({ state: 'KILLED', reason: 'overtaken', podUid: pod.metadata?.uid, podDeleted: true });
      await untilNoPods(suite.core, NS, tag, 10_000);
      expect(recorder.events.find((e) => e.type === 'DELETED')?.pod.metadata?.uid).toBe(pod.metadata?.uid);
    } finally {
      recorder.stop();
    }
  });
});
