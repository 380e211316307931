/**
 * Cleanup policies on the real stack: which terminated pods are deleted once the retain
 * period ends, and that the delete never hits a newer pod that took the same name.
 */
import type { EnginePodInput } from '../../src/contract/schemas';
import { driverManifest, eventually,  podsWithTag, startWorker } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { createForeignPod, engineHandle, foreignPod, historyOf, scheduledActivities, untilNoPods, untilState } from '../helpers/engine';
import { PodRecorder } from '../helpers/pod-recorder';

const NS = 'default';

const suite = engineSuite(() => startWorker(), NS);

type Cleanup = NonNullable<EnginePodInput['policy']>['cleanup'];

/** Runs an engine whose pod exits with `exitCode` to its outcome. */
async function runToEnd(cleanup: Cleanup, exitCode: string) {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  try {
    const launched = await suite.engines.launchEngine({
      tag,
      namespace: NS,
      pod: driverManifest({ exitAfter: '1s', exitCode }),
      policy: { cleanup, retainPeriod: '1s' },
    });
    const outcome = await suite.engines.waitForEngine(launched);
    const activities = scheduledActivities(await historyOf(engineHandle(suite.engines.temporal, NS, tag)));
    return { tag, outcome, recorder, activities };
  } finally {
    recorder.stop();
  }
}

test('cleanup COMPLETED keeps a failed pod for debugging and deletes a finished one', async () => {
  const [failed, finished] = await Promise.all([runToEnd('COMPLETED', '1'), runToEnd('COMPLETED', '0')]);

  expect(failed.outcome).toMatchObject({ state: 'FAILED', exitCode: 1, podDeleted: false });
  expect(failed.outcome.deadlines.deleteAt).toBeUndefined();
  expect(failed.activities).not.toContain('deletePod');
  const kept = await podsWithTag(suite.core, NS, failed.tag);
  expect(kept.map((p) => [p.metadata?.uid, p.status?.phase])).toEqual([[failed.outcome.podUid, 'Failed']]);
  expect(failed.recorder.sawDeleted()).toBe(false);

  expect(finished.outcome).toMatchObject({ state: 'FINISHED', podDeleted: true, deleteReason: 'RetentionEnded' });
  expect(finished.activities).toContain('deletePod');
  await untilNoPods(suite.core, NS, finished.tag);
});

test('cleanup NONE keeps both finished and failed pods', async () => {
  const [failed, finished] = await Promise.all([runToEnd('NONE', '1'), runToEnd('NONE', '0')]);
  for (const [run, state, phase] of [[failed, 'FAILED', 'Failed'], [finished, 'FINISHED', 'Succeeded']] as const) {
    expect(run.outcome).toMatchObject({ state, podDeleted: false });
    expect(run.activities).not.toContain('deletePod');
    const kept = await podsWithTag(suite.core, NS, run.tag);
    expect(kept.map((p) => [p.metadata?.uid, p.status?.phase])).toEqual([[run.outcome.podUid, phase]]);
  }
});

test('the retention delete spares a newer pod that took the same name (uid precondition)', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({
    tag,
    namespace: NS,
    pod: driverManifest({ exitAfter: '1s' }),
    policy: { retainPeriod: '4s' },
  });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  const terminated = await untilState(handle, 'FINISHED');
  const name = terminated.podName ?? '';

  // While the workflow retains it, someone replaces the pod with a new one of the same name.
  await suite.core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
  const replacement = await eventually(
    () => createForeignPod(suite.core, NS, foreignPod(name, tag)).catch(() => undefined),
    'the name to be free again',
  );
  expect(replacement.metadata?.uid).not.toBe(terminated.podUid);

  const outcome = await suite.engines.waitForEngine(launched);
  expect(outcome.state).toBe('FINISHED');
  expect(scheduledActivities(await historyOf(handle))).toContain('deletePod');
  const survivors = await podsWithTag(suite.core, NS, tag);
  expect(survivors.map((p) => p.metadata?.uid)).toEqual([replacement.metadata?.uid]);
});
