/**
 * Workflow timers on the real stack: a pod stuck Pending is deleted after pendingTimeout
 * (Kyuubi #7424) and an engine is killed at maxLifetime. Also the container state source,
 * which fails a stuck driver at once instead of waiting for the timeout.
 */
import { KILL_REASONS } from '../../src/contract/messages';
import { driverManifest,  startWorker } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { engineHandle, untilNoPods, untilSnapshot, untilState } from '../helpers/engine';
import { PodRecorder } from '../helpers/pod-recorder';

const NS = 'default';

const suite = engineSuite(() => startWorker({ KPL_SHUTDOWN_GRACE: '1s' }), NS);

test('a pod stuck in ImagePullBackOff is deleted after pendingTimeout and the outcome names the reason', async () => {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  try {
    const launched = await suite.engines.launchEngine({
      tag,
      namespace: NS,
      pod: driverManifest({ stuckReason: 'ImagePullBackOff' }),
      policy: { pendingTimeout: '3s', retainPeriod: '1s', cleanup: 'NONE' },
    });
    const pending = await untilSnapshot(engineHandle(suite.engines.temporal, NS, tag), (s) => s.reason === 'ImagePullBackOff', 'stuck');
    expect(pending).toMatchObject({ state: 'PENDING', phase: 'Pending' });
    expect(Date.parse(pending.deadlines.pendingUntil ?? '')).toBe(Date.parse(pending.podCreatedAt ?? '') + 3_000);

    const outcome = await suite.engines.waitForEngine(launched);
    expect(outcome).toMatchObject({ state: 'FAILED', reason: 'ImagePullBackOff', podDeleted: true, deleteReason: KILL_REASONS.pendingTimeout });
    expect(outcome.message).toContain('ImagePullBackOff');
    expect(outcome.message).toContain('pending timeout');
    expect(outcome.transitions.map((t) => [t.state, t.reason])).toEqual([['PENDING', undefined], ['FAILED', 'ImagePullBackOff']]);
    // Counted from the pod's creation (whole seconds), so at least 2 s after the launch.
    const pendingFor = Date.parse(outcome.terminatedAt ?? '') - Date.parse(outcome.podCreatedAt ?? '');
    expect(pendingFor).toBeGreaterThanOrEqual(3_000);
    // Deleted although cleanup is NONE: a stuck pod is never kept.
    await untilNoPods(suite.core, NS, tag, 10_000);
    const waiting = recorder.events.map((e) => e.pod.status?.containerStatuses?.[0]?.state?.waiting?.reason);
    expect(waiting).toContain('ImagePullBackOff');
    expect(recorder.phases()).toEqual(['Pending']);
  } finally {
    recorder.stop();
  }
});

test('maxLifetime kills a running engine with MaxLifetimeExceeded and deletes its pod', async () => {
  const tag = suite.leftovers.tag();
  const recorder = await PodRecorder.start(NS, tag);
  try {
    const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { maxLifetime: '3s', retainPeriod: '1m' } });
    const outcome = await suite.engines.waitForEngine(launched);
    expect(outcome).toMatchObject({
      state: 'KILLED',
      reason: KILL_REASONS.maxLifetime,
      podDeleted: true,
      deleteReason: KILL_REASONS.maxLifetime,
      killRequest: { reason: KILL_REASONS.maxLifetime },
    });
    expect(outcome.transitions.map((t) => t.state)).toEqual(['PENDING', 'RUNNING', 'KILLED']);
    expect(Date.parse(outcome.terminatedAt ?? '') - Date.parse(outcome.startedAt)).toBeGreaterThanOrEqual(3_000);
    await untilNoPods(suite.core, NS, tag, 10_000);
    expect(recorder.phases()).toContain('Running');
    expect(recorder.sawDeleted()).toBe(true);
  } finally {
    recorder.stop();
  }
});

/** A manifest whose only container is not named spark-kubernetes-driver. */
function engineContainerManifest() {
  const manifest = driverManifest({ stuckReason: 'ImagePullBackOff' });
  return { ...manifest, spec: { ...manifest.spec, containers: manifest.spec.containers.map((c) => ({ ...c, name: 'engine' })) } };
}

test('stateSource CONTAINER reads the named container: a stuck driver fails at once', async () => {
  const viaContainer = suite.leftovers.tag();
  const viaMissingContainer = suite.leftovers.tag();
  const policy = { pendingTimeout: '1m', retainPeriod: '1s', stateSource: 'CONTAINER' } as const;
  const launched = await suite.engines.launchEngine({
    tag: viaContainer,
    namespace: NS,
    pod: engineContainerManifest(),
    policy: { ...policy, stateContainer: 'engine' },
  });
  // Control: the default container name matches nothing, so the pod phase (Pending) decides.
  await suite.engines.launchEngine({ tag: viaMissingContainer, namespace: NS, pod: engineContainerManifest(), policy });

  const outcome = await suite.engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'FAILED', reason: 'ImagePullBackOff', phase: 'Pending', podDeleted: true });
  expect(outcome.policy).toMatchObject({ stateSource: 'CONTAINER', stateContainer: 'engine' });
  expect(outcome.transitions.map((t) => t.state)).toEqual(['PENDING', 'FAILED']);
  // Long before the pending timeout: the container's waiting reason decided it.
  expect(Date.parse(outcome.terminatedAt ?? '') - Date.parse(outcome.startedAt)).toBeLessThan(30_000);
  await untilNoPods(suite.core, NS, viaContainer, 10_000);

  const control = engineHandle(suite.engines.temporal, NS, viaMissingContainer);
  const still = await untilState(control, 'PENDING');
  expect(still).toMatchObject({ reason: 'ImagePullBackOff', podDeleted: false });
  expect(still.transitions.map((t) => t.state)).toEqual(['PENDING']);
  await suite.engines.killEngine({ tag: viaMissingContainer, namespace: NS });
  await untilNoPods(suite.core, NS, viaMissingContainer, 10_000);
});
