/**
 * Someone else removes the pod: a delete we see ends the engine FAILED "Pod X is
 * deleted" (Kyuubi's DELETE event); a pod that is simply gone when we look ends it
 * NOT_FOUND. Either way there is nothing left for us to delete.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { temporal } from '@temporalio/proto';
import type { EngineClient } from '../../src/client';
import { driverManifest, eventually, kubeApi, podsWithTag, startWorker, type TestWorker } from '../helpers/env';
import { engineHandle, historyOf, Leftovers, scheduledActivities, untilNoPods, untilSnapshot, untilState } from '../helpers/engine';
import { delayed, startWrappedWorker, type WrappedWorker } from '../helpers/wrapped-worker';

const NS = 'default';
const leftovers = new Leftovers(NS);
let core: CoreV1Api;
let worker: TestWorker;
let engines: EngineClient;
// watchPod starts 3 s late on this one: the pod can vanish before anyone watches it.
let lateWatch: WrappedWorker;
let lateEngines: EngineClient;

beforeAll(async () => {
  core = kubeApi();
  [worker, lateWatch] = await Promise.all([
    startWorker({ KPL_SHUTDOWN_GRACE: '1s' }),
    startWrappedWorker(delayed('watchPod', 3_000), { KPL_SHUTDOWN_GRACE: '1s' }),
  ]);
  engines = await worker.engines();
  lateEngines = await lateWatch.engines();
});

afterAll(async () => {
  await leftovers.clear(core, engines?.temporal);
  await Promise.all([worker?.stop(), lateWatch?.stop()]);
  await engines?.temporal.connection.close();
  await lateEngines?.temporal.connection.close();
});

test('a running pod deleted by someone else ends the engine FAILED "Pod X is deleted"', async () => {
  const tag = leftovers.tag();
  const launched = await engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(engines.temporal, NS, tag);
  const running = await untilState(handle, 'RUNNING');
  const name = running.podName ?? '';
  // "Seen" means a watchPod is running: between two of them (the one that reported
  // RUNNING and the next, slow to start on a loaded machine) a delete is only "gone".
  await eventually(async () => {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    return pending.some((a) => a.activityType?.name === 'watchPod' && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) || undefined;
  }, 'a started watchPod');

  await core.deleteNamespacedPod({ namespace: NS, name });
  const outcome = await engines.waitForEngine(launched);
  expect(outcome).toMatchObject({
    state: 'FAILED',
    reason: 'Deleted',
    message: `Pod ${name} is deleted`,
    podDeleted: true,
    deleteReason: 'DeletedExternally',
  });
  expect(outcome.transitions.map((t) => t.state)).toEqual(['PENDING', 'RUNNING', 'FAILED']);
  expect(outcome.terminatedAt).toBeDefined();
  expect(scheduledActivities(await historyOf(handle))).not.toContain('deletePod');
  await untilNoPods(core, NS, tag, 10_000);
});

test('a pod that vanished before it was watched ends the engine NOT_FOUND', async () => {
  const tag = leftovers.tag();
  const launched = await lateEngines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(lateEngines.temporal, NS, tag);
  const created = await untilSnapshot(handle, (s) => s.podUid !== undefined, 'pod created');
  const name = created.podName ?? '';
  await eventually(async () => ((await podsWithTag(core, NS, tag)).length === 1 ? true : undefined), 'pod in the apiserver');

  await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
  await untilNoPods(core, NS, tag, 10_000);
  const outcome = await lateEngines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'NOT_FOUND', message: `Pod ${name} is not found`, podDeleted: true, podUid: created.podUid });
  expect(outcome.terminatedAt).toBeDefined();
  expect(scheduledActivities(await historyOf(handle))).toEqual(['createPod', 'watchPod']);
});
