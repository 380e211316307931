/**
 * A first engine pod life end to end on the real stack: the pod is created with our
 * labels, runs, terminates, is retained, deleted, and the workflow ends with the outcome.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { EngineClient } from '../../src/client';
import { ENGINE_TAG_LABEL, INSTANCE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, enginePodWorkflowId } from '../../src/contract/names';
import { driverManifest, eventually, kubeApi, newTag, podsWithTag, startWorker, type TestWorker } from '../helpers/env';
import { PodRecorder } from '../helpers/pod-recorder';

const NS = 'default';
let core: CoreV1Api;
let temporal: Client;
let engines: EngineClient;
let worker: TestWorker;

beforeAll(async () => {
  core = kubeApi();
  worker = await startWorker();
  engines = await worker.engines();
  temporal = engines.temporal;
});

afterAll(async () => {
  await worker?.stop();
  await temporal?.connection.close();
});

async function activityTypes(workflowId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

async function runEngine(annotations: Parameters<typeof driverManifest>[0]) {
  const tag = newTag();
  const recorder = await PodRecorder.start(NS, tag);
  try {
    const launched = await engines.launchEngine({ tag, namespace: NS, pod: driverManifest(annotations), policy: { retainPeriod: '1s' } });
    const outcome = await engines.waitForEngine(launched);
    await eventually(async () => ((await podsWithTag(core, NS, tag)).length === 0 ? true : undefined), 'pod deleted');
    await eventually(async () => (recorder.sawDeleted() ? true : undefined), 'DELETED watch event');
    return { tag, launched, outcome, recorder };
  } finally {
    recorder.stop();
  }
}

test('a pod that exits 0 ends FINISHED and is deleted after its retain period', async () => {
  const { tag, launched, outcome, recorder } = await runEngine({ exitAfter: '2s' });

  const created = recorder.events.find((e) => e.type === 'ADDED')?.pod;
  expect(created?.metadata?.labels).toMatchObject({
    [ENGINE_TAG_LABEL]: tag,
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [INSTANCE_LABEL]: worker.config.instance,
  });
  expect(recorder.phases()).toEqual(expect.arrayContaining(['Running', 'Succeeded']));
  expect(recorder.phases().indexOf('Running')).toBeLessThan(recorder.phases().indexOf('Succeeded'));

  expect(outcome).toMatchObject({ state: 'FINISHED', exitCode: 0, podDeleted: true, podName: created?.metadata?.name });
  expect(outcome.transitions.map((t) => t.state)).toEqual(['PENDING', 'RUNNING', 'FINISHED']);
  // Retention counts from the pod's termination: the delete came at least 1 s after it.
  const deletedAt = Date.parse(outcome.closedAt);
  expect(deletedAt - Date.parse(outcome.terminatedAt ?? '')).toBeGreaterThanOrEqual(1_000);

  const description = await temporal.workflow.getHandle(launched.workflowId).describe();
  expect(description.status.name).toBe('COMPLETED');
  expect(launched.workflowId).toBe(enginePodWorkflowId(NS, tag));
  expect(await activityTypes(launched.workflowId)).toEqual(expect.arrayContaining(['createPod', 'watchPod', 'deletePod']));
});

test('a pod that exits 1 ends FAILED and is deleted (cleanup ALL)', async () => {
  const { outcome, recorder } = await runEngine({ exitAfter: '2s', exitCode: '1' });
  expect(recorder.phases()).toEqual(expect.arrayContaining(['Running', 'Failed']));
  expect(outcome).toMatchObject({ state: 'FAILED', exitCode: 1, podDeleted: true });
});

test('status returns the snapshot of a closed engine', async () => {
  const { tag } = await runEngine({ exitAfter: '1s' });
  const snapshot = await engines.getEngine({ tag, namespace: NS });
  expect(snapshot).toMatchObject({ tag, namespace: NS, state: 'FINISHED', podDeleted: true });
});
