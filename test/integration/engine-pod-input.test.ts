/**
 * What the engine is given and what it names: the namespace allow-list, deterministic
 * pod names and 409 handling (ours vs someone else's), search attributes and summary.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES, searchAttributeKeys } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL } from '../../src/contract/names';
import { enginePodName } from '../../src/k8s/pod-name';
import { driverManifest,  podsWithTag, startWorker } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { createForeignPod, engineHandle, foreignPod, historyOf, scheduledActivities, untilNoPods, untilState } from '../helpers/engine';

const NS = 'default';

const suite = engineSuite(() => startWorker({ KPL_NAMESPACES: NS, KPL_SHUTDOWN_GRACE: '1s' }), NS);

test('a namespace outside KPL_NAMESPACES fails the workflow with InvalidEngineInput and creates nothing', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({ tag, namespace: 'not-managed', pod: driverManifest() });
  const handle = engineHandle(suite.engines.temporal, 'not-managed', tag);
  const failure = await suite.engines.waitForEngine(launched).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(FAILURE_TYPES.invalidInput);
  expect((cause as ApplicationFailure).message).toContain('namespace: "not-managed" is not managed by this installation');
  expect((cause as ApplicationFailure).message).toContain(`KPL_NAMESPACES allows ${NS}`);

  const description = await handle.describe();
  expect(description.status.name).toBe('FAILED');
  expect(description.typedSearchAttributes.get(searchAttributeKeys.engineState)).toBe('FAILED');
  expect(scheduledActivities(await historyOf(handle))).toEqual([]);
  expect(await suite.engines.getEngine({ tag, namespace: 'not-managed' })).toMatchObject({ state: 'FAILED', reason: FAILURE_TYPES.invalidInput });
  const anywhere = await suite.core.listPodForAllNamespaces({ labelSelector: `${ENGINE_TAG_LABEL}=${tag}` });
  expect(anywhere.items).toEqual([]);
});

test('an unnamed manifest gets the deterministic Kyuubi-style name of its tag', async () => {
  const tag = suite.leftovers.tag();
  const manifest = driverManifest({ exitAfter: '1s' });
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: manifest, policy: { retainPeriod: '1s' } });
  const outcome = await suite.engines.waitForEngine(launched);
  // The fixture's spark-app-name plus a UUID tag is too long: Kyuubi falls back to the tag.
  expect(outcome.podName).toBe(enginePodName(tag, manifest.metadata?.labels?.['spark-app-name']));
  expect(outcome.podName).toBe(`kyuubi-${tag}-driver`);
  await untilNoPods(suite.core, NS, tag, 10_000);
});

test('a create answering 409 for a pod with our tag takes that pod as ours', async () => {
  const tag = suite.leftovers.tag();
  // As if a first createPod attempt had succeeded and its result been lost.
  const existing = await createForeignPod(suite.core, NS, foreignPod(`kyuubi-${tag}-driver`, tag, { exitAfter: '1s' }));
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
  const outcome = await suite.engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'FINISHED', podName: existing.metadata?.name, podUid: existing.metadata?.uid, podDeleted: true });
  await untilNoPods(suite.core, NS, tag, 10_000);
});

test('a create answering 409 for another engine\'s pod fails PodNameConflict and leaves that pod alone', async () => {
  const tag = suite.leftovers.tag();
  const otherTag = suite.leftovers.tag();
  const name = `kyuubi-${tag}-driver`;
  const other = await createForeignPod(suite.core, NS, foreignPod(name, otherTag));
  const manifest = driverManifest();
  const launched = await suite.engines.launchEngine({
    tag,
    namespace: NS,
    pod: { ...manifest, metadata: { ...manifest.metadata, name } },
  });
  const outcome = await suite.engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'FAILED', reason: FAILURE_TYPES.podNameConflict, podDeleted: false });
  expect(outcome.podUid).toBeUndefined();
  expect(outcome.message).toContain(`belongs to engine "${otherTag}", not "${tag}"`);
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  // Non-retryable: one attempt, and no delete of a pod that is not ours.
  expect(scheduledActivities(await historyOf(handle))).toEqual(['createPod']);
  const survivors = await podsWithTag(suite.core, NS, otherTag);
  expect(survivors.map((p) => p.metadata?.uid)).toEqual([other.metadata?.uid]);
});

test('search attributes are current at the end, and the launch sets a static summary', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  const running = await untilState(handle, 'RUNNING');
  const during = await handle.describe();
  expect(during.typedSearchAttributes.get(searchAttributeKeys.engineState)).toBe('RUNNING');
  expect(during.typedSearchAttributes.get(searchAttributeKeys.podName)).toBe(running.podName);

  await suite.engines.killEngine(launched);
  await suite.engines.waitForEngine(launched);
  const end = await handle.describe();
  expect(end.status.name).toBe('COMPLETED');
  expect(end.typedSearchAttributes.get(searchAttributeKeys.engineState)).toBe('KILLED');
  expect(end.typedSearchAttributes.get(searchAttributeKeys.podName)).toBe(running.podName);
  expect(end.typedSearchAttributes.get(searchAttributeKeys.namespace)).toBe(NS);
  expect(end.typedSearchAttributes.get(searchAttributeKeys.engineTag)).toBe(tag);
  expect(await end.staticSummary()).toBe(`Engine ${tag} in ${NS} (create)`);
});
